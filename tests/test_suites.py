"""The hidden test suites: points, fixtures, domain coverage of the properties, and hints.

No sandbox here: these check the suites' data and the judge-side helpers directly.
"""
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import reference
from autograder import course, judge, suites
from autograder.suites import FIXTURES, Case, properties

ASSIGNMENTS = ("week08", "week09")


class RecordingSession:
    """Stands in for the judge's worker session: answers with the reference, records the cases."""

    worker = "recording"

    def __init__(self):
        self.cases = []

    def call(self, function, case, budget):
        self.cases.append(case)
        value, _ = properties.expected_for(function, case)
        return SimpleNamespace(status="ok", message="", value=value, inputs_after=properties.arrays_in(case),
                               seconds=0.0)

    def calls(self, function, cases, budget):
        return (self.call(function, case, budget) for case in cases)


def collect(test):
    """Every case a property test generates, exactly as the judge runs it (same property, settings)."""
    session = RecordingSession()
    assert judge.run_test(test, session, judge._Budget(60.0)).status == "passed"
    return session.cases


@pytest.fixture(scope="module")
def generated():
    """{function: [cases]} over all property tests of both weeks."""
    out = {}
    for assignment in ASSIGNMENTS:
        for test in suites.load(assignment).tests:
            if test.strategy is not None:
                out.setdefault(test.function, []).extend(collect(test))
    return out


# ---------------------------------------------------------------- points

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_add_up_to_the_syllabus(assignment):
    lab = course.load().lab(assignment)
    suite = suites.load(assignment)
    maxima = judge.max_scores(suite, lab.points)
    assert sum(maxima) == lab.points  # exact: every max score is a multiple of 1/8
    assert all(m > 0 and (m * 8).is_integer() for m in maxima)
    assert suite.functions == lab.functions
    for function in lab.functions:
        assert len(suite.tests_for(function)) >= 2, function
    names = [t.name for t in suite.tests]
    assert len(names) == len(set(names))
    for test in suite.tests:
        assert (test.strategy is None) != (not test.cases), test.name
        assert test.strategy is None or test.max_examples > 0


def test_week09_weights_are_the_documented_ones():
    suite = suites.load("week09")
    per_function = {fn: sum(t.weight for t in suite.tests_for(fn)) for fn in suite.functions}
    assert per_function == {"conv2d": 1.75, "max_pool2d": 0.75, "avg_pool2d": 0.75, "flatten": 0.5,
                            "cnn_forward": 1.25}


# ---------------------------------------------------------------- fixtures

