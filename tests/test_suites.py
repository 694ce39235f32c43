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

ASSIGNMENTS = tuple(sorted(course.load().labs))  # every lab of the syllabus has a suite


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
    assert sum(maxima) == lab.points  # exact: every max score is a multiple of 1/16
    assert all(m > 0 and (m * 16).is_integer() for m in maxima)
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
        "import autograder.judge\n"
        f"for name in {list(ASSIGNMENTS)!r}: autograder.suites.load(name)\n"
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


def _pad_by_hand(fn, x, pads, *args, fill=0.0, **kwargs):
    """``fn`` on ``x`` padded by hand with ``pads`` ((top, bottom), (left, right)), 'valid' after."""
    return fn(np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill), *args, **kwargs)


def _mistakes():
    """(assignment, function, key, case, the output that mistake gives on the case) for every hint
    key that a recomputed mistake gives. Each case is chosen so that its mistake changes the answer."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 2))
    k = rng.standard_normal((3, 2, 2, 2))
    b = rng.standard_normal(2)
    conv, pool_max, pool_avg = reference.conv2d, reference.max_pool2d, reference.avg_pool2d
    valid = Case((x, k), {"bias": b})
    same_s1 = Case((x, k[:2]), {"padding": "same"})                                # 2x2 kernel: TF pads (0, 1)
    same_s3 = Case((x, k[:, :1]), {"strides": 3, "padding": "same"})               # 3-row kernel, H 6: no pad
    negative = Case((-np.abs(x) - 1,), {"pool_size": 3, "strides": 2, "padding": "same"})
    avg_same = Case((x,), {"pool_size": 3, "strides": 2, "padding": "same"})
    pool_s1 = Case((x,), {"pool_size": 2, "strides": 1, "padding": "same"})
    image = rng.integers(0, 10, (1, 5, 5, 1))
    w = [rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(3) - 2, rng.standard_normal((12, 4)),
         rng.standard_normal(4)]
    cnn = Case((x[:, :, :5], w))

    def net(pool=pool_max, act=reference.relu, end=reference.softmax):
        return end(reference.dense(reference.flatten(pool(act(conv(x, w[0], w[1])), 2)), w[2], w[3]))

    def over_batch(z):
        e = np.exp(z - z.max(axis=0))
        return e / e.sum(axis=0)

    logits = np.array([[1000.0, 0.0, 3.0], [3.0, 1.0, -2.0]])
    with np.errstate(all="ignore"):
        naive = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)  # overflows to nan
    big = np.array([[-3.0, 2.0, 7.5, 12.0]])
    square = Case((x[:, 0, :, 0], rng.standard_normal((5, 5))), {"bias": rng.standard_normal(5)})
    one = Case((x[:1, 0, :, 0], rng.standard_normal((5, 3))), {"bias": rng.standard_normal(3)})
    wide, k2 = rng.standard_normal((1, 5, 11, 1)), rng.standard_normal((2, 2, 1, 1))  # 5x11: only H is "square"
    row_stride = Case((wide, k2), {"strides": (2, 1)})
    return [
        ("week09", "conv2d", "flipped", valid, conv(x, k[::-1, ::-1], b)),
        ("week09", "conv2d", "no bias", valid, conv(x, k)),
        ("week09", "conv2d", "channels", valid, conv(x[..., :1], k[:, :, :1], b)),
        ("week09", "conv2d", "border", same_s1, _pad_by_hand(conv, x, ((1, 0), (1, 0)), k[:2])),
        ("week09", "conv2d", "total k-1", same_s3, _pad_by_hand(conv, x, ((1, 1), (0, 0)), k[:, :1], strides=3)),
        ("week09", "conv2d", "integer output", Case((image, k[:, :, :1])), np.trunc(conv(image, k[:, :, :1]))),
        ("week09", "conv2d", "same shape", Case((x[:, :5], k[:1, :1]), {"strides": 2, "padding": "same"}),
         np.zeros((2, 2, 2, 2))),
        ("week09", "conv2d", "padding ignored", Case((x[:, :5], k), {"padding": "same"}), conv(x[:, :5], k)),
        ("week09", "conv2d", "strides ignored", Case((x, k), {"strides": 2}), conv(x, k)),
        ("week09", "conv2d", "rank", valid, conv(x, k, b)[0]),
        # one axis's numbers used for both: the row stride; the height (a square crop of the image)
        ("week09", "conv2d", "one stride", row_stride, conv(wide, k2, strides=2)),
        ("week09", "conv2d", "non-square", Case((wide, k2)), conv(wide[:, :, :5], k2)),
        ("week09", "max_pool2d", "axes", Case((wide,), {"pool_size": 2}), pool_max(wide[:, :, :5], 2)),
        ("week09", "max_pool2d", "padding wins", negative,
         _pad_by_hand(pool_max, negative.args[0], ((0, 1), (1, 1)), 3, 2)),
        ("week09", "max_pool2d", "border", pool_s1,
         _pad_by_hand(pool_max, x, ((1, 0), (1, 0)), 2, 1, fill=-np.inf)),
        ("week09", "max_pool2d", "default strides", Case((x,), {"pool_size": 2}), pool_max(x, 2, 1)),
        ("week09", "max_pool2d", "valid shape", Case((x[:, :5],), {"pool_size": 2}),
         pool_max(x[:, :5], 2, 2, "same")),
        ("week09", "avg_pool2d", "counts padding", avg_same, _pad_by_hand(pool_avg, x, ((0, 1), (1, 1)), 3, 2)),
        ("week09", "avg_pool2d", "same shape", avg_same, np.zeros((2, 3, 2, 2))),
        ("week09", "flatten", "channels first", Case((x,)), np.moveaxis(x, -1, 1).reshape(2, -1)),
        ("week09", "flatten", "shape", Case((x,)), x.reshape(-1)),
        ("week09", "cnn_forward", "no softmax", cnn, net(end=lambda z: z)),
        ("week09", "cnn_forward", "no relu", cnn, net(act=lambda z: z)),
        ("week09", "cnn_forward", "avg pool", cnn, net(pool=pool_avg)),
        ("week09", "cnn_forward", "softmax axis", cnn, net(end=over_batch)),
        ("week08", "relu", "capped", Case((big,)), np.clip(big, 0, 6)),
        ("week08", "relu", "sign", Case((big,)), np.where(big > 0, big, 0.01 * big)),
        ("week08", "relu", "reduced", Case((x,)), np.max(x, 0)),
        ("week08", "dense", "no bias", one, one.args[0] @ one.args[1]),
        ("week08", "dense", "transposed", square, square.args[0] @ square.args[1].T + square.kwargs["bias"]),
        ("week08", "dense", "single sample", one, (one.args[0] @ one.args[1] + one.kwargs["bias"])[0]),
        ("week08", "softmax", "overflow", Case((logits,)), naive),
        ("week08", "softmax", "axis", Case((logits[:, 1:],)), reference.softmax(logits[:, 1:].T).T),
    ]


def _diagnosis(assignment, function, case, got):
    suite = suites.load(assignment)
    expected, scale = properties.expected_for(function, case)
    got = np.asarray(got, dtype=float)
    status = "wrong shape" if got.shape != expected.shape else "wrong values"
    assert status == "wrong shape" or not reference.tolerance.allclose(got, expected, scale)
    with np.errstate(all="ignore"):
        return suite.diagnose(function, status, case, got, expected, scale)


MISTAKES = _mistakes()


@pytest.mark.parametrize("mistake", MISTAKES, ids=[f"{m[1]}-{m[2]}" for m in MISTAKES])
def test_hint_is_given_for_its_mistake(mistake):
    assignment, function, key, case, got = mistake
    assert _diagnosis(assignment, function, case, got) == key
    hints = suites.load(assignment).hints
    assert (function, key) in hints or ("*", key) in hints


@pytest.mark.parametrize("mistake", MISTAKES, ids=[f"{m[1]}-{m[2]}" for m in MISTAKES])
def test_hint_is_not_given_for_other_mistakes(mistake):
    """Every other mistake's output on its case, for the same function, gets another hint or none."""
    assignment, function, key, _, _ = mistake
    for other_assignment, other_function, other_key, case, got in MISTAKES:
        if other_function == function and other_key != key:
            assert _diagnosis(other_assignment, other_function, case, got) != key, (other_key, key)


