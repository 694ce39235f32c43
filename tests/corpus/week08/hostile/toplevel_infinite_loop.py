# HOSTILE: top level: the functions are correct, then the module never finishes loading.
import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


while True:
    pass