def test_fixtures_are_small_and_load_with_numpy_only():
    files = sorted(FIXTURES.glob("*.npz"))
    assert [f.stem for f in files] == list(ASSIGNMENTS)
    assert sum(f.stat().st_size for f in files) < 1_000_000
    # A fresh interpreter: plain np.load without pickles, and the grading path pulls in no TensorFlow.
    code = (
        "import sys, numpy as np\n"
        f"for path in {[str(f) for f in files]!r}:\n"
        "    with np.load(path, allow_pickle=False) as data:\n"
        "        assert all(data[k].dtype != object for k in data.files)\n"
        "import autograder.judge, autograder.suites.week08, autograder.suites.week09\n"
        "heavy = {'tensorflow', 'keras', 'sklearn', 'otter', 'scipy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_function_has_fixtures_that_match_the_reference(assignment):
    for function in course.load().lab(assignment).functions:
        cases = suites.fixture_cases(assignment, function)
        assert len(cases) >= 2, function
        for case in cases:
            assert case.label and case.expected is not None
            expected, scale = properties.expected_for(function, case)  # the Keras output
            got = getattr(reference, function)(*case.args, **case.kwargs)
            assert reference.tolerance.allclose(got, expected, scale), (function, case.label)


def test_lecture_example_fixture_is_the_computed_feature_map():
    # CONTRACT section 5, worked by hand: the slide's middle cell 1 is really 0.
    feature_map = [[0, 1, 0, 0, 0], [0, 1, 1, 1, 0], [1, 0, 0, 2, 1], [1, 4, 2, 1, 0], [0, 0, 1, 2, 1]]
    pooled = [[1, 1, 0], [4, 2, 1], [0, 2, 1]]
    conv = suites.fixture_cases("week09", "conv2d")[0]
    pool = suites.fixture_cases("week09", "max_pool2d")[0]
    assert "lecture" in conv.label and "lecture" in pool.label
    np.testing.assert_array_equal(conv.expected[0, :, :, 0], feature_map)
    np.testing.assert_array_equal(pool.expected[0, :, :, 0], pooled)
    assert pool.kwargs == {"padding": "same", "pool_size": 2}


def test_digits_cnn_fixture_is_a_trained_model():
    cases = suites.fixture_cases("week09", "cnn_forward")
    probs = cases[0].expected
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert probs.shape == (16, 10) and probs.max(axis=1).mean() > 0.5  # confident, so trained
    assert cases[1].args[0].dtype.kind == "i"  # the integer-image case
    assert [w.shape for w in cases[0].args[1]] == [(3, 3, 1, 4), (4,), (36, 10), (10,)]


# ---------------------------------------------------------------- the properties' domain

def _conv_facts(case):
    x, kernel = case.args
    kw = case.kwargs
    strides = kw.get("strides", 1)
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    facts = {f"x {x.dtype}", f"padding {kw.get('padding', 'omitted')}", f"strides {type(strides).__name__}"}
    facts |= {"batch > 1"} if x.shape[0] > 1 else set()
    facts |= {"channels > 1"} if x.shape[3] > 1 else set()
    facts |= {"filters > 1"} if kernel.shape[3] > 1 else set()
    facts |= {"odd size", "even size"} & {("odd size" if s % 2 else "even size") for s in x.shape[1:3]}
    facts |= {"non-square kernel"} if kernel.shape[0] != kernel.shape[1] else set()
    facts |= {"bias"} if kw.get("bias") is not None else {"no bias"}
    if kw.get("padding") == "same":
        for size, k, s in zip(x.shape[1:3], kernel.shape[:2], (sh, sw)):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            if s == 2 and total == 1:
                facts.add("stride-2 'same' with no top pad")
    return facts


def test_conv_properties_cover_the_contract_domain(generated):
    facts = set().union(*(_conv_facts(c) for c in generated["conv2d"]))
    wanted = {"x float64", "x float32", "x int64", "padding valid", "padding same", "padding omitted",
              "strides int", "strides tuple", "batch > 1", "channels > 1", "filters > 1", "odd size",
              "even size", "non-square kernel", "bias", "no bias", "stride-2 'same' with no top pad"}
    assert wanted <= facts, wanted - facts
    assert max(np.abs(c.args[0]).max() for c in generated["conv2d"]) > 1000  # large values


def test_pool_properties_cover_all_negative_same_windows(generated):
    for function in ("max_pool2d", "avg_pool2d"):
        cases = generated[function]
        kinds = {type(c.kwargs.get("pool_size", "default")).__name__ for c in cases}
        assert kinds == {"int", "tuple", "str"}, kinds
        assert any("strides" in c.kwargs and c.kwargs["strides"] is None for c in cases)
        assert any(c.args[0].dtype.kind == "i" for c in cases)
        assert any(isinstance(c.kwargs.get("pool_size"), tuple) and len(set(c.kwargs["pool_size"])) == 2
                   for c in cases)
    negative_same = [c for c in generated["max_pool2d"]
                     if c.kwargs.get("padding") == "same" and (c.args[0] < 0).all()
                     and reference.max_pool2d(c.args[0], **c.kwargs).shape[1] * 2 > c.args[0].shape[1]]
    assert negative_same


def test_other_properties_cover_large_values_and_shapes(generated):
    assert max(c.args[0].max() for c in generated["relu"]) > 6
    assert any(c.args[0].dtype.kind == "i" for c in generated["relu"])
    assert max(np.ptp(c.args[0], axis=-1).max() for c in generated["softmax"]) > 1000
    assert {c.args[0].ndim for c in generated["softmax"]} == {1, 2, 3}
    assert {c.args[0].ndim for c in generated["flatten"]} == {2, 3, 4, 5}
    assert {("bias" in c.kwargs, c.kwargs.get("bias") is None) for c in generated["dense"]} == {
        (True, False), (False, True), (True, True)}
    assert any(c.args[0].shape[0] > 1 and c.args[0].dtype.kind == "i" for c in generated["cnn_forward"])


def test_generated_cases_are_valid_and_small(generated):
    for function, cases in generated.items():
        for case in cases:
            properties.expected_for(function, case)  # the reference accepts every case
            assert all(a.size <= 1000 for a in properties.arrays_in(case)), function
            if function in ("conv2d", "max_pool2d", "avg_pool2d"):
                n, h, w, c = case.args[0].shape
                assert h <= 9 and w <= 9 and c <= 3 and n <= 3


def test_generation_is_deterministic():
    test = suites.load("week09").tests[1]
    first, second = collect(test), collect(test)
    assert len(first) == test.max_examples
    assert [properties.arrays_in(a)[0].tobytes() for a in first] == [
        properties.arrays_in(b)[0].tobytes() for b in second]
    assert [a.kwargs.keys() for a in first] == [b.kwargs.keys() for b in second]


def test_grading_writes_no_hypothesis_folder(tmp_path):
    """Hypothesis caches the literals of loaded local modules under ./.hypothesis (and may draw
    them): the grader turns that off, so grading leaves the instructor's folder untouched."""
    code = (
        "from types import SimpleNamespace\n"
        "from autograder import judge, suites\n"
        "from autograder.suites import properties\n"
        "class Session:\n"
        "    worker = 'recording'\n"
        "    def call(self, function, case, budget):\n"
        "        value, _ = properties.expected_for(function, case)\n"
        "        return SimpleNamespace(status='ok', message='', value=value, seconds=0.0,\n"
        "                               inputs_after=properties.arrays_in(case))\n"
        "    def calls(self, function, cases, budget):\n"
        "        return (self.call(function, case, budget) for case in cases)\n"
        "test = suites.load('week09').tests[1]\n"
        "assert judge.run_test(test, Session(), judge._Budget(60.0)).status == 'passed'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- hints

def _hint_key(assignment, function, case, got, status="wrong values"):
    suite = suites.load(assignment)
    expected, scale = properties.expected_for(function, case)
    key = suite.diagnose(function, status, case, np.asarray(got, dtype=float), expected, scale)
    return key, suite.hints.get((function, key)) or suite.hints.get(("*", key))


def test_hints_name_the_usual_mistakes():
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((2, 6, 6, 2)), rng.standard_normal((3, 3, 2, 2))

    flipped = reference.conv2d(x, k[::-1, ::-1])
    assert _hint_key("week09", "conv2d", Case((x, k)), flipped)[0] == "flipped"

    same = Case((x, k), {"strides": 2, "padding": "same"})
    top_pad = reference.conv2d(np.pad(x, ((0, 0), (1, 0), (1, 0), (0, 0))), k, strides=2)
    key, hint = _hint_key("week09", "conv2d", same, top_pad)
    assert key == "border" and "bottom/right" in hint

    floor_shape = np.zeros((2, 2, 2, 2))
    assert "ceil(H / stride)" in _hint_key("week09", "conv2d", same, floor_shape, "wrong shape")[1]

    negative = Case((-np.abs(x) - 1,), {"pool_size": 3, "strides": 2, "padding": "same"})
    zero_pad = reference.max_pool2d(np.pad(negative.args[0], ((0, 0), (0, 1), (0, 1), (0, 0))), 3, 2)
    assert "-inf" in _hint_key("week09", "max_pool2d", negative, zero_pad)[1]

    avg_case = Case((x,), {"pool_size": 3, "strides": 2, "padding": "same"})
    by_window = reference.avg_pool2d(np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0))), 3, 2)
    assert "real cells" in _hint_key("week09", "avg_pool2d", avg_case, by_window)[1]

    channels_first = np.moveaxis(x, -1, 1).reshape(2, -1)
    assert "channels last" in _hint_key("week09", "flatten", Case((x,)), channels_first)[1]

    logits = np.array([[1000.0, 0.0], [3.0, 1.0]])
    assert "row max" in _hint_key("week08", "softmax", Case((logits,)), [[np.nan, np.nan], [0.88, 0.12]])[1]

    big = np.array([[-3.0, 2.0, 7.5, 12.0]])
    assert "no upper cap" in _hint_key("week08", "relu", Case((big,)), np.clip(big, 0, 6))[1]

    image = rng.integers(0, 10, (1, 4, 4, 1))
    truncated = np.trunc(reference.conv2d(image, k[:, :, :1]))
    assert _hint_key("week09", "conv2d", Case((image, k[:, :, :1])), truncated)[0] == "integer output"


def test_every_diagnosis_has_a_hint():
    """Each key a diagnosis can give (``return "key"`` / ``key = "key"`` in the suites) has a hint."""
    folder = Path(suites.__file__).parent
    pattern = r'(?:return|key =) "([a-z0-9 -]+)"'
    common = set(re.findall(pattern, (folder / "properties.py").read_text()))
    assert common == {"integer output", "precision"}
    for assignment in ASSIGNMENTS:
        keys = {key for _, key in suites.load(assignment).hints}
        returned = set(re.findall(pattern, (folder / f"{assignment}.py").read_text()))
        assert len(returned) > 5 and returned | common <= keys, (returned | common) - keys


def test_every_hint_is_one_line():
    for assignment in ASSIGNMENTS:
        for hint in suites.load(assignment).hints.values():
            assert "\n" not in hint and len(hint) < 200


def test_results_are_json_with_statuses_from_the_contract():
    assert judge.STATUSES == ("passed", "wrong shape", "wrong values", "modified input", "not implemented",
                              "crashed", "timed out", "policy violation")
    json.dumps({"statuses": judge.STATUSES})
    assert Path(judge.__file__).read_text().count("import tensorflow") == 0
