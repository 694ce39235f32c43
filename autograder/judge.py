"""Grade one submission: run an assignment's hidden tests against a sandboxed worker.

The judge holds the answers (reference, fixtures, Hypothesis) and never runs
student code itself: every call goes to an ``autograder.sandbox.Worker``, which
sends back plain arrays. The judge checks them (shape, values within the
float32-fit tolerance, inputs unchanged), scores each test, and writes feedback a
student can act on: the property, the smallest failing input, expected vs got,
and a one-line hint.

Time: each graded function gets ``timeout`` seconds of worker time for all its
calls. When it runs out, that function's remaining tests are "timed out" and the
next function starts with a fresh budget (and a fresh worker if the old one died).
"""
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given

import autograder
from autograder import course
from autograder.suites import properties as props
from autograder import suites

STATUSES = ("passed", "wrong shape", "wrong values", "modified input", "not implemented",
            "crashed", "timed out", "policy violation")
FLAG_STATUSES = ("crashed", "policy violation", "timed out")
# Worker reply status -> test status ("ok" is checked by the judge, "bad output" is a wrong answer).
_REPLY_STATUS = {"crashed": "crashed", "timed out": "timed out", "not implemented": "not implemented",
                 "policy violation": "policy violation", "bad output": "wrong values"}
# After these, more examples of the same test cannot tell us anything new: stop the test at once.
_STOP_TEST = ("not implemented", "policy violation", "timed out")
MAX_TEST_OUTPUT = 2000
MAX_OUTPUT = 4000


def _sandbox():
    """(Worker class, isolation level name); a function so tests can swap in a fake."""
    from autograder import sandbox

    return sandbox.Worker, sandbox.isolation_level(), sandbox.WorkerError


# ---------------------------------------------------------------- the worker of one submission

@dataclass
class _Reply:
    """A reply the judge makes up itself (no time left, worker would not start)."""
    status: str
    message: str
    value: Any = None
    inputs_after: tuple = ()
    seconds: float = 0.0


class _Budget:
    def __init__(self, seconds):
        self.seconds = seconds
        self.used = 0.0

    @property
    def left(self):
        return self.seconds - self.used


