# HOSTILE: prints 50 MB while loading, and softmax prints 1 MB lines forever (to stdout and
# stderr). relu and dense are correct.
import sys

import numpy as np

print("A" * 50_000_000)


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    line = "spam " * 200_000
    while True:
        print(line)
        sys.stderr.write(line + "\n")
