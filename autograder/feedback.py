"""What students read: the feedback of each failed test and the notes on loading their code.

A failed test says which property failed, the smallest failing input (shapes,
arguments, a corner of the values), expected vs got, and a one-line hint from the
suite's table of usual mistakes. The raw test source never appears.
"""
import re

import numpy as np

from autograder.suites import properties as props

MAX_TEST_OUTPUT = 2000


def one_line(text):
    text = re.sub(r"0x[0-9a-fA-F]+", "0x...", str(text or ""))  # addresses change between runs
    return " ".join(text.split())[:500]


def arg_names(function, case):
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


def modified(name, before, after):
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
        # Not the function's own logic: a hint about its arithmetic would mislead.
        if "MemoryError" in message or "SIGKILL" in message:
            return "the function ran out of memory: avoid building arrays far larger than the input"
        if "RecursionError" in message or "SIGSEGV" in message:
            return "the function recursed too deeply or crashed the interpreter: use loops, not recursion"
        if "exited" in message or "SystemExit" in message:
            return "graded functions must return their result, never exit the program"
    if status == "wrong values" and outcome.got is None:
        return "return a NumPy array (wrap the result in np.asarray)"
    key = suite.diagnose(function, status, outcome.case, outcome.got, outcome.expected, outcome.scale)
    if key is None:
        return None
    return suite.hints.get((function, key)) or suite.hints.get(("*", key))


def test_output(suite, test, outcome, timeout):
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


# The kit's own cells: the otter set-up cell (``import otter``, ``grader = otter.Notebook(...)``)
# and ``grader.check(...)`` / ``grader.export(...)`` fail while grading (otter is not there),
# and the lab's data file is not there either: none of that is the student's doing.
KIT_MODULES = {"otter"}
KIT_NAMES = {"otter", "grader"}
LAB_DATA_FILES = {"digits.npz"}   # the labs' data files (assignments/<lab>/)
_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def _statements(errors):
    """``(error, names its statement would have defined)`` for each load error.

    The names come from the worker (``binds``), which parsed the code in the sandbox: the
    judge never parses student code, so a 9 MB cell or a 5000-term expression costs it
    nothing (no parse, no RecursionError).
    """
    for error in errors:
        binds = error.get("binds")
        yield error, set(binds) if isinstance(binds, list) else set()


def _is_kit(message):
    """True for failures of the kit's own cells and of loading the lab's data file."""
    if message.startswith("ModuleNotFoundError") and any(f"{m} is not available" in message or f"'{m}'" in message
                                                        for m in KIT_MODULES):
        return True
    name = _NAME_ERROR.match(message)
    if name and name.group(1) in KIT_NAMES:
        return True
    return message.startswith("FileNotFoundError") and any(f in message for f in LAB_DATA_FILES)


def _root_causes(errors):
    """``(roots, followed)``: the load errors worth reading, and how many only followed from them.

    In a notebook one failing line (``digits = np.load("digits.npz")``: the data file is
    not there while grading) makes every later use of its names fail too; those NameErrors
    say nothing new, so they are counted, not listed. Failures of the kit's own cells and
    of the lab's data file, and everything that only follows from them, are left out.
    """
    lost, quiet, roots, followed = set(), set(), [], 0
    for error, binds in _statements(errors):
        message = error.get("message", "")
        name = _NAME_ERROR.match(message)
        if _is_kit(message) or (name and name.group(1) in quiet):
            quiet |= binds
        elif name and name.group(1) in lost:
            followed += 1
            lost |= binds
        else:
            roots.append(error)
            lost |= binds
    return roots, followed


def load_summary(submission, session):
    """Notes on loading the code: intake notes, lines that failed or were skipped, blocked imports.

    Says truthfully what ran: the failures are listed (the kit's own cells and the lab's
    data file are not the student's and are left out), and so are the functions defined.
    """
    lines = list(submission.problems) + list(getattr(submission, "notes", ()))
    report = (session.load_report if session else None) or {}
    roots, followed = _root_causes(report.get("errors") or [])
    for error in roots[:10]:
        where = error.get("where") or "your code"
        message = one_line(error.get("message", ""))
        if message.startswith("FileNotFoundError"):
            message += " (your data files are not there while grading)"
        lines.append(f"{where}: {message}")
    if len(roots) > 10:
        lines.append(f"... and {len(roots) - 10} more lines that failed")
    if followed:
        lines.append(f"{followed} more line(s) failed only because they use names that the lines "
                     "above would have defined")
    blocked = sorted(set(report.get("blocked_imports") or []) - KIT_MODULES)
    if blocked:
        lines.append(f"not available while grading (only NumPy and the standard library are): "
                     f"{', '.join(blocked)}")
    if roots or blocked:
        defined = [d for d in report.get("defined") or [] if not d.startswith("_")]
        graded = (f"; functions defined: {', '.join(defined[:15])}{' ...' if len(defined) > 15 else ''}"
                  if defined else "; no functions were defined")
        lines.append("Only the statements above failed or were skipped; every other statement "
                     f"ran{graded}.")
    if session is not None and session.start_error and not report.get("fatal"):
        lines.append(f"Your code could not be loaded: {session.start_error}")
    return lines
