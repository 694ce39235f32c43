# HOSTILE: relu raises KeyboardInterrupt, dense raises a bare BaseException; softmax is correct.
import numpy as np


def relu(x):
    raise KeyboardInterrupt


def dense(x, kernel, bias=None):
    raise BaseException("not an Exception")


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

