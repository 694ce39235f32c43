import numpy as np


def relu(x):
    return [max(v, 0) for v in x.ravel()]       # a list, not an array of x's shape


def dense(x, kernel, bias=None):
    # half precision "to be fast"
    out = x.astype(np.float16) @ kernel.astype(np.float16)
    if bias is not None:
        out = out + bias.astype(np.float16)
    return out


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
