# HONEST STUB: the bodies of ../hostile/patch_numpy_checks.py without the patching;
# its score is what those bodies earn honestly.
import numpy as np


def relu(x):
    return np.zeros_like(x)


def dense(x, kernel, bias=None):
    return np.zeros((x.shape[0], kernel.shape[1]))


def softmax(x):
    return np.full(x.shape, 1.0 / x.shape[-1])
