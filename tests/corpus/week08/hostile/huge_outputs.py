# HOSTILE: relu returns an 8 TB broadcast view, dense a 3.2 GB array; softmax is correct.
# The worker must refuse oversized outputs instead of serialising them.
import numpy as np


def relu(x):
    return np.broadcast_to(np.float64(0.0), (10**6, 10**6))


def dense(x, kernel, bias=None):
    return np.zeros((20000, 20000))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

