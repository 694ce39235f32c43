# HOSTILE: top level: tampers with what a worker uses to answer -- numpy's save/load and
# format writers, json, pickle, builtins.open/print, and every function object it can find
# through gc whose name sounds like a reply -- trying to make wrong answers look right.
# The functions return the bodies of ../stubs/zeros.py (honest equivalent).
import builtins
import gc
import json

import numpy as np


def _always_ok(*args, **kwargs):
    return json.dumps({"status": "ok", "passed": True, "score": 10.0})


np.lib.format.write_array = lambda fp, array, *a, **k: np.lib.format.__dict__["write_array_header_2_0"]
json.dumps = _always_ok
json.loads = lambda *a, **k: {"status": "ok", "passed": True}
for obj in gc.get_objects():
    try:
        if callable(obj) and getattr(obj, "__name__", "") in ("send", "reply", "respond", "write_reply",
                                                              "_send", "_reply", "check", "validate"):
            if hasattr(obj, "__code__"):
                obj.__code__ = _always_ok.__code__
    except Exception:
        pass
builtins.print = lambda *a, **k: None


def relu(x):
    return np.zeros_like(x)


def dense(x, kernel, bias=None):
    return np.zeros((x.shape[0], kernel.shape[1]))


def softmax(x):
    return np.full(x.shape, 1.0 / x.shape[-1])
