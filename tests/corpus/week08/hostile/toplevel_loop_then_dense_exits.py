# HOSTILE: top level: a loop that never ends (skipped by the grader after its load timeout),
# and dense ends the worker on every call, so every dense test needs a fresh worker, which
# must not replay the hanging loop each time. relu and softmax are correct.
import os

import numpy as np

while True:      # e.g. a forgotten training loop
    pass


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    os._exit(1)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
