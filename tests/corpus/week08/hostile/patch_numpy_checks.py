# HOSTILE: top level: patches numpy's comparison helpers to always pass (the trick that
# gives a full score under otter-grader); the functions return zeros / a uniform
# distribution. Same bodies as ../stubs/zeros.py, which is the honest equivalent.
import numpy as np
import numpy.testing

np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)
np.array_equal = lambda *a, **k: True
np.array_equiv = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
np.testing.assert_equal = lambda *a, **k: None
for name in ("__eq__", "__ne__", "__lt__"):
    try:
        setattr(np.ndarray, name, lambda self, other: True)
    except TypeError:
        pass
try:
    import ctypes
    # Rewrite ndarray.__eq__ through the type's dict proxy (works on CPython).
    dict_ = ctypes.py_object.from_address(id(np.ndarray.__dict__) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
    dict_["__eq__"] = lambda self, other: True
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
except Exception:
    pass
import builtins
builtins.abs = lambda v: 0
builtins.all = lambda it: True
builtins.any = lambda it: False
import math
math.isclose = lambda *a, **k: True


def relu(x):
    return np.zeros_like(x)


def dense(x, kernel, bias=None):
    return np.zeros((x.shape[0], kernel.shape[1]))


def softmax(x):
    return np.full(x.shape, 1.0 / x.shape[-1])
