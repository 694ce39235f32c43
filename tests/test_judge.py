"""The judge: full marks for correct code, nothing for stubs, the right status and hint for bugs.

Runs against the real sandbox (``autograder.sandbox``) when it can start a worker on this
machine, otherwise against ``FakeWorker`` below (same API, in-process; the judge logic is the
same, only isolation differs). ``SANDBOX_KIND`` says which one ran.
"""
import ast
import json
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

from autograder import course, judge
from autograder.submissions import from_bytes

# ---------------------------------------------------------------- student-style solutions

VECTORIZED = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def relu(x):
    return np.maximum(x, 0)

def dense(x, kernel, bias=None):
    y = np.dot(x, kernel)
    return y if bias is None else y + bias

def softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)

def _two(v):
    return (v, v) if np.isscalar(v) else (int(v[0]), int(v[1]))

def _pad(x, k, s, padding, value):
    if padding == "valid":
        return x
    pads = []
    for size, kk, ss in zip(x.shape[1:3], k, s):
        out = -(-size // ss)
        total = max((out - 1) * ss + kk - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)

def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    kh, kw = kernel.shape[:2]
    sh, sw = _two(strides)
    xp = _pad(x, (kh, kw), (sh, sw), padding, 0.0)
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    out = np.einsum("nhwcij,ijcf->nhwf", win, kernel)
    return out if bias is None else out + bias

def _windows(x, pool_size, strides, padding, value):
    k = _two(pool_size)
    s = k if strides is None else _two(strides)
    xp = _pad(np.asarray(x, dtype=float), k, s, padding, value)
    return sliding_window_view(xp, k, axis=(1, 2))[:, ::s[0], ::s[1]]

def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _windows(x, pool_size, strides, padding, -np.inf).max(axis=(-2, -1))

def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    total = _windows(x, pool_size, strides, padding, 0.0).sum(axis=(-2, -1))
    ones = np.ones_like(x[:1, :, :, :1], dtype=float)
    return total / _windows(ones, pool_size, strides, padding, 0.0).sum(axis=(-2, -1))

def flatten(x):
    return np.reshape(x, (len(x), -1))

def cnn_forward(x, weights):
    ck, cb, dk, db = weights
    return softmax(dense(flatten(max_pool2d(relu(conv2d(x, ck, cb)), 2)), dk, db))
'''

# A four-loop conv2d and loop pooling, the way many students write them.
LOOPS = '''
import math
import numpy as np

def relu(x):
    return np.where(x > 0, x, 0)

def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out

def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)

def _pads(size, k, s, padding):
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)

def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    sh, sw = _pair(strides)
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    oh, top, bottom = _pads(h, kh, sh, padding)
    ow, left, right = _pads(w, kw, sw, padding)
    xp = np.zeros((n, h + top + bottom, w + left + right, c))
    xp[:, top:top + h, left:left + w, :] = x
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for k in range(f):
                    window = xp[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                    out[b, i, j, k] = np.sum(window * kernel[:, :, :, k])
    if bias is not None:
        out += bias
    return out

def _pool(x, pool_size, strides, padding, op):
    ph, pw = _pair(pool_size)
    sh, sw = _pair(strides if strides is not None else pool_size)
    n, h, w, c = x.shape
    oh, top, _ = _pads(h, ph, sh, padding)
    ow, left, _ = _pads(w, pw, sw, padding)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            win = x[:, max(r0, 0):min(r0 + ph, h), max(c0, 0):min(c0 + pw, w), :]
            out[:, i, j, :] = op(win, axis=(1, 2))
    return out

def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.max)

def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.mean)

def flatten(x):
    return x.reshape(x.shape[0], -1)

def cnn_forward(x, weights):
    k, b, dk, db = weights
    return softmax(dense(flatten(max_pool2d(relu(conv2d(x, k, b)), 2)), dk, db))
'''

STUB = '''
def relu(x):
    ...

def dense(x, kernel, bias=None):
    raise NotImplementedError

def softmax(x):
    pass

def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    ...

def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    ...

def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    raise NotImplementedError

def flatten(x):
    ...

def cnn_forward(x, weights):
    ...
