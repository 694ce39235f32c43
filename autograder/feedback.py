"""What students read: the feedback of each failed test and the notes on loading their code.

A failed test says which property failed, the failing input, expected vs got, and a
one-line hint. The failing input comes as code a student can run: a small case as a
```python block that rebuilds the exact inputs as literals and ends with the call
(CONTRACT section 3, "Reproducible feedback"); a larger drawn case as the seed and the
generator calls that rebuild it, plus the slice that holds the wrong value. A hint is
given only when the suite could reproduce the student's output with that mistake, or
when the exception (and the student's own line, which the worker appends) identifies
it. The raw test source never appears.
"""
import json
import re

import numpy as np

from autograder.suites import properties as props

MAX_TEST_OUTPUT = 6000
MAX_LITERAL_BLOCK = 2500  # characters; a case whose literals are longer is rebuilt from its seed
# The worker ends a crash message with the student's innermost line: "... -- at cell 4, line 7: `code`".
STUDENT_LINE = re.compile(r" -- at (?P<where>.+?), line (?P<line>\d+): `(?P<code>.*)`$")


def one_line(text):
    text = re.sub(r"0x[0-9a-fA-F]+", "0x...", str(text or ""))  # addresses change between runs
    return " ".join(text.split())[:500]


def parameter_names(signature):
    """``"conv2d(x, kernel, bias=None, ...)"`` -> ``["x", "kernel", "bias", ...]``."""
    match = re.match(r"\s*\w+\((.*?)\)", signature or "")
    if not match:
        return []
    return [part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip()]


def list_item_names(signature, name):
    """Names of a list argument's items from ``"... with weights = [conv_kernel, conv_bias]"``."""
    match = re.search(rf"\b{name} = \[([\w, ]+)\]", signature or "")
    return [item.strip() for item in match.group(1).split(",")] if match else []


def arg_names(function, case, signature=None):
    """Names of the arrays of ``case`` in ``arrays_in`` order (for feedback)."""
    names = []
    positional = parameter_names(signature) or ["x", "weights" if function == "cnn_forward" else "kernel"]
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


# ---------------------------------------------------------------- replayable cases

def scalar_literal(value, dtype):
    """Python text that ``np.array([text], dtype)`` turns back into exactly ``value``."""
    if dtype.kind == "b":
        return repr(bool(value))
    if dtype.kind in "iu":
        return str(int(value))
    number = float(value)
    if np.isnan(number):
        return "np.nan"
    if np.isinf(number):
        return "np.inf" if number > 0 else "-np.inf"
    if dtype != np.float64:  # float32's shortest text, when it parses back to the same bits
        short = str(value)
        try:
            if np.asarray(float(short), dtype=dtype).tobytes() == np.asarray(value, dtype=dtype).tobytes():
                return short
        except ValueError:
            pass
    return repr(number)  # a float64 repr always round-trips (and float32 is exact in float64)


def _nested(arr, indent):
    if arr.ndim == 1:
        return "[" + ", ".join(scalar_literal(v, arr.dtype) for v in arr) + "]"
    inner = [_nested(sub, indent + 1) for sub in arr]
    return "[" + ("," + "\n" + " " * indent).join(inner) + "]"


def array_literal(arr, indent=0):
    """``np.array(..., dtype=np.float32)``: code that rebuilds ``arr`` bit for bit."""
    dtype = f"np.{arr.dtype.name}"
    if arr.size == 0:
        return f"np.zeros({arr.shape!r}, dtype={dtype})"
    if arr.ndim == 0:
        return f"np.array({scalar_literal(arr[()], arr.dtype)}, dtype={dtype})"
    lead = indent + len("np.array(") + 1
    return f"np.array({_nested(arr, lead)}, dtype={dtype})"


def _option_literal(value):
    if isinstance(value, str):
        return json.dumps(value)  # "same", as the CONTRACT writes it
    return repr(value)


def _holds_arrays(value):
    """An array, or a list/tuple of arrays (cnn_forward's weights, an LSTM's (h0, c0))."""
    return isinstance(value, np.ndarray) or (isinstance(value, (list, tuple)) and bool(value)
                                             and all(isinstance(v, np.ndarray) for v in value))