class _Session:
    """The sandboxed worker of one submission: started on first use, replaced after it dies.

    Restarts are bounded, so code that kills every worker it gets (and loads slowly) cannot
    stretch one grade into many minutes: a restart's start-up time counts against the current
    function's budget, a function that ended the worker ``MAX_DEATHS`` times runs no more
    tests, and once restarts have taken ``restart_budget`` seconds in all (the per-function
    timeout) no new worker is started for this submission.
    """

    MAX_DEATHS = 2

    def __init__(self, cells, limits, worker_cls, worker_error, restart_budget=60.0):
        self.cells = [(c.label, c.source) for c in cells]
        self.limits = limits
        self.worker_cls, self.worker_error = worker_cls, worker_error
        self.worker = None
        self.load_report = None
        self.start_error = None  # the code cannot be loaded, or we stopped restarting: calls fail
        self.deaths = 0          # worker deaths during the current function
        self.restart_budget = restart_budget
        self.restart_seconds = 0.0  # time spent starting replacement workers
        self.stopped = None         # set once we stop starting workers for this submission

    def _start(self, budget):
        kwargs = {} if self.limits is None else {"limits": self.limits}
        started = time.monotonic()
        try:
            self.worker = self.worker_cls(cells=self.cells, **kwargs)
        except self.worker_error as exc:
            # Loading is deterministic: if it fails once it would fail again, so do not retry.
            self.start_error = _one_line(str(exc)) or "the worker could not start"
            return
        if self.load_report is None:
            self.load_report = dict(self.worker.load_report or {})
        else:  # a restart: its time belongs to the function that needed it
            budget.used += time.monotonic() - started
            self.restart_seconds += time.monotonic() - started
        fatal = (self.worker.load_report or {}).get("fatal")
        if fatal or not self.worker.alive:
            self.start_error = _one_line(fatal or "the worker stopped while loading your code")
            self.restart()

    def new_function(self):
        self.deaths = 0

    def call(self, function, case, budget):
        if budget.left <= 0:
            return _Reply("timed out", f"no time left: the tests of {function} used up their "
                                       f"{budget.seconds:g} s")
        if self.stopped is not None:
            return _Reply("crashed", self.stopped)
        if self.deaths >= self.MAX_DEATHS:
            return _Reply("crashed", f"not run: {function} ended the worker process "
                                     f"{self.MAX_DEATHS} times in earlier tests")
        if self.worker is None and self.load_report is not None and self.restart_seconds >= self.restart_budget:
            self.stopped = (f"not run: restarting the worker after crashes used up the "
                            f"{self.restart_budget:g} s allowed, so no more were started")
            return _Reply("crashed", self.stopped)
        if self.worker is None and self.start_error is None:
            self._start(budget)
        if self.start_error is not None:
            return _Reply("crashed", f"your code could not be loaded: {self.start_error}")
        if budget.left <= 0:  # reloading the code in a fresh worker used up the time
            return _Reply("timed out", f"no time left: reloading your code for {function} used up its "
                                       f"{budget.seconds:g} s")
        try:
            reply = self.worker.call(function, args=case.args, kwargs=case.kwargs, timeout=budget.left)
        except self.worker_error as exc:  # the worker died between calls, or the sandbox failed
            reply = _Reply("crashed", _one_line(str(exc)))
        budget.used += max(float(reply.seconds or 0.0), 0.0)
        if not self.worker.alive:
            self.deaths += 1
            self.restart()
        return reply

    def restart(self):
        """Drop the worker; the next call starts a fresh one."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def close(self):
        self.restart()


# ---------------------------------------------------------------- checking one call

@dataclass
class Outcome:
    status: str
    case: Any = None
    got: Any = None
    expected: Any = None
    scale: Any = None
    message: str = ""        # the worker's message, or what differed
    from_property: bool = False


def check(function, case, session, budget, expected=None):
    """Call ``function`` on ``case`` in the worker and judge the reply.

    ``expected`` is ``(answer, tolerance scale)`` when already known (replayed examples).
    """
    reply = session.call(function, case, budget)
    if isinstance(reply, _Reply):  # the judge's own "not run" / "no time left": no input to show
        return Outcome(reply.status, message=reply.message)
    if reply.status != "ok":
        status = _REPLY_STATUS.get(reply.status, "crashed")
        return Outcome(status, case, message=_one_line(reply.message or reply.status))
    expected, scale = expected or props.expected_for(function, case)
    got = np.asarray(reply.value)
    if got.dtype.kind not in "biuf":
        return Outcome("wrong values", case, message=f"the result has dtype {got.dtype}, expected numbers")
    if got.shape != expected.shape:
        return Outcome("wrong shape", case, got, expected, scale)
    if not props.tolerance.within(got, expected, scale).all():
        return Outcome("wrong values", case, got, expected, scale)
    sent = props.arrays_in(case)
    names = _arg_names(function, case)
    for index, (before, after) in enumerate(zip(sent, reply.inputs_after or ())):
        if not props.same_bits(before, after):
            return Outcome("modified input", case, got, expected, scale,
                           message=_modified(names[index] if index < len(names) else f"argument {index + 1}",
                                             before, after))
    return Outcome("passed", case)


class _StopTest(BaseException):
    """Leaves a Hypothesis run at once (BaseException, so Hypothesis does not shrink it)."""


class _Failed(AssertionError):
    """A failing example: Hypothesis shrinks it."""


# Derandomized Hypothesis draws the same examples in the same order until one fails. So the
# examples of a passing run (with their expected answers) are drawn once per judge process and
# replayed for every submission; only a failure calls Hypothesis again, from scratch, to find
# and shrink it exactly as a run without the replay would (tests compare the two: REPLAY=False).
REPLAY = True
_PASSING_RUNS = {}


def run_test(test, session, budget):
    """The ``Outcome`` of one test: the first failing fixed case, or Hypothesis's smallest failure."""
    if test.strategy is None:
        for case in test.cases:
            outcome = check(test.function, case, session, budget)
            if outcome.status != "passed":
                return outcome
        return Outcome("passed")

    failures = []
    recording = None  # a list while the examples of a passing run are drawn

    def prop(case):
        if recording is not None:
            recording.append(case)
            return
        outcome = check(test.function, case, session, budget)
        if outcome.status == "passed":
            return
        outcome.from_property = True
        failures.append(outcome)
        if outcome.status in _STOP_TEST or session.worker is None:
            raise _StopTest  # a dead worker costs a restart per example: keep this failure
        raise _Failed(outcome.status)

    # The same function (and so the same derandomized seed) draws the replayed examples.
    hypothesis_test = props.grader_settings(test.max_examples)(given(test.strategy)(prop))
    if REPLAY:
        key = (test.function, test.name)
        if key not in _PASSING_RUNS:
            recording = []
            hypothesis_test()
            _PASSING_RUNS[key] = [(case, props.expected_for(test.function, case)) for case in recording]
            recording = None
        for case, expected in _PASSING_RUNS[key]:
            outcome = check(test.function, case, session, budget, expected)
            if outcome.status == "passed":
                continue
            if outcome.status in _STOP_TEST or session.worker is None:
                outcome.from_property = True  # Hypothesis would stop at this very example too
                return outcome
            break  # a plain failure: Hypothesis finds it again below, and shrinks it
        else:
            return Outcome("passed")

    try:
        hypothesis_test()
    except _StopTest:
        pass
    except Exception:  # noqa: BLE001 - Hypothesis re-raises the shrunk failure; we recorded it
        if not failures:
            raise
    # Hypothesis replays the minimal failing example last, so the last failure is the shrunk one.
    return failures[-1] if failures else Outcome("passed")


