# HOSTILE: relu: raises the recursion limit and recurses through C (__getattr__), which
# overflows the C stack (segfault) instead of raising RecursionError. dense and softmax
# are correct.
import sys

import numpy as np


class Bottomless:
    def __getattr__(self, name):
        return getattr(self, name + "x"[:0])


def relu(x):
    sys.setrecursionlimit(10**7)
    return Bottomless().anything


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

