import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    if bias is None:
        bias = np.zeros(kernel.shape[1])
    return np.matmul(x, kernel) + bias


def softmax(x):
    # straight from the formula on the slide
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