# ---------------------------------------------------------------- feedback

def _one_line(text):
    text = re.sub(r"0x[0-9a-fA-F]+", "0x...", str(text or ""))  # addresses change between runs
    return " ".join(text.split())[:500]


def _arg_names(function, case):
    """Names of the arrays of ``case`` in ``arrays_in`` order (for feedback)."""
    names = []
    positional = ("x", "weights" if function == "cnn_forward" else "kernel")
    for i, value in enumerate(case.args):
        name = positional[i] if i < len(positional) else f"argument {i + 1}"
        if isinstance(value, (list, tuple)):
            names += [f"{name}[{j}]" for j, v in enumerate(value) if isinstance(v, np.ndarray)]
        elif isinstance(value, np.ndarray):
            names.append(name)
    names += [k for k, v in case.kwargs.items() if isinstance(v, np.ndarray)]
    return names


def _fmt(value):
    if isinstance(value, np.ndarray):
        return " ".join(np.array2string(value, precision=4, separator=", ", suppress_small=True).split())
    return repr(value)


def _number(value, digits=6):
    value = float(value)
    return f"{value:.{digits}g}" if np.isfinite(value) else str(value)


def _slice(name, arr):
    """A small, readable corner of an input array: 'x[0, :3, :3, 0] = [[...]]'."""
    if arr.ndim == 0:
        return None
    if name == "kernel" and arr.ndim == 4:
        index = (slice(0, 3), slice(0, 3), 0, 0)
    elif arr.ndim >= 4:  # NHWC (and more): the top-left corner of the first image's first channel
        index = (0,) * (arr.ndim - 3) + (slice(0, 3), slice(0, 3), 0)
    elif arr.ndim == 3:
        index = (0, slice(0, 3), slice(0, 4))
    elif arr.ndim == 2:
        index = (slice(0, 3), slice(0, 6))
    else:
        index = (slice(0, 6),)
    text = ", ".join(str(i) if isinstance(i, int) else f":{i.stop}" for i in index)
    return f"{name}[{text}] = {_fmt(arr[index])}"


def describe(function, case):
    """The arguments of a call in a few lines: shapes, dtypes, options, a slice of the values."""
    parts, slices = [], []
    positional = ("x", "weights" if function == "cnn_forward" else "kernel")
    items = [(positional[i] if i < 2 else f"argument {i + 1}", v) for i, v in enumerate(case.args)]
    for name, value in items + list(case.kwargs.items()):
        if isinstance(value, np.ndarray):
            parts.append(f"{name}: shape {value.shape}, {value.dtype}")
            if name in ("x", "kernel") and len(slices) < 2 and (line := _slice(name, value)):
                slices.append(line)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
            shapes = ", ".join(str(v.shape) for v in value)
            parts.append(f"{name}: {len(value)} arrays of shapes {shapes}")
        else:
            parts.append(f"{name}={value!r}")
    return "; ".join(parts), slices


def _position(index):
    return "out[" + ", ".join(str(int(i)) for i in index) + "]"


def _worst(got, expected, scale):
    got64 = got.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - expected) / (scale + 1e-300)
    error = np.where(np.isnan(error), np.inf, error)
    error = np.where(props.tolerance.within(got64, expected, scale), -1.0, error)
    return np.unravel_index(int(np.argmax(error)), error.shape)


