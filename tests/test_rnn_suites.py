"""The recurrent weeks (10 and 11): suites, fixtures, hints, and the corpora through the CLI.

- each week's tests add up to its 5 points, with the documented weights per function;
- the committed Keras fixtures load with NumPy alone and agree with the reference;
- the generated cases cover CONTRACT 1b's domain (T = 1, D = U, return_sequences, initial_state
  given / None / left out, bias given / None / left out, float32) and are small;
- a hint is given only when recomputing the case with that mistake gives the student's output;
- ``tests/corpus/week1{0,1}/correct`` get full marks, every file of ``buggy`` loses points in
  the function named on its ``# BUG:`` line (with the status the bug must produce, where certain).

Grading the corpora takes ~15 s per week on 2 cores (the rest of the file well under 5 s).
"""
import csv
import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given

import reference
from autograder import course, feedback, judge, suites
from autograder.suites import Case
from autograder.suites import properties as p
from autograder.suites import sequences as s

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
WEEKS = ("week10", "week11")
BUG_LINE = re.compile(r"# BUG: (\w+): (.+)")
EXPECTED_STATUS = {
    "rnn_initial_state_in_place": "modified input",
    "gru_initial_state_in_place": "modified input",
    "rnn_ignores_return_sequences": "wrong shape",
    "lstm_ignores_return_sequences": "wrong shape",
    "rnn_time_major": "wrong shape",
    "gru_time_major": "wrong shape",
}
# The hint each buggy file must get in at least one failing test of its function.
EXPECTED_HINT = {
    "cell_no_bias": "no bias", "cell_sigmoid": "sigmoid", "cell_no_activation": "no tanh",
    "cell_swapped_kernels": "swapped", "cell_transposed_recurrent": "transposed",
    "rnn_initial_state_ignored": "initial state ignored", "rnn_state_not_carried": "state not carried",
    "rnn_time_major": "time major", "rnn_ignores_return_sequences": "last vs all",
    "rnn_first_state": "last vs all", "rnn_transposed_recurrent": "transposed",
    "rnn_bias_every_step_twice": "bias twice", "rnn_float16": "precision",
    "forward_no_softmax": "no softmax", "forward_mean_state": "mean of states",
    "forward_softmax_over_batch": "softmax axis",
    "lstm_gate_order_ifoc": "gate order", "lstm_returns_cell_state": "cell state",
    "lstm_initial_state_swapped": "initial state swapped", "lstm_initial_state_ignored": "initial state ignored",
    "lstm_cell_state_not_carried": "state not carried", "lstm_hard_sigmoid": "hard sigmoid",
    "lstm_ignores_return_sequences": "last vs all",
    "gru_reset_before": "reset before", "gru_update_flipped": "update direction", "gru_gate_order_rzh": "gate order",
    "gru_ignores_recurrent_bias": "recurrent bias", "gru_bias_outside_reset": "bias outside reset",
    "gru_time_major": "time major", "lstm_forward_no_softmax": "no softmax",
    "lstm_forward_first_state": "first state",
}


# ---------------------------------------------------------------- suites and fixtures

@pytest.mark.parametrize("week", WEEKS)
def test_points_add_up_to_the_syllabus_and_the_documented_weights(week):
    suite, lab = suites.load(week), course.load().lab(week)
    assert suite.functions == lab.functions and lab.points == 5
    assert sum(judge.max_scores(suite, lab.points)) == pytest.approx(5)
    per_function = {f: sum(t.weight for t in suite.tests_for(f)) for f in suite.functions}
    assert per_function == {"week10": {"simple_rnn_cell": 1.25, "simple_rnn": 2.25, "rnn_forward": 1.5},
                            "week11": {"lstm": 2.0, "gru": 2.0, "lstm_forward": 1.0}}[week]
    assert all((t.weight * 4).is_integer() for t in suite.tests)
    assert set(suite.signatures) == set(suite.functions)


@pytest.mark.parametrize("week", WEEKS)
def test_fixtures_match_the_reference_and_cover_every_function(week):
    suite = suites.load(week)
    for function in suite.functions:
        cases = suites.fixture_cases(week, function)
        assert len(cases) >= 2, function
        for case in cases:
            expected, scale = p.expected_for(function, case)
            got = getattr(reference, function)(*case.args, **case.kwargs)
            assert p.tolerance.allclose(got, expected, scale), (function, case.label)
            # The fixture is Keras's float32 output, so it is not the reference bit for bit.
            assert case.expected.dtype == np.float32


