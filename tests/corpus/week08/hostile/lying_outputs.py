# HOSTILE: returns objects that lie about being right: an ndarray subclass holding zeros
# whose comparisons and ufuncs always say "equal", an object whose __array__ gives
# zeros while __eq__ says True, and an object-dtype array of the right shape. The honest
# equivalent (zeros / None) scores at most what ../stubs/zeros.py does.
import numpy as np


class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __array_function__(self, func, types, args, kwargs):
        return True


class FakeArray:
    shape = property(lambda self: self._shape)
    dtype = np.dtype("float64")

    def __init__(self, shape):
        self._shape = shape

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self._shape)

    def __eq__(self, other):
        return True

    def __len__(self):
        return self._shape[0]


def relu(x):
    return np.zeros_like(x).view(AlwaysEqual)


def dense(x, kernel, bias=None):
    return FakeArray((x.shape[0], kernel.shape[1]))


def softmax(x):
    out = np.empty(x.shape, dtype=object)
    out[...] = AlwaysEqual
    return out