def test_ambiguous_mistakes_get_a_hint_right_for_both_or_none():
    """On a stride-2 'same' 6x6 case with a 3x3 kernel, top-heavy padding and a total of k-1 give the
    same output: the hint states the whole rule. A tiny case where a flipped kernel and top-heavy
    padding coincide gets no hint at all."""
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((1, 6, 6, 1)), rng.standard_normal((3, 3, 1, 1))
    case = Case((x, k), {"strides": 2, "padding": "same"})
    top_heavy = _pad_by_hand(reference.conv2d, x, ((1, 0), (1, 0)), k, strides=2)
    assert _diagnosis("week09", "conv2d", case, top_heavy) == "same rule"
    hint = suites.load("week09").hints[("conv2d", "same rule")]
    assert "depends on the stride" in hint and "bottom/right" in hint
    tiny_x, tiny_k = rng.standard_normal((1, 1, 1, 1)), rng.standard_normal((1, 2, 1, 1))
    tiny = Case((tiny_x, tiny_k), {"padding": "same"})
    flipped = reference.conv2d(tiny_x, tiny_k[:, ::-1], padding="same")
    assert _diagnosis("week09", "conv2d", tiny, flipped) is None


def test_row_stride_for_both_is_not_told_kernels_need_not_be_square():
    """A trial student's conv2d used strides[0] for both axes. On the fixture with strides (2, 1), a 7x8
    image and a 2x3 kernel it gives (1, 4, 4, 2), as does copying the rows' output size to the
    columns (ow = oh): the hint must be right for both (the whole per-axis rule, strides included),
    not "images and kernels need not be square" alone."""
    case = next(c for c in suites.fixture_cases("week09", "conv2d") if c.label.startswith("strides (2, 1)"))
    x, kernel = case.args
    row_stride_for_both = reference.conv2d(x, kernel, case.kwargs["bias"], strides=2, padding="same")
    key = _diagnosis("week09", "conv2d", case, row_stride_for_both)
    hint = suites.load("week09").hints[("conv2d", key)]
    assert key == "axes" and "strides[0]" in hint and "strides[1]" in hint