def test_fixtures_hold_the_worked_example_and_trained_networks():
    cells = suites.fixture_cases("week10", "simple_rnn_cell")
    steps = [float(c.expected[0, 0]) for c in cells if "worked example" in c.label]
    assert steps == pytest.approx([np.tanh(0.5), np.tanh(0.5 * np.tanh(0.5)),
                                   np.tanh(-0.5 + 0.5 * np.tanh(0.5 * np.tanh(0.5)))], abs=1e-6)
    for week, function in (("week10", "rnn_forward"), ("week11", "lstm_forward")):
        case = suites.fixture_cases(week, function)[0]
        assert case.args[0].shape == (16, 8, 8) and len(case.args[1]) == 5
        assert np.all(case.expected.max(axis=1) > 0)
    lstm_state = [c for c in suites.fixture_cases("week11", "lstm") if "initial_state" in c.kwargs]
    assert lstm_state and all(isinstance(c.kwargs["initial_state"], tuple) for c in lstm_state)
    assert any(c.kwargs.get("return_sequences") is True for c in suites.fixture_cases("week11", "gru"))


def _generated(week):
    """{test name: [cases]} of every property test of a week (the examples the judge draws)."""
    found = {}
    for test in suites.load(week).tests:
        if test.strategy is None:
            continue
        found[test.name] = _draw(test)
    return found


def _draw(test):
    cases = []

    def record(case):
        cases.append(case)

    p.grader_settings(test.max_examples)(given(test.strategy)(record))()
    return cases


@pytest.fixture(scope="module")
def generated():
    return {week: _generated(week) for week in WEEKS}


def test_generated_cases_cover_contract_1b(generated):
    layers = [c for week in WEEKS for name, cases in generated[week].items()
              if name.split(":")[0] in ("simple_rnn", "lstm", "gru") for c in cases]
    x_shapes = [c.args[0].shape for c in layers]
    assert any(t == 1 for _, t, _ in x_shapes) and any(t >= 4 for _, t, _ in x_shapes)
    assert any(c.args[0].shape[2] == c.args[2].shape[0] for c in layers)          # D = U
    assert any(c.args[0].shape[2] != c.args[2].shape[0] for c in layers)
    assert {c.kwargs.get("return_sequences", "left out") for c in layers} >= {True, False, "left out"}
    assert any("initial_state" not in c.kwargs for c in layers)
    assert any(c.kwargs.get("initial_state", 0) is None for c in layers)
    assert any(isinstance(c.kwargs.get("initial_state"), tuple) for c in layers)   # an LSTM's (h0, c0)
    assert any("bias" not in c.kwargs for c in layers) and any(c.kwargs.get("bias", 0) is None for c in layers)
    assert {c.args[0].dtype.name for c in layers} >= {"float32", "float64"}
    forwards = [c for week in WEEKS for name, cases in generated[week].items() if "forward" in name for c in cases]
    assert any(c.args[0].dtype.kind == "i" for c in forwards)


def test_generated_cases_are_valid_and_small(generated):
    for week in WEEKS:
        for name, cases in generated[week].items():
            function = name.split(":")[0]
            assert cases, name
            for case in cases:
                out = getattr(reference, function)(*case.args, **case.kwargs)
                assert np.isfinite(out).all(), name
                assert sum(a.size for a in p.arrays_in(case)) < 2000, name
                # the recipe feedback prints for a large case rebuilds its arrays bit for bit
                scope = {}
                exec(case.recipe, {"np": np}, scope)
                rebuilt = [scope[n] for n in feedback.parameter_names(suites.load(week).signatures[function])
                           [:len(case.args)]] + [scope[k] for k in case.kwargs if case.kwargs[k] is not None
                                                 and not isinstance(case.kwargs[k], bool)]
                assert all(p.same_bits(a, b) for a, b in zip(p.arrays_in(case), p.arrays_in(Case(tuple(rebuilt)))))


# ---------------------------------------------------------------- hints

def _case():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3))
    return rng, x