def _call_line(function, case, names):
    parts = [names[i] for i in range(len(case.args))]
    for key, value in case.kwargs.items():
        parts.append(f"{key}={key}" if _holds_arrays(value) else f"{key}={_option_literal(value)}")
    return f"{function}({', '.join(parts)})"


def _positional_names(function, case, signature):
    names = parameter_names(signature)[:len(case.args)]
    return names + [f"arg{i + 1}" for i in range(len(names), len(case.args))]


def _assign(name, value, signature):
    """Lines that bind ``name`` to ``value`` (an array, or a list/tuple of arrays) as literals."""
    if isinstance(value, np.ndarray):
        return [f"{name} = {array_literal(value, len(name) + 3)}"]
    items = list_item_names(signature, name)
    items = items if len(items) == len(value) else [f"{name}_{j}" for j in range(len(value))]
    lines = [f"{item} = {array_literal(array, len(item) + 3)}" for item, array in zip(items, value)]
    joined = ", ".join(items)
    lines.append(f"{name} = [{joined}]" if isinstance(value, list) else
                 f"{name} = ({joined}{',' if len(items) == 1 else ''})")
    return lines


def literal_code(function, case, signature=None):
    """Code that rebuilds the exact inputs of ``case`` as literals; its last line is the call.

    Returns None when a value cannot be written as a literal (not an array, a list/tuple of
    arrays, a number, a string, None or a tuple of numbers).
    """
    names = _positional_names(function, case, signature)
    lines = ["import numpy as np"]
    for name, value in zip(names, case.args):
        if not _holds_arrays(value):
            return None
        lines += _assign(name, value, signature)
    for key, value in case.kwargs.items():
        if _holds_arrays(value):
            lines += _assign(key, value, signature)
        elif not (value is None or isinstance(value, (bool, int, float, str))
                  or (isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value))):
            return None
    lines.append(_call_line(function, case, names))
    return "\n".join(lines)


def recipe_code(function, case, signature=None):
    """Code that rebuilds a drawn case from its seed (``case.recipe``), ending with the call."""
    if not case.recipe:
        return None
    names = _positional_names(function, case, signature)
    return "\n".join(["import numpy as np", case.recipe, _call_line(function, case, names)])


def replay_block(function, case, signature=None):
    """``(intro, code)`` for the fenced block that reproduces ``case``, or None.

    Small cases are written as literals; larger drawn cases as their seed and generator calls.
    """
    code = literal_code(function, case, signature)
    if code is not None and len(code) <= MAX_LITERAL_BLOCK:
        return "To reproduce it, run this below your functions (it rebuilds the exact inputs):", code
    code = recipe_code(function, case, signature)
    if code is not None:
        return ("The input is too large to print; this rebuilds it exactly (same seed, same generator "
                "calls), run it below your functions:", code)
    return None


def fenced(code):
    return "```python\n" + code + "\n```"


def describe(function, case, signature=None):
    """The arguments of a call on one line: shapes, dtypes and options."""
    parts = []
    names = _positional_names(function, case, signature)
    for name, value in list(zip(names, case.args)) + list(case.kwargs.items()):
        if isinstance(value, np.ndarray):
            parts.append(f"{name}: shape {value.shape}, {value.dtype}")
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
            shapes = ", ".join(f"{v.shape} {v.dtype}" for v in value)
            parts.append(f"{name}: {len(value)} arrays of shapes {shapes}")
        else:
            parts.append(f"{name}={value!r}")
    return "; ".join(parts)


def _position(index):
    return "out[" + ", ".join(str(int(i)) for i in index) + "]"


def _worst(got, expected, scale):
    got64 = got.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got64 - expected) / (scale + 1e-300)
    error = np.where(np.isnan(error), np.inf, error)
    error = np.where(props.tolerance.within(got64, expected, scale), -1.0, error)
    return np.unravel_index(int(np.argmax(error)), error.shape)


def wrong_slice(got, expected, index, limit=100):
    """Lines showing the slice of the output that holds the wrong value (``out[0, :, :, 1]``)."""
    index = tuple(int(i) for i in index)
    if got.ndim >= 3:  # NHWC-like: the image and channel of the wrong value
        key = index[:-3] + (slice(None), slice(None), index[-1])
    elif got.ndim == 2:
        key = (index[0], slice(None))
    else:
        key = (slice(None),)
    if got[key].size > limit:  # a window around the value instead
        key = tuple(slice(max(i - 2, 0), i + 3) for i in index)
    text = ", ".join(str(k) if isinstance(k, int) else
                     (":" if k.start is None else f"{k.start}:{k.stop}") for k in key)
    return [f"out[{text}] expected: {_fmt(np.asarray(expected[key]))}",
            f"out[{text}] got:      {_fmt(np.asarray(got[key], dtype=np.float64))}"]


