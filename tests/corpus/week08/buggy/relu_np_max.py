# BUG: relu: used np.max(x, 0) (a reduction over axis 0) instead of np.maximum(x, 0)
import numpy as np


def relu(x):
    return np.max(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