def _key(week, function, case, got, status="wrong values"):
    suite = suites.load(week)
    expected, scale = p.expected_for(function, case)
    return suite.diagnose(function, status, case, np.asarray(got), expected, scale)


@pytest.mark.parametrize("layer, week", [("simple_rnn", "week10"), ("lstm", "week11"), ("gru", "week11")])
def test_each_mistake_is_named_when_it_reproduces_the_output(layer, week):
    rng, x = _case()
    kernel, recurrent_kernel, bias = s._weights(rng, layer, 3, 2, "float64")
    state = s._state(rng, layer, 2, 2, "float64")
    case = Case((x, kernel, recurrent_kernel), {"bias": bias, "initial_state": state})
    mistakes = {"initial state ignored": dict(use_initial=False), "state not carried": dict(carry=False),
                "time major": None, "gate order": dict(order=tuple(reversed(range(s.GATES[layer])))),
                "no bias": dict(use_bias=False), "bias twice": dict(bias_times=2)}
    if layer == "lstm":
        mistakes.update({"cell state": dict(return_cell=True), "hard sigmoid": dict(sigmoid=s._hard_sigmoid)})
    if layer == "gru":
        mistakes.update({"update direction": dict(update_flipped=True), "reset before": dict(reset_before=True),
                         "recurrent bias": dict(recurrent_bias=False)})
    if layer == "simple_rnn":
        del mistakes["gate order"]
    for key, mistake in mistakes.items():
        if mistake is None:
            continue
        got = s.run_layer(layer, x, kernel, recurrent_kernel, bias, False, state, **mistake)
        assert _key(week, layer, case, got) == key, key
        assert suites.load(week).hints[(layer, key)]
    # every state instead of the last: a wrong shape, named as such
    got = s.run_layer(layer, x, kernel, recurrent_kernel, bias, True, state)
    assert _key(week, layer, case, got, "wrong shape") == "last vs all"
    # a wrong answer that is no known mistake gets no made-up hint
    right = reference.lstm if layer == "lstm" else getattr(reference, layer)
    assert _key(week, layer, case, right(x, kernel, recurrent_kernel, bias, initial_state=state) + 0.1) is None


def test_cell_and_classifier_hints():
    rng = np.random.default_rng(4)
    kernel, recurrent_kernel, bias = s._weights(rng, "simple_rnn", 3, 3, "float64")
    x_t, h = rng.standard_normal((2, 3)), np.tanh(rng.standard_normal((2, 3)))
    case = Case((x_t, h, kernel, recurrent_kernel), {"bias": bias})
    assert _key("week10", "simple_rnn_cell", case, np.tanh(x_t @ recurrent_kernel + h @ kernel + bias)) == "swapped"
    assert _key("week10", "simple_rnn_cell", case, x_t @ kernel + h @ recurrent_kernel + bias) == "no tanh"
    x = rng.standard_normal((3, 5, 2))
    for layer, week, function in (("simple_rnn", "week10", "rnn_forward"), ("lstm", "week11", "lstm_forward")):
        k, r, b = s._weights(rng, layer, 2, 3, "float64")
        weights = [k, r, b, rng.standard_normal((3, 4)), rng.standard_normal(4)]
        case = Case((x, weights))
        states = s.run_layer(layer, x, k, r, b, True)
        assert _key(week, function, case, reference.softmax(states[:, 0] @ weights[3] + weights[4])) == "first state"
        assert _key(week, function, case, states[:, -1] @ weights[3] + weights[4]) == "no softmax"
        wrong_layer = s.run_layer(layer, x, k, r, b, False, carry=False)
        assert _key(week, function, case, reference.softmax(wrong_layer @ weights[3] + weights[4])) == "layer"
        # one-hot rows prove nothing about which mistake made them
        assert _key(week, function, case, np.eye(4)[[0, 1, 2]]) == "layers"