def modified(name, before, after):
    after = np.asarray(after)
    if before.shape != after.shape or before.dtype != after.dtype:
        return (f"your function changed its input {name} in place (it now has shape {after.shape}, "
                f"{after.dtype})")
    changed = int(np.count_nonzero(before != after))
    return f"your function changed its input {name} in place ({changed} of {before.size} values differ)"


def seconds_text(seconds):
    """A time as a student reads it: two significant digits below 10 s, whole seconds above."""
    return f"{seconds:.0f} s" if seconds >= 9.5 else f"{float(f'{seconds:.2g}'):g} s"


# The sandbox's message for the call that was running when the function's time ran out; the
# number is the time that was left for it (the function's budget minus its earlier calls).
_STOPPED_AFTER = re.compile(r"took longer than (?P<left>[0-9.e+-]+) s")


def out_of_time(function, outcome, timeout, signature=None):
    """What a timed-out test tells the student: the time ran out (no input failed), and where it went."""
    budget = seconds_text(timeout)
    stopped = _STOPPED_AFTER.search(outcome.message or "")
    if stopped is None or outcome.case is None:  # the judge's own "no time left" / "not run" notes
        message = outcome.message or f"the tests of {function} ran out of their {budget} in all"
        return message[:1].upper() + message[1:].rstrip(".") + "."
    left = float(stopped["left"])
    if left >= timeout / 2:
        return (f"The tests of {function} get {budget} in all: one call ran for {seconds_text(left)} without "
                f"returning and was stopped (an endless loop, or a very slow one). It was called with "
                f"{describe(function, outcome.case, signature).replace('; ', ', ')}.")
    return (f"The tests of {function} ran out of their {budget} in all: the calls before took "
            f"{timeout - left:.3g} s, and the call running when the time ran out was stopped after the last "
            f"{seconds_text(left)}: the code is too slow for the tests.")


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
        message = outcome.message
        line = STUDENT_LINE.search(message)
        if line:
            message = (f"{message[:line.start()]}\n  in your code at {line['where']}, line {line['line']}: "
                       f"{line['code']}")
        return f"Your function raised an error: {message}"
    message = outcome.message or ""
    if message.split(" ")[0] != function:
        message = message[:1].upper() + message[1:]  # a sentence, unless it starts with the function's name
    return message if not message or message.endswith((".", "!", "?")) else message + "."


SHAPE_ERRORS = ("not aligned", "mismatch in its core dimension", "could not be broadcast", "cannot reshape")


def crash_hint(suite, function, outcome):
    """A hint that the exception itself identifies (and the student's line, when known), or None."""
    message = outcome.message or ""
    line = STUDENT_LINE.search(message)
    code = line["code"] if line else ""
    error = message[:line.start()] if line else message
    kwargs = outcome.case.kwargs if outcome.case is not None else {}
    signature = suite.signatures.get(function, function)
    # Raised by the call itself ("conv2d() got an unexpected keyword argument"), not by a helper.
    if re.match(rf"TypeError: {re.escape(function)}\(\) (got an unexpected|got multiple|takes|missing)", error):
        return f"the tests call {signature}"
    if "only 0-dimensional arrays can be converted to Python scalars" in error \
            or "only length-1 arrays can be converted" in error or "only size-1 arrays can be converted" in error:
        where = f" (`{code}`)" if code else ""
        return (f"NumPy 2, which the grader runs, no longer turns an array with axes into a number{where}: "
                "float(b) of a (1,)- or (1, 1, 1)-shaped slice raises TypeError; take the number out with "
                "b.item() or an index like b[0], or keep it an array")
    if "truth value of an array" in error:
        if re.search(r"\bif\s+(not\s+)?bias\b", code):
            return "`if bias:` asks whether the array bias is true; test whether it was given, with `if bias is not None:`"
        return ("an array was used as a condition (if, while, and, or, not): compare explicitly, e.g. "
                "`if bias is not None:` or `if (x > 0).all():`")
    if any(words in error for words in SHAPE_ERRORS) and (function, "crash") in suite.hints:
        return suite.hints[(function, "crash")]  # the suite's advice for shape errors in this function
    pairs = [k for k, v in kwargs.items() if isinstance(v, tuple) and all(isinstance(i, int) for i in v)]
    if pairs and "tuple" in error:
        return f"{' and '.join(pairs)} may be an int or a pair (rows, cols): accept both"
    if "NoneType" in error and "bias" in signature and "bias" in kwargs and kwargs.get("bias") is None:
        return "bias may be None (the default): add it only when it is given"
    if "Cannot cast ufunc" in error:
        return ("an in-place operation (+=, /=) on an integer array: build the result as a new float "
                "array (np.zeros(shape)) and never write into the inputs")
    # Not the function's own logic: a hint about its arithmetic would mislead.
    if "MemoryError" in error or "SIGKILL" in error:
        return "the function ran out of memory: avoid building arrays far larger than the input"
    if "RecursionError" in error or "SIGSEGV" in error:
        return "the function recursed too deeply or crashed the interpreter: use loops, not recursion"
    if "exited" in error or "SystemExit" in error:
        return "graded functions must return their result, never exit the program"
    return None


