"""The hidden tests, one module per assignment (``week08`` ... ``week11``).

A suite is a list of ``Test`` objects, grouped by graded function in syllabus
order. A test is either a fixed list of ``Case`` calls (Keras fixtures, edge
cases) or a Hypothesis strategy of cases (a property checked against the
reference). Each test carries a weight; the judge scales the weights so a week's
tests add up to its points in the syllabus.

This package holds the answers (the reference, the fixtures), so it lives only in
the judge process: the sandboxed worker never imports it.
"""
import functools
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

FIXTURES = Path(__file__).with_name("fixtures")


@dataclass(frozen=True)
class Case:
    """One call of a student function: ``fn(*args, **kwargs)``.

    ``expected`` is the golden answer when it does not come from the reference
    (Keras fixtures); ``label`` says what the case shows, for feedback. ``recipe`` is
    Python code that rebuilds the case's arrays from a seed (``rng = ...`` then one
    ``name = rng....`` line per array, see ``properties.Draw``), for feedback on cases
    too large to print; empty for fixed cases.
    """
    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    expected: Any = None
    recipe: str = ""


@dataclass(frozen=True)
class Test:
    """One graded test of one function.

    ``claim`` is the property in words ("matches the reference on random inputs
    with padding='same'"); it becomes the test's name and the first line of its
    feedback. Exactly one of ``cases`` (fixed calls) and ``strategy`` (a
    Hypothesis strategy drawing ``Case`` objects) is set.
    """
    function: str
    claim: str
    weight: float
    cases: tuple = ()
    strategy: Any = None
    max_examples: int = 0

    @property
    def name(self):
        return f"{self.function}: {self.claim}"


@dataclass(frozen=True)
class Suite:
    assignment: str
    functions: tuple
    tests: tuple
    diagnose: Callable  # (function, status, case, got, expected, scale) -> hint key or None
    hints: dict         # (function, key) -> one-line hint; function "*" for any function
    signatures: dict    # function -> its CONTRACT signature, for "unexpected keyword" crashes

    def tests_for(self, function):
        return [t for t in self.tests if t.function == function]


def load(assignment):
    """The suite of an assignment (``"week08"``, ``"week09"``, ...): the module ``suites.<assignment>``."""
    try:
        module = importlib.import_module(f"{__name__}.{assignment}")
    except ModuleNotFoundError:
        raise KeyError(f"no hidden tests for assignment {assignment!r}") from None
    return module.SUITE


@functools.cache
def _read_npz(name):
    arrays = {}
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        for key in data.files:
            arrays[key] = data[key]
            arrays[key].flags.writeable = False  # shared by every grade in this process
    return arrays


def fixture_cases(assignment, function):
    """The golden Keras cases of one function, as ``Case`` objects.

    Reads ``fixtures/<assignment>.npz`` (written by ``scripts/make_fixtures.py``)
    with NumPy only. ``arg/<name>`` entries are the arguments named as in the
    function's signature (``reference.<function>``): those without a default are
    positional, in signature order, the rest keyword arguments; ``arg/<name>/<i>``
    entries form a list (``weights``, as ``model.get_weights()`` returns it) or a
    tuple (``initial_state=(h0, c0)``). ``kw/<name>`` entries are options: a string,
    a bool, an int or a pair of ints.
    """
    data = _read_npz(assignment)
    numbers = sorted({key.split("/")[1] for key in data if key.startswith(f"{function}/")})
    positional = _positional_parameters(function)
    cases = []
    for number in numbers:
        prefix = f"{function}/{number}/"
        entries = {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}
        arrays, groups, kwargs = {}, {}, {}
        for key in sorted(entries):
            value = entries[key]
            kind, _, name = key.partition("/")
            if kind == "arg" and "/" in name:
                name, _, index = name.partition("/")
                groups.setdefault(name, {})[int(index)] = value
            elif kind == "arg":
                arrays[name] = value
            elif kind == "kw":
                kwargs[name] = _option(value)
        for name, items in groups.items():
            ordered = [items[i] for i in sorted(items)]
            arrays[name] = ordered if name == "weights" else tuple(ordered)
        args = tuple(arrays.pop(name) for name in positional if name in arrays)
        cases.append(Case(args, {**arrays, **kwargs}, str(entries["label"]), entries["expected"]))
    return tuple(cases)


def _positional_parameters(function):
    """The parameters of ``reference.<function>`` that have no default, in order."""
    import inspect

    import reference

    params = inspect.signature(getattr(reference, function)).parameters.values()
    return [p.name for p in params if p.default is inspect.Parameter.empty]


def _option(value):
    if value.dtype.kind == "U":
        return str(value)
    if value.dtype.kind == "b":
        return bool(value)
    return _int_or_pair(value)


def _int_or_pair(value):
    return int(value) if value.ndim == 0 else tuple(int(v) for v in value)