def test_every_mistake_a_suite_can_name_has_a_hint_for_its_function():
    rng, x = _case()
    for layer, week in (("simple_rnn", "week10"), ("lstm", "week11"), ("gru", "week11")):
        kernel, recurrent_kernel, bias = s._weights(rng, layer, 3, 3, "float64")
        case = Case((x, kernel, recurrent_kernel), {"bias": bias, "initial_state": s._state(rng, layer, 2, 3, "float64")})
        hints = suites.load(week).hints
        for key, _ in s.layer_mistakes(layer, case):
            assert (layer, key) in hints or ("*", key) in hints, (layer, key)
        function = {"simple_rnn": "rnn_forward", "lstm": "lstm_forward"}.get(layer)
        if function:
            weights = [kernel, recurrent_kernel, bias, np.ones((3, 2)), np.zeros(2)]
            for key, _ in s.classifier_mistakes(layer, Case((x, weights))):
                assert (function, key) in hints, (function, key)
            for key in ("layer", "layers", "overflow", "shape"):
                assert (function, key) in hints, (function, key)


def test_every_hint_is_one_line_and_every_key_has_a_hint():
    for week in WEEKS:
        suite = suites.load(week)
        for key, hint in suite.hints.items():
            assert "\n" not in hint and len(hint) < 300, key
    keys = set(EXPECTED_HINT.values())
    hints = {k for week in WEEKS for (_, k) in suites.load(week).hints}
    assert keys <= hints, keys - hints


# ---------------------------------------------------------------- the corpora, through the CLI

def submissions(week, kind):
    return sorted(q for q in (CORPUS / week / kind).iterdir() if q.suffix in (".py", ".ipynb"))


def bug_of(path):
    match = BUG_LINE.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path} must start with '# BUG: <function>: <what>'"
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    runs = {}
    for week in WEEKS:
        out = tmp_path_factory.mktemp(f"rnn-corpus-{week}")
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
                               "--jobs", "2", str(CORPUS / week / "correct"), str(CORPUS / week / "buggy")],
                              cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = {q.stem: json.loads(q.read_text(encoding="utf-8")) for q in out.glob("*.json")}
        with open(out / "scores.csv", newline="", encoding="utf-8") as fh:
            scores = {row["student"]: row for row in csv.DictReader(fh)}
        runs[week] = (results, scores)
    return runs


def test_corpora_are_large_and_varied():
    for week in WEEKS:
        correct = {q.name for q in submissions(week, "correct")}
        assert len(correct) >= 4 and any(n.endswith(".ipynb") for n in correct), correct
        buggy = submissions(week, "buggy")
        assert len(buggy) >= 12
        functions = {bug_of(q)[0] for q in buggy}
        assert functions == set(course.load().lab(week).functions), functions
        for q in buggy:
            assert q.stem in EXPECTED_HINT or q.stem == "rnn_initial_state_in_place" \
                or q.stem == "gru_initial_state_in_place", q.stem


@pytest.mark.parametrize("week", WEEKS)
def test_correct_submissions_get_full_marks(graded, week):
    results, scores = graded[week]
    for path in submissions(week, "correct"):
        result = results[path.stem]
        failed = [(t["name"], t["status"], t["output"][:300]) for t in result["tests"] if t["status"] != "passed"]
        assert not failed, f"{path.name} lost points: {failed}"
        assert result["score"] == pytest.approx(5) and float(scores[path.stem]["score"]) == pytest.approx(5)


@pytest.mark.parametrize("week", WEEKS)
def test_every_bug_loses_points_in_its_function_with_its_hint(graded, week):
    results, scores = graded[week]
    missed = []
    for path in submissions(week, "buggy"):
        function, what = bug_of(path)
        result = results[path.stem]
        failed = [t for t in result["tests"] if t["tags"][0] == function and t["status"] != "passed"]
        maximum = sum(t["max_score"] for t in result["tests"] if t["tags"][0] == function)
        if not failed or float(scores[path.stem][function]) >= maximum - 1e-9:
            missed.append(f"{path.name}: {function} lost nothing ({what})")
            continue
        want = EXPECTED_STATUS.get(path.stem)
        if want and want not in {t["status"] for t in failed}:
            missed.append(f"{path.name}: expected status {want!r}, got {sorted({t['status'] for t in failed})}")
        key = EXPECTED_HINT.get(path.stem)
        if key:
            hint = suites.load(week).hints.get((function, key)) or suites.load(week).hints[("*", key)]
            if not any(f"Hint: {hint}." in t["output"] for t in failed):
                missed.append(f"{path.name}: no test gave the hint {key!r}")
    assert not missed, "\n".join(missed)
