# HOSTILE: top level: KeyboardInterrupt and SystemExit raised between the definitions.
# CONTRACT section 2: each top-level statement runs on its own and a failing line stops
# nothing else, so all three (correct) functions must still be graded.
import sys

import numpy as np

raise KeyboardInterrupt("stop loading")

def relu(x):
    return np.maximum(x, 0)


sys.exit("bye")

def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


raise SystemExit(3)

def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

