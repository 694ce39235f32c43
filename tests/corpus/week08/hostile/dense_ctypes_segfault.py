# HOSTILE: dense: dereferences a NULL pointer with ctypes (SIGSEGV). relu and softmax are correct.
import ctypes

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    ctypes.string_at(0)
    return x @ kernel


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