def _hint(suite, function, outcome, timeout):
    status = outcome.status
    if status == "modified input":
        return "work on a copy (x = x.copy()) or build a new array; never write into the arguments"
    if status == "not implemented":
        return f"define {suite.signatures.get(function, function)} at the top level and return a NumPy array"
    if status == "timed out":
        return (f"make {function} faster: replace the innermost Python loops with NumPy operations on whole "
                "arrays (or whole windows), leave out what a call does not need (sleeps, prints, copies of "
                "large arrays), and check that every loop ends")
    if status == "policy violation":
        return "graded functions may use only NumPy and the Python standard library"
    if status == "crashed":
        hint = crash_hint(suite, function, outcome)
        if hint is not None:
            return hint
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
    case = outcome.case
    signature = suite.signatures.get(test.function)
    block = None
    if outcome.status == "timed out":  # no input failed, and replaying one call shows nothing
        lines.append(out_of_time(test.function, outcome, timeout, signature))
        hint = _hint(suite, test.function, outcome, timeout) if case is not None else None
        return "\n".join(lines + ([f"Hint: {hint}."] if hint else []))[:MAX_TEST_OUTPUT]
    if case is not None and outcome.status not in ("not implemented", "policy violation"):
        if outcome.from_property:
            lines.append("Smallest failing input found:")
        else:
            lines.append(f"Failing case: {case.label}." if case.label else "Failing case:")
        lines.append("  " + describe(test.function, case, signature))
        block = replay_block(test.function, case, signature)
    what = _what_went_wrong(test.function, outcome)
    if what:
        lines.append(what)
    large = block is None or "default_rng(" in block[1]  # no literals: show where the value is wrong
    if outcome.status == "wrong values" and outcome.got is not None and large:
        index = _worst(outcome.got, outcome.expected, outcome.scale)
        lines += ["  " + line for line in wrong_slice(outcome.got, outcome.expected, index)]
    hint = _hint(suite, test.function, outcome, timeout) if case is not None else None
    if outcome.status == "not implemented" and hint is None:
        hint = f"define {suite.signatures.get(test.function, test.function)} at the top level"
    if hint:
        lines.append(f"Hint: {hint}.")
    if block is not None:
        lines += [block[0], fenced(block[1])]
    text = "\n".join(lines)
    if len(text) > MAX_TEST_OUTPUT and block is not None:  # drop the block rather than cut it
        text = "\n".join(lines[:-2])
    return text if len(text) <= MAX_TEST_OUTPUT else text[: MAX_TEST_OUTPUT - 3] + "..."


# The kit's own cells: the set-up cell (``import otter`` / ``from lab_checks import start_lab``,
# ``grader = ...``) and ``grader.check(...)`` / ``grader.export(...)`` fail while grading (otter
# and the lab's files are not there), and so does loading the lab's data file: none of that is
# the student's doing.
KIT_MODULES = {"otter", "lab_checks"}
KIT_NAMES = {"otter", "grader", "start_lab"}
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
