# HOSTILE: relu: writes fake "ok"/"passed" replies and garbage into every file descriptor
# 0..63 (trying to hit the worker's reply pipe), then returns nothing. dense and softmax
# are correct and must still be graded (the judge restarts a corrupted worker).
import json
import os

import numpy as np


def relu(x):
    reply = json.dumps({"status": "ok", "passed": True, "score": 10.0, "shape": [1], "dtype": "float64"}) + "\n"
    for fd in range(0, 64):
        for payload in (reply, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n",
                        "x" * 70000):
            try:
                os.write(fd, payload.encode())
            except OSError:
                pass
    return None


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