def _modified(name, before, after):
    after = np.asarray(after)
    if before.shape != after.shape or before.dtype != after.dtype:
        return (f"your function changed its input {name} in place (it now has shape {after.shape}, "
                f"{after.dtype})")
    changed = int(np.count_nonzero(before != after))
    return f"your function changed its input {name} in place ({changed} of {before.size} values differ)"


def _what_went_wrong(function, outcome):
    status = outcome.status
    if status == "wrong shape":
        return f"Expected an array of shape {outcome.expected.shape}, got shape {outcome.got.shape}."
    if status == "wrong values" and outcome.got is not None:
        got, expected = outcome.got, outcome.expected
        bad = ~props.tolerance.within(got, expected, outcome.scale)
        index = _worst(got, expected, outcome.scale)
        want, have = _number(expected[index]), _number(got[index])
        if want == have:  # a float32-sized difference: show enough digits to see it
            want, have = _number(expected[index], 12), _number(got[index], 12)
        return f"Expected {_position(index)} = {want}, got {have} ({int(bad.sum())} of {bad.size} values are off)."
    if status == "modified input":
        return f"The result was right, but {outcome.message}."
    if status == "crashed" and not outcome.message.startswith(("not run", "your code could not")):
        return f"Your function raised an error: {outcome.message}"
    message = outcome.message or ""
    if message.split(" ")[0] != function:
        message = message[:1].upper() + message[1:]  # a sentence, unless it starts with the function's name
    return message if not message or message.endswith((".", "!", "?")) else message + "."


def _hint(suite, function, outcome, timeout):
    status = outcome.status
    message = outcome.message or ""
    if status == "modified input":
        return "work on a copy (x = x.copy()) or build a new array; never write into the arguments"
    if status == "not implemented":
        return f"define {suite.signatures.get(function, function)} at the top level and return a NumPy array"
    if status == "timed out":
        return (f"all tests of {function} together get {timeout:g} s: look for an endless loop, or replace "
                "the innermost Python loops with NumPy operations on whole windows")
    if status == "policy violation":
        return "graded functions may use only NumPy and the Python standard library"
    if status == "crashed":
        kwargs = outcome.case.kwargs
        pairs = [k for k, v in kwargs.items() if isinstance(v, tuple)]
        if "keyword argument" in message or "positional argument" in message:
            return f"the tests call {suite.signatures.get(function, function)}"
        if pairs and "tuple" in message:
            return f"{' and '.join(pairs)} may be an int or a pair (rows, cols): accept both"
        if "NoneType" in message and "bias" in suite.signatures.get(function, "") and kwargs.get("bias") is None:
            return "bias may be None (the default): add it only when it is given"
        if "Cannot cast ufunc" in message:
            return ("an in-place operation (+=, /=) on an integer array: build the result as a new float "
                    "array (np.zeros(shape)) and never write into the inputs")
    if status == "wrong values" and outcome.got is None:
        return "return a NumPy array (wrap the result in np.asarray)"
    key = suite.diagnose(function, status, outcome.case, outcome.got, outcome.expected, outcome.scale)
    if key is None:
        return None
    return suite.hints.get((function, key)) or suite.hints.get(("*", key))


