# BUG: dense: adds the bias to the kernel before the product (x @ (kernel + bias))
import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    if bias is not None:
        kernel = kernel + bias
    out = x @ kernel
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
