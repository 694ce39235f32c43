# HOSTILE: dense: grabs and touches memory in 256 MB blocks (capped at 6 GB so a grader
# without an address-space limit is hurt but the machine survives), keeps it, then
# returns the right answer. relu and softmax are correct.
import numpy as np

_hoard = []


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    while len(_hoard) < 24:
        _hoard.append(np.ones(256 * 2**20, dtype=np.uint8))
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

