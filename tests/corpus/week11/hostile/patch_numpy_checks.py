# HOSTILE: patches NumPy's comparison helpers to always pass (otter-grader's weak spot); the
# functions return zeros, which is what they earn honestly: nothing.
import numpy as np

np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None


def lstm(x, *args, **kwargs):
    return np.zeros((len(x), 1))


def gru(x, *args, **kwargs):
    return np.zeros((len(x), 1))


def lstm_forward(x, *args, **kwargs):
    return np.zeros((len(x), 1))