def feedback(suite, test, outcome, timeout):
    """The student-facing text of one test result (never the test's source)."""
    if outcome.status == "passed":
        return "Passed."
    lines = [f"Failed: {test.function} {test.claim}."]
    if outcome.case is not None and outcome.status not in ("not implemented", "policy violation"):
        if outcome.from_property:
            lines.append("Smallest failing input found:")
        else:
            lines.append(f"Failing case: {outcome.case.label}." if outcome.case.label else "Failing case:")
        args, slices = describe(test.function, outcome.case)
        lines += ["  " + args] + ["  " + s for s in slices]
    what = _what_went_wrong(test.function, outcome)
    if what:
        lines.append(what)
    hint = _hint(suite, test.function, outcome, timeout) if outcome.case is not None else None
    if outcome.status == "not implemented" and hint is None:
        hint = f"define {suite.signatures.get(test.function, test.function)} at the top level"
    if hint:
        lines.append(f"Hint: {hint}.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEST_OUTPUT else text[: MAX_TEST_OUTPUT - 3] + "..."


# ---------------------------------------------------------------- scoring

def max_scores(suite, points):
    """Each test's max score: its weight scaled so the suite adds up to exactly ``points``."""
    weights = [Fraction(t.weight) for t in suite.tests]
    total = sum(weights)
    scaled = [w * Fraction(points) / total for w in weights]
    return [float(s) for s in scaled]


def _load_summary(submission, session):
    lines = list(submission.problems)
    report = (session.load_report if session else None) or {}
    errors = report.get("errors") or []
    for error in errors[:10]:
        where = error.get("where") or "your code"
        lines.append(f"{where}: {_one_line(error.get('message', ''))}")
    if len(errors) > 10:
        lines.append(f"... and {len(errors) - 10} more lines that failed")
    blocked = sorted(set(report.get("blocked_imports") or []))
    if blocked:
        lines.append(f"not available while grading (only NumPy and the standard library are): "
                     f"{', '.join(blocked)}")
    if errors or blocked:
        lines.append("The lines above failed; the rest of your code was graded.")
    if session is not None and session.start_error and not report.get("fatal"):
        lines.append(f"Your code could not be loaded: {session.start_error}")
    return lines


def grade(submission, assignment, *, timeout=60.0, visibility="after_published", limits=None):
    """Grade one submission; return the complete results.json dict (see the plan's format).

    Args:
        submission: ``autograder.submissions.Submission`` (``.student``, ``.cells`` with
            ``.source`` / ``.label``, ``.sha256``, ``.problems``).
        assignment: ``"week08"`` or ``"week09"``.
        timeout: seconds of worker time per graded function (all its calls together).
        visibility: Gradescope visibility of the hidden tests.
        limits: ``autograder.sandbox.Limits`` for the worker, or None for its defaults.
    """
    lab = course.load().lab(assignment)
    suite = suites.load(assignment)
    maxima = max_scores(suite, lab.points)
    worker_cls, isolation, worker_error = _sandbox()
    session = (_Session(submission.cells, limits, worker_cls, worker_error, restart_budget=timeout)
               if submission.cells else None)

    results = []
    try:
        for f_number, function in enumerate(lab.functions, start=1):
            budget = _Budget(timeout)
            if session is not None:
                session.new_function()
            stopped = None  # set once the function's time is up
            for t_number, test in enumerate(suite.tests_for(function), start=1):
                if session is None:
                    outcome = Outcome("not implemented", message="no code to grade: "
                                      + ("; ".join(submission.problems) or "the submission has no code"))
                elif stopped is not None:
                    outcome = Outcome("timed out", message=stopped)
                else:
                    outcome = run_test(test, session, budget)
                    if outcome.status == "timed out":
                        stopped = (f"not run: the tests of {function} used up their {timeout:g} s "
                                   "in an earlier test")
                results.append((f"{f_number}.{t_number}", test, outcome))
    finally:
        if session is not None:
            session.close()

    tests, by_function = [], {}
    index = {id(t): i for i, t in enumerate(suite.tests)}
    for number, test, outcome in results:
        max_score = maxima[index[id(test)]]
        score = max_score if outcome.status == "passed" else 0.0
        by_function.setdefault(test.function, [0.0, 0.0])
        by_function[test.function][0] += score
        by_function[test.function][1] += max_score
        tests.append({"name": test.name, "number": number, "score": score, "max_score": max_score,
                      "status": outcome.status, "output": feedback(suite, test, outcome, timeout),
                      "visibility": visibility, "tags": [test.function]})
    score = float(sum(Fraction(t["score"]) for t in tests))
    max_score = float(sum(Fraction(t["max_score"]) for t in tests))

    lines = _load_summary(submission, session)
    lines.append(f"{assignment}: {score:g} / {max_score:g} points. "
                 + ", ".join(f"{fn} {s:g}/{m:g}" for fn, (s, m) in by_function.items()) + ".")
    output = "\n".join(lines)
    if len(output) > MAX_OUTPUT:
        output = output[: MAX_OUTPUT - 3] + "..."
    flags = sorted({t["status"] for t in tests} & set(FLAG_STATUSES))
    return {
        "score": score,
        "output": output,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student": submission.student,
            "assignment": assignment,
            "kit_version": autograder.__version__,
            "isolation": isolation,
            "max_score": max_score,
            "submission_sha256": submission.sha256,
            "options": {"timeout": timeout, "visibility": visibility},
            "flags": flags,
        },
    }
