# BUG: dense: computes in float16 to 'save memory'
import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = (x.astype(np.float16) @ kernel.astype(np.float16)).astype(np.float32)
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
