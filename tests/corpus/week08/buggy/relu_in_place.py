# BUG: relu: zeroes the negatives of the input array in place (x[x < 0] = 0) and returns it
import numpy as np


def relu(x):
    x[x < 0] = 0
    return x


def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
