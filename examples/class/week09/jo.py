"""Jo's "submission": tries to game the grader instead of doing the lab.

1. Patches NumPy's comparison helpers so every check says "equal".
2. Looks around the file system for the kit's reference implementation and runs it.
3. Looks in the caller's stack frames for the expected answer.
Falls back to zeros. A grader that compares in its own process, and a sandbox that hides
the kit, give this 0 points.
"""
import os
import sys

import numpy as np

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None

_found = {}


def _look_for_kit():
    bases = list(sys.path) + [os.getcwd(), os.path.expanduser("~"), "/work", "/srv", "/opt", "/tmp"]
    for base in bases:
        try:
            depth0 = base.rstrip(os.sep).count(os.sep)
            for root, dirs, files in os.walk(base):
                if root.count(os.sep) - depth0 >= 3:
                    dirs[:] = []
                if os.path.basename(root) == "reference" and "core.py" in files:
                    sys.path.insert(0, os.path.dirname(root))
                    import reference                    # noqa: the kit's answers
                    _found.update(vars(reference))
                    return
        except Exception:
            continue


try:
    _look_for_kit()
except Exception:
    pass


def _peek(name, like):
    frame = sys._getframe(2)
    while frame is not None:
        for key in ("expected", "want", "reference", "answer", "truth"):
            value = frame.f_locals.get(key)
            if isinstance(value, np.ndarray):
                return value
        frame = frame.f_back
    return np.zeros_like(np.asarray(like, dtype=float))


def _cheat(name, *args, **kwargs):
    if name in _found:
        return _found[name](*args, **kwargs)
    return _peek(name, args[0])


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    return _cheat("conv2d", x, kernel, bias, strides=strides, padding=padding)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _cheat("max_pool2d", x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _cheat("avg_pool2d", x, pool_size, strides, padding)


def flatten(x):
    return _cheat("flatten", x)


def cnn_forward(x, weights):
    return _cheat("cnn_forward", x, weights)