'''


# ---------------------------------------------------------------- a stand-in sandbox

class FakeWorkerError(Exception):
    pass


@dataclass
class FakeReply:
    status: str
    value: object = None
    inputs_after: list = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _arrays(values, out):
    for value in values:
        if isinstance(value, np.ndarray):
            out.append(value.copy())
        elif isinstance(value, (list, tuple)):
            _arrays(value, out)
    return out


class FakeWorker:
    """In-process stand-in with the sandbox Worker's API (no isolation, for the judge's logic).

    ``SystemExit`` from student code plays the part of a worker process that died.
    """

    def __init__(self, cells, limits=None):
        self.ns, errors = {"__name__": "submission"}, []
        for label, source in cells:
            for stmt in ast.parse(source).body:
                try:
                    exec(compile(ast.Module([stmt], []), label, "exec"), self.ns)
                except Exception as exc:  # noqa: BLE001 - a failing line stops nothing else
                    errors.append({"where": f"{label}, line {stmt.lineno}", "message": f"{type(exc).__name__}: {exc}"})
        self.alive = True
        self.load_report = {"defined": sorted(k for k, v in self.ns.items() if callable(v)), "errors": errors,
                            "blocked_imports": [], "stdout": "", "fatal": None}

    def call(self, name, args=(), kwargs=None, timeout=60.0):
        if not self.alive:
            raise FakeWorkerError("the worker is not running")
        args, kwargs = _copy(tuple(args)), {k: _copy(v) for k, v in (kwargs or {}).items()}
        fn = self.ns.get(name)
        if not callable(fn):
            return FakeReply("not implemented", message=f"{name} is not defined")
        start = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except NotImplementedError:
            return FakeReply("not implemented", message=f"{name} raised NotImplementedError")
        except SystemExit:
            self.alive = False
            return FakeReply("crashed", message="the worker process exited")
        except Exception as exc:  # noqa: BLE001
            return FakeReply("crashed", message=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - start
        if seconds > timeout:
            self.alive = False
            return FakeReply("timed out", message=f"took longer than {timeout:g} s", seconds=seconds)
        if value is None or value is Ellipsis:
            return FakeReply("not implemented", message=f"{name} returned {value!r}", seconds=seconds)
        if not isinstance(value, np.ndarray):
            return FakeReply("bad output", message=f"the function returned a {type(value).__name__}, "
                                                   "expected a NumPy array", seconds=seconds)
        return FakeReply("ok", value.copy(), _arrays((*args, *kwargs.values()), []), "", seconds)

    def call_batch(self, name, calls, timeout=60.0):
        """The sandbox Worker's batch: a reply per call, none after one that ended the worker."""
        if not self.alive:
            raise FakeWorkerError("the worker is not running")
        for args, kwargs in calls:
            reply = self.call(name, args, kwargs, timeout)
            timeout -= reply.seconds
            yield reply
            if not self.alive:
                return

    def close(self):
        self.alive = False


def _real_sandbox():
    try:
        from autograder import sandbox

        level = sandbox.isolation_level()
        with sandbox.Worker(cells=[("probe", "def f(x):\n    return x\n")]) as worker:
            ok = worker.call("f", args=(np.zeros(2),), timeout=30).status == "ok"
        return (sandbox.Worker, level, sandbox.WorkerError) if ok else None
    except Exception:  # noqa: BLE001 - no usable sandbox here: fall back to the fake
        if os.environ.get("CI"):  # CI has the real sandbox: losing it must fail, not skip
            raise
        return None


# DLGRADE_FAKE_SANDBOX=1 runs these tests on the fake even where the real sandbox works.
REAL = None if os.environ.get("DLGRADE_FAKE_SANDBOX") else _real_sandbox()
SANDBOX_KIND = "real" if REAL else "fake"
# Misbehaviour the in-process fake cannot contain (endless loops, os._exit, blocked imports).
real_sandbox_only = pytest.mark.skipif(REAL is None, reason="needs the real sandbox")


@pytest.fixture(autouse=True)
def sandbox(monkeypatch):
    if REAL is None:
        monkeypatch.setattr(judge, "_sandbox", lambda: (FakeWorker, "fake", FakeWorkerError))
    return SANDBOX_KIND


def grade(source, assignment, name="student.py", **options):
    return judge.grade(from_bytes("student", name, source.encode()), assignment, **options)


def by_function(result):
    out = {}
    for test in result["tests"]:
        out.setdefault(test["tags"][0], []).append(test)
    return out


@pytest.fixture(scope="module")
def vectorized_results():
    return {a: judge.grade(from_bytes("alice", "alice.py", VECTORIZED.encode()), a) for a in ("week08", "week09")}


# ---------------------------------------------------------------- correct, stub

@pytest.mark.parametrize("assignment", ["week08", "week09"])
def test_vectorized_solution_gets_full_marks(vectorized_results, assignment):
    result = vectorized_results[assignment]
    points = course.load().lab(assignment).points
    failed = [(t["name"], t["output"]) for t in result["tests"] if t["status"] != "passed"]
    assert failed == []
    assert result["score"] == result["extra_data"]["max_score"] == points


def test_loops_solution_gets_full_marks():
    result = grade(LOOPS, "week09")
    assert [t["name"] for t in result["tests"] if t["status"] != "passed"] == []
    assert result["score"] == 5


@pytest.mark.parametrize("assignment", ["week08", "week09"])
def test_stub_gets_zero_with_not_implemented(assignment):
    result = grade(STUB, assignment)
    assert result["score"] == 0
    assert {t["status"] for t in result["tests"]} == {"not implemented"}
    assert all("Hint: define" in t["output"] for t in result["tests"])
    assert result["extra_data"]["flags"] == []


def test_result_format(vectorized_results):
    result = vectorized_results["week09"]
    lab = course.load().lab("week09")
    assert set(result) == {"score", "output", "stdout_visibility", "tests", "extra_data"}
    assert [fn for fn in dict.fromkeys(t["tags"][0] for t in result["tests"])] == list(lab.functions)
    for test in result["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output", "visibility", "tags"}
        assert test["status"] in judge.STATUSES
        assert test["visibility"] == "after_published"
        assert test["name"].startswith(test["tags"][0] + ": ")
    extra = result["extra_data"]
    assert extra["student"] == "alice" and extra["assignment"] == "week09"
    assert extra["kit_version"] and extra["isolation"] and extra["submission_sha256"]
    assert extra["options"] == {"timeout": 60.0, "visibility": "after_published"}
    json.dumps(result)  # plain JSON, no NumPy scalars
    numbers = [t["number"] for t in result["tests"]]
    assert numbers[0] == "1.1" and len(set(numbers)) == len(numbers)


def test_same_submission_grades_identically():
    first = grade(LOOPS.replace("return np.maximum", "return np.minimum"), "week08")
    second = grade(LOOPS.replace("return np.maximum", "return np.minimum"), "week08")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_visibility_option_and_no_code():
    sub = from_bytes("bob", "bob.ipynb", b"{not json")
    result = judge.grade(sub, "week08", visibility="visible")
    assert result["score"] == 0
    assert {t["status"] for t in result["tests"]} == {"not implemented"}
    assert {t["visibility"] for t in result["tests"]} == {"visible"}
    assert sub.problems and sub.problems[0] in result["output"]


# ---------------------------------------------------------------- targeted bugs

ODD_PAD_RIGHT = "oh, top, bottom = _pads(h, kh, sh, padding)\n    ow, left, right = _pads(w, kw, sw, padding)"
ODD_PAD_LEFT = "oh, bottom, top = _pads(h, kh, sh, padding)\n    ow, right, left = _pads(w, kw, sw, padding)"

# (name, assignment, old, new, function that must lose points, status, words from the hint)
BUGS = [
    ("relu capped at 6", "week08", "return np.where(x > 0, x, 0)", "return np.clip(x, 0, 6)",
     "relu", "wrong values", "no upper cap"),
    ("relu in place", "week08", "return np.where(x > 0, x, 0)", "x[x < 0] = 0\n    return x",
     "relu", "modified input", "copy"),
    ("dense ignores bias", "week08", "out = out + bias", "out = out", "dense", "wrong values", "bias"),
    ("softmax without max shift", "week08", "e = np.exp(x - x.max(axis=-1, keepdims=True))", "e = np.exp(x)",
     "softmax", "wrong values", "subtract the row max"),
    ("conv flips the kernel", "week09", "np.sum(window * kernel[:, :, :, k])",
     "np.sum(window * kernel[::-1, ::-1, :, k])", "conv2d", "wrong values", "does not flip"),
    ("odd padding on top", "week09", ODD_PAD_RIGHT, ODD_PAD_LEFT, "conv2d", "wrong values", "bottom/right"),
    ("same output uses floor", "week09", "out = math.ceil(size / s)", "out = size // s",
     "conv2d", "wrong shape", "ceil(H / stride)"),
    ("avg pool divides by window size", "week09", "return _pool(x, pool_size, strides, padding, np.mean)",
     "return _pool(x, pool_size, strides, padding, "
     "lambda w, axis: w.sum(axis=axis) / (_pair(pool_size)[0] * _pair(pool_size)[1]))",
     "avg_pool2d", "wrong values", "real cells"),
    ("flatten channels first", "week09", "return x.reshape(x.shape[0], -1)",
     "return np.moveaxis(x, -1, 1).reshape(x.shape[0], -1)", "flatten", "wrong values", "channels last"),
    ("max pool pads with zeros", "week09", "            out[:, i, j, :] = op(win, axis=(1, 2))",
     "            full = win.shape[1] * win.shape[2] == ph * pw\n"
     "            out[:, i, j, :] = op(win, axis=(1, 2)) if full or op is np.mean "
     "else np.maximum(op(win, axis=(1, 2)), 0)",
     "max_pool2d", "wrong values", "-inf"),
]


SHARED_HELPER = {"same output uses floor": {"max_pool2d", "avg_pool2d"}}  # LOOPS's _pads serves all three


@pytest.mark.parametrize("bug", BUGS, ids=[b[0] for b in BUGS])
def test_bug_loses_points_in_the_right_function(bug):
    _, assignment, old, new, function, status, hint = bug
    assert old in LOOPS
    result = grade(LOOPS.replace(old, new), assignment)
    tests = by_function(result)
    lost = {fn for fn, ts in tests.items() if any(t["status"] != "passed" for t in ts)}
    assert function in lost
    # Only the function itself, cnn_forward which calls the student's own layers, and the
    # functions sharing the buggy helper.
    assert lost <= {function, "cnn_forward"} | SHARED_HELPER.get(bug[0], set())
    failing = [t for t in tests[function] if t["status"] != "passed"]
    assert {t["status"] for t in failing} == {status}
    assert any(hint in t["output"] for t in failing), failing[0]["output"]
    assert result["score"] < course.load().lab(assignment).points


def test_feedback_shows_smallest_input_expected_and_hint():
    result = grade(LOOPS.replace(ODD_PAD_RIGHT, ODD_PAD_LEFT), "week09")
    failed = [t["output"] for t in result["tests"] if t["tags"][0] == "conv2d" and t["status"] != "passed"]
    # A tiny shrunk case may fit two mistakes (a flipped kernel, top-heavy padding): no hint there,
    # but the padding rule is named where the case tells them apart.
    assert any("Hint:" in text and "bottom/right" in text.split("Hint:")[1] for text in failed)
    assert not any("Hint:" in text and "flip" in text.split("Hint:")[1] for text in failed)
    text = next(t["output"] for t in result["tests"] if t["tags"][0] == "conv2d" and "padding='same', stride 1"
                in t["name"])
    assert "Smallest failing input found:" in text
    assert "x: shape (" in text and "padding='same'" in text
    assert "Expected out[" in text and ", got " in text
    # the case as code: a fenced block whose last line is the call itself
    block = text.split("```python\n")[1].split("\n```")[0]
    assert block.startswith("import numpy as np\nx = np.array(")
    assert block.splitlines()[-1].startswith("conv2d(x, kernel") and 'padding="same"' in block.splitlines()[-1]
    for leak in ("def ", "st.", "strategy", "Traceback", "hypothesis", "/tmp/"):
        assert leak not in text


@real_sandbox_only
def test_numpy2_scalar_conversion_gets_its_line_and_hint():
    """A classic learner's conv: float(b) on a (1, 1, 1) slice, fine under NumPy 1, a TypeError
    under NumPy 2 on every input: the feedback names the student's line and the NumPy 2 rule."""
    source = VECTORIZED + (
        "\ndef conv2d(x, kernel, bias=None, strides=1, padding='valid'):\n"
        "    kh, kw, c_in, c_out = kernel.shape\n"
        "    b = np.zeros((1, 1, 1, c_out)) if bias is None else np.reshape(bias, (1, 1, 1, c_out))\n"
        "    n, h, w, _ = x.shape\n"
        "    out = np.zeros((n, h - kh + 1, w - kw + 1, c_out))\n"
        "    for i in range(n):\n"
        "        for r in range(h - kh + 1):\n"
        "            for c in range(w - kw + 1):\n"
        "                for f in range(c_out):\n"
        "                    s = np.sum(x[i, r:r + kh, c:c + kw, :] * kernel[:, :, :, f])\n"
        "                    out[i, r, c, f] = s + float(b[..., f])\n"
        "    return out\n")
    result = grade(source, "week09")
    conv = by_function(result)["conv2d"]
    assert {t["status"] for t in conv} == {"crashed"}
    for test in conv:
        assert "only 0-dimensional arrays" in test["output"]
        assert "in your code at student.py, line" in test["output"] and "float(b[..., f])" in test["output"]
        assert "Hint: NumPy 2" in test["output"]
    assert result["extra_data"]["numpy"] == np.__version__


# ---------------------------------------------------------------- misbehaving code

@real_sandbox_only
def test_timeout_costs_only_that_function():
    source = VECTORIZED + "\ndef avg_pool2d(x, pool_size=2, strides=None, padding='valid'):\n    while True:\n        pass\n"
    start = time.monotonic()
    result = grade(source, "week09", timeout=2.0)
    assert time.monotonic() - start < 60
    tests = by_function(result)
    assert {t["status"] for t in tests["avg_pool2d"]} == {"timed out"}
    assert all(t["status"] == "passed" for fn, ts in tests.items() if fn != "avg_pool2d" for t in ts)
    assert result["extra_data"]["flags"] == ["timed out"]
    assert result["score"] == 5 - sum(t["max_score"] for t in tests["avg_pool2d"])


@real_sandbox_only
def test_dead_worker_is_replaced_for_the_next_function():
    source = VECTORIZED + ("\ndef avg_pool2d(x, pool_size=2, strides=None, padding='valid'):\n"
                           "    import os, sys\n    sys.exit(3) if x.ndim > 4 else os._exit(3)\n")
    result = grade(source, "week09")
    tests = by_function(result)
    assert {t["status"] for t in tests["avg_pool2d"]} == {"crashed"}
    assert all(t["status"] == "passed" for fn in ("flatten", "cnn_forward") for t in tests[fn])
    assert result["extra_data"]["flags"] == ["crashed"]
    assert result["score"] == 5 - sum(t["max_score"] for t in tests["avg_pool2d"])


def test_exception_is_crashed_with_message_and_signature_hint():
    source = VECTORIZED + ("\n_conv = conv2d\n"
                           "def conv2d(x, kernel, bias=None, stride=1, padding='valid'):\n"
                           "    return _conv(x, kernel, bias, stride, padding)\n")
    result = grade(source, "week09")
    conv = by_function(result)["conv2d"]
    crashed = [t for t in conv if t["status"] == "crashed"]
    assert crashed and "unexpected keyword argument" in crashed[0]["output"]
    assert "strides=1" in crashed[0]["output"]


@real_sandbox_only
def test_policy_violation_and_bad_output():
    source = VECTORIZED + ("\ndef dense(x, kernel, bias=None):\n    import scipy\n    return x @ kernel\n"
                           "\ndef softmax(x):\n    e = np.exp(x - x.max(-1, keepdims=True))\n"
                           "    return (e / e.sum(-1, keepdims=True)).tolist()\n")
    result = grade(source, "week08")
    tests = by_function(result)
    assert {t["status"] for t in tests["dense"]} == {"policy violation"}
    assert all("scipy" in t["output"] for t in tests["dense"])
    assert {t["status"] for t in tests["softmax"]} == {"wrong values"}
    assert all("list" in t["output"] and "np.asarray" in t["output"] for t in tests["softmax"])
    assert result["extra_data"]["flags"] == ["policy violation"]
    assert result["score"] == 2


@real_sandbox_only
def test_load_errors_are_reported_and_the_rest_graded():
    source = "import matplotlib.pyplot as plt\n" + VECTORIZED + "\nplt.plot([1, 2])\n"
    result = grade(source, "week08")
    assert result["score"] == 10
    assert "matplotlib" in result["output"]
    assert "every other statement ran" in result["output"]


def test_fake_worker_restart_and_budget(monkeypatch):
    """The judge logic on the in-process fake: a dead worker is replaced, time budgets are per function."""
    starts = []

    class Counting(FakeWorker):
        def __init__(self, *args, **kwargs):
            starts.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(judge, "_sandbox", lambda: (Counting, "fake", FakeWorkerError))
    source = VECTORIZED + ("\nimport time\n"
                           "def relu(x):\n    raise SystemExit\n"
                           "def dense(x, kernel, bias=None):\n    time.sleep(0.1)\n    return x @ kernel + (0 if bias is None else bias)\n")
    # 0.5 s per function: dense (0.1 s a call, dozens of calls) runs out; softmax (fast) does not,
    # with room for a busy CI machine.
    result = grade(source, "week08", timeout=0.5)
    tests = by_function(result)
    assert {t["status"] for t in tests["relu"]} == {"crashed"}
    assert "timed out" in {t["status"] for t in tests["dense"]}
    assert all(t["status"] == "passed" for t in tests["softmax"])
    assert len(starts) >= 2


def test_restarts_are_bounded(monkeypatch):
    """A function that kills every worker costs at most MAX_DEATHS restarts; slow reloads stop early."""
    starts = []

    class SlowDying(FakeWorker):
        def __init__(self, *args, **kwargs):
            starts.append(1)
            if len(starts) > 1:
                time.sleep(0.3)  # a reload that takes long (a statement that hangs while loading)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(judge, "_sandbox", lambda: (SlowDying, "fake", FakeWorkerError))
    source = VECTORIZED + "\ndef relu(x):\n    raise SystemExit\n"
    result = grade(source, "week08", timeout=60.0)
    relu = by_function(result)["relu"]
    assert [t["status"] for t in relu] == ["crashed"] * 3
    assert "Not run" in relu[2]["output"] and "failing input" not in relu[2]["output"]
    assert all(t["status"] == "passed" for fn in ("dense", "softmax") for t in by_function(result)[fn])
    assert len(starts) == 1 + judge._Session.MAX_DEATHS

    starts.clear()
    source = VECTORIZED + "\ndef relu(x):\n    raise SystemExit\ndef dense(x, kernel, bias=None):\n    raise SystemExit\n"
    result = grade(source, "week08", timeout=0.5)  # restarts may take 0.5 s in all
    assert len(starts) <= 4
    assert "used up the 0.5 s allowed" in by_function(result)["dense"][-1]["output"]


class GraderFault(FakeWorkerError):
    grader_fault = True   # as sandbox.SandboxFailure: the grader's machinery failed, not the code


@pytest.mark.parametrize("when", ["start", "call"])
def test_a_grader_fault_is_never_graded_as_the_students_crash(monkeypatch, when):
    """The sandbox failing around a worker (its fork server died, it could not start one) must
    not cost the student: the judge raises, and the batch records a grader error that is graded
    again on the next run, where a plain worker error stays the student's crash."""
    class Failing(FakeWorker):
        def __init__(self, *args, **kwargs):
            if when == "start":
                raise GraderFault("the grader's fork server stopped")
            super().__init__(*args, **kwargs)

        def call_batch(self, name, calls, timeout=60.0):
            if name == "dense":
                raise GraderFault("the grader's fork server stopped while running dense")
            yield from super().call_batch(name, calls, timeout)

    monkeypatch.setattr(judge, "_sandbox", lambda: (Failing, "fake", FakeWorkerError))
    with pytest.raises(GraderFault, match="fork server stopped"):
        grade(VECTORIZED, "week08")

    class StudentFault(FakeWorker):   # the same failure without the flag: the code's crash, as before
        def call_batch(self, name, calls, timeout=60.0):
            if name == "dense":
                raise FakeWorkerError("the worker process exited")
            yield from super().call_batch(name, calls, timeout)

    monkeypatch.setattr(judge, "_sandbox", lambda: (StudentFault, "fake", FakeWorkerError))
    dense = by_function(grade(VECTORIZED, "week08"))["dense"]
    assert {t["status"] for t in dense} == {"crashed"}
