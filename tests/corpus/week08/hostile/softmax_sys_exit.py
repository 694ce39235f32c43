# HOSTILE: softmax: raises SystemExit (sys.exit()); relu and dense are correct.
import sys

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    sys.exit(0)
