# BUG: relu: wrote a leaky ReLU (0.01 * x for negatives) instead of ReLU
import numpy as np


def relu(x):
    return np.where(x > 0, x, 0.01 * x)


def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