def _crash(message, function="dense", **kwargs):
    from autograder import feedback
    suite = suites.load("week09" if function in suites.load("week09").functions else "week08")
    case = Case((np.zeros((1, 2)), np.zeros((2, 2))), kwargs)
    return feedback.crash_hint(suite, function, judge.Outcome("crashed", case, message=message))


def test_crash_hints_come_from_the_exception_and_the_students_line():
    numpy2 = ("TypeError: only 0-dimensional arrays can be converted to Python scalars -- at cell 14, line 23: "
              "`out[b, r, c, f] = float(np.sum(window * kernel[:, :, :, f]) + b)`")
    assert "NumPy 2" in _crash(numpy2, "conv2d") and "float(np.sum" in _crash(numpy2, "conv2d")
    truth = ("ValueError: The truth value of an array with more than one element is ambiguous. Use a.any() "
             "or a.all() -- at dense_if_bias.py, line 18: `if bias:`")
    assert "if bias is not None" in _crash(truth, bias=np.zeros(2))
    assert "NumPy 2" not in _crash(truth)
    assert "truth" not in _crash(numpy2) and "if bias" not in _crash(numpy2)
    signature = "TypeError: conv2d() got an unexpected keyword argument 'strides'"
    assert _crash(signature, "conv2d").startswith("the tests call conv2d(x, kernel, bias=None, strides=1")
    # the same words raised by a learner's own helper are not a signature problem
    helper = ("TypeError: pad_same() takes 2 positional arguments but 3 were given -- at cell 9, line 4: "
              "`p = pad_same(x, k, s)`")
    assert _crash(helper, "conv2d") is None
    # a crash says nothing about the arithmetic: dense's shape error gets no transpose hint, nor any
    mismatch = ("ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0 -- at a.py, "
                "line 3: `x @ kernel`")
    assert _crash(mismatch, "dense") is None
    assert "each layer's output shape" in _crash(mismatch, "cnn_forward")
    for message in (numpy2, truth, helper, mismatch):
        assert "transpose" not in (_crash(message) or "")


def test_every_diagnosis_has_a_hint():
    """Each key a diagnosis can give (``return "key"``, ``found.add("key")``, ``COMBINED``) has a hint."""
    folder = Path(suites.__file__).parent
    common = set(re.findall(r'(?:return|key =) "([a-z0-9 -]+)"', (folder / "properties.py").read_text()))
    assert common == {"integer output", "precision"}
    for assignment in ASSIGNMENTS:
        keys = {key for _, key in suites.load(assignment).hints}
        source = (folder / f"{assignment}.py").read_text()
        if "s.diagnose_classifier(" in source:  # weeks 10 and 11 share the classifier diagnosis
            shared = (folder / "sequences.py").read_text()
            shared = shared[shared.index("def diagnose_classifier("):]
            source += shared[:shared.index("\ndef ")]
        source = source[source.index("HINTS = {"):]
        source = source[source.index("\n}\n"):]  # the diagnosis code, past the hint table
        returned = set(re.findall(r'(?:return |found\.add\(|: )"([a-z0-9 -]+)"', source))
        # (weeks 10 and 11 name most mistakes in tables of data: tests/test_rnn_suites.py checks those)
        assert len(returned) >= 4 and returned | common <= keys, (returned | common) - keys


def test_every_hint_is_one_line():
    for assignment in ASSIGNMENTS:
        for hint in suites.load(assignment).hints.values():
            assert "\n" not in hint and len(hint) < 200


