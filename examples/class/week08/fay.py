import numpy as np


def relu(x):
    x[x < 0] = 0          # saves memory!
    return x


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out + bias if bias is not None else out


def softmax(x):
    z = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return z / np.sum(z, axis=-1, keepdims=True)
