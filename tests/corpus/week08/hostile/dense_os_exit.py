# HOSTILE: dense: ends the worker process with os._exit(0); relu and softmax are correct.
import os

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    os._exit(0)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