def test_results_are_json_with_statuses_from_the_contract():
    assert judge.STATUSES == ("passed", "wrong shape", "wrong values", "modified input", "not implemented",
                              "crashed", "timed out", "policy violation", "no submission")
    json.dumps({"statuses": judge.STATUSES})
    assert Path(judge.__file__).read_text().count("import tensorflow") == 0


# ---------------------------------------------------------------- replayable cases

def _rebuilt(code):
    """Run a feedback block without its last line (the call); return the names it defines."""
    names = {}
    exec("\n".join(code.splitlines()[:-1]), names)
    return names


def _same_case(function, case, names):
    signature = next(suites.load(a) for a in ASSIGNMENTS if function in suites.load(a).functions).signatures
    from autograder import feedback
    positional = feedback._positional_names(function, case, signature.get(function))
    rebuilt = [names[n] for n in positional] + [names[k] if feedback._holds_arrays(v) else v
                                                for k, v in case.kwargs.items()]
    original = list(case.args) + list(case.kwargs.values())
    flat = lambda values: [a for v in values for a in (v if isinstance(v, (list, tuple)) else [v])]  # noqa: E731
    for a, b in zip(flat(original), flat(rebuilt)):
        if isinstance(a, np.ndarray):
            assert properties.same_bits(a, b), (function, a.dtype, b)


def test_every_generated_case_is_rebuilt_bit_for_bit(generated):
    """The literal block and the seed recipe each rebuild every drawn case exactly."""
    from autograder import feedback
    for function, cases in generated.items():
        suite = next(suites.load(a) for a in ASSIGNMENTS if function in suites.load(a).functions)
        for case in cases:
            signature = suite.signatures[function]
            literal = feedback.literal_code(function, case, signature)
            _same_case(function, case, _rebuilt(literal))
            recipe = feedback.recipe_code(function, case, signature)
            _same_case(function, case, _rebuilt(recipe))
            assert literal.splitlines()[-1] == recipe.splitlines()[-1]
            assert literal.splitlines()[-1].startswith(f"{function}(")


def test_literals_round_trip_every_float():
    from autograder import feedback
    rng = np.random.default_rng(3)
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3]
    for dtype in (np.float64, np.float32, np.float16, np.int64, np.int32, np.uint8, np.bool_):
        values = np.concatenate([rng.standard_normal(50) * 10.0 ** rng.integers(-8, 8, 50), specials])
        with np.errstate(all="ignore"):
            arr = values.astype(dtype) if dtype not in (np.uint8, np.bool_) else np.abs(values[:50]).astype(dtype)
        for shaped in (arr, arr[:24].reshape(2, 3, 4), arr[:1].reshape(()), arr[:0]):
            rebuilt = eval(feedback.array_literal(shaped), {"np": np})
            assert properties.same_bits(shaped, rebuilt), (dtype, shaped)


def test_feedback_block_for_the_contract_example():
    """CONTRACT section 3's example call, exactly as a student would paste it."""
    from autograder import feedback
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1) / 7
    kernel, bias = np.ones((2, 2, 1, 1)), np.array([0.5])
    case = Case((x, kernel), {"bias": bias, "strides": (2, 1), "padding": "same"})
    intro, code = feedback.replay_block("conv2d", case, suites.load("week09").signatures["conv2d"])
    assert "exact inputs" in intro
    assert code.splitlines()[0] == "import numpy as np"
    assert code.splitlines()[-1] == 'conv2d(x, kernel, bias=bias, strides=(2, 1), padding="same")'
    names = _rebuilt(code)
    assert properties.same_bits(x, names["x"]) and properties.same_bits(bias, names["bias"])


def test_blocks_write_lists_and_tuples_of_arrays_as_names():
    """cnn_forward's weights list and a recurrent layer's initial_state=(h0, c0) become named arrays."""
    from autograder import feedback
    h0, c0 = np.zeros((1, 2)), np.full((1, 2), 0.25, dtype=np.float32)
    case = Case((np.ones((1, 3, 2)), np.ones((2, 8)), np.ones((2, 8))),
                {"initial_state": (h0, c0), "return_sequences": True})
    code = feedback.literal_code("lstm", case, "lstm(x, kernel, recurrent_kernel, bias=None, "
                                               "return_sequences=False, initial_state=None)")
    assert code.splitlines()[-1] == ("lstm(x, kernel, recurrent_kernel, initial_state=initial_state, "
                                     "return_sequences=True)")
    names = _rebuilt(code)
    assert properties.same_bits(c0, names["initial_state"][1]) and isinstance(names["initial_state"], tuple)
