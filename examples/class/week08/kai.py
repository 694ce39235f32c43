import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    # TODO
    raise NotImplementedError


def softmax(x):
    ...
