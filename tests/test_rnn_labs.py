"""The week 10 and week 11 labs: their data, and their public checks (solutions/lab_checks.py).

- the shipped weights, run through the reference, predict exactly what Keras predicted
  (``keras_predicted``, stored by scripts/make_lab_data.py) and classify the digits well;
- each public check passes the reference fast, with the lab's data file in reach;
- the public checks catch the usual mistakes of the buggy corpus in one sentence that names
  the rule, and fail an untouched stub with "not implemented".

Takes ~3 s (the notebooks themselves are built and run by tests/test_labs.py).
"""
import ast
import importlib.util
import pathlib
import time

import numpy as np
import pytest

import reference

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
CORPUS = ROOT / "tests" / "corpus"
LAB_OF = {"simple_rnn_cell": "week10", "simple_rnn": "week10", "rnn_forward": "week10",
          "lstm": "week11", "gru": "week11", "lstm_forward": "week11"}
WEIGHTS = ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")

spec = importlib.util.spec_from_file_location("lab_checks", SOLUTIONS / "lab_checks.py")
lab_checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab_checks)


@pytest.mark.parametrize("week, forward, gates", [("week10", "rnn_forward", 1), ("week11", "lstm_forward", 4)])
def test_lab_data_reproduces_keras(week, forward, gates):
    with np.load(SOLUTIONS / week / "digits.npz") as data:
        assert data["images"].shape == (360, 8, 8) and data["images"].dtype == np.uint8
        weights = [data[k] for k in WEIGHTS]
        assert [w.shape for w in weights] == [(8, 16 * gates), (16, 16 * gates), (16 * gates,), (16, 10), (10,)]
        probs = getattr(reference, forward)(data["images"] / 16.0, weights)
        assert np.array_equal(probs.argmax(axis=1), data["keras_predicted"])
        assert np.mean(data["keras_predicted"] == data["labels"]) > 0.9


@pytest.mark.parametrize("name", sorted(LAB_OF))
def test_public_checks_pass_the_reference_quickly(name, monkeypatch):
    monkeypatch.chdir(SOLUTIONS / LAB_OF[name])  # the forward checks also run the trained network
    start = time.perf_counter()
    lab_checks.CHECKS[name](getattr(reference, name))
    assert time.perf_counter() - start < 2, f"the {name} check is slow"


def _function(path, name):
    """``name`` as defined by a corpus file (with the helpers it needs), run in-process."""
    scope = {}
    exec(compile(ast.parse(path.read_text()), str(path), "exec"), scope)
    return scope[name]


# (buggy corpus file, words of the public check's one-sentence failure)
CAUGHT = [
    ("week10/cell_no_activation", "worked example"),
    ("week10/cell_sigmoid", "worked example"),
    ("week10/cell_no_bias", "tanh(h_prev @ recurrent_kernel + bias)"),
    ("week10/cell_transposed_recurrent", "tanh(h_prev @ recurrent_kernel + bias)"),
    ("week10/cell_swapped_kernels", "simple_rnn_cell("),
    ("week10/rnn_state_not_carried", "worked example"),
    ("week10/rnn_time_major", "expected (1, 3, 1)"),
    ("week10/rnn_ignores_return_sequences", "return_sequences=True"),
    ("week10/rnn_first_state", "the last state"),
    ("week10/rnn_initial_state_ignored", "from initial_state"),
    ("week10/rnn_initial_state_in_place", "changed its input"),
    ("week10/forward_no_softmax", "sum to 1"),
    ("week10/forward_softmax_over_batch", "sum to 1"),
    ("week10/forward_mean_state", "last time step"),
    ("week11/lstm_gate_order_ifoc", "gates i, f, c, o"),
    ("week11/lstm_returns_cell_state", "the output is h, not c"),
    ("week11/lstm_initial_state_swapped", "(h0, c0), in that order"),
    ("week11/lstm_cell_state_not_carried", "c2 = 0.75"),
    ("week11/lstm_initial_state_ignored", "(h0, c0)"),
    ("week11/gru_update_flipped", "h = z * h_prev + (1 - z) * candidate"),
    ("week11/gru_gate_order_rzh", "block 0 of z, r, h"),
    ("week11/gru_reset_before", "reset_after=True"),
    ("week11/gru_ignores_recurrent_bias", "reset_after=True"),
    ("week11/gru_bias_outside_reset", "reset_after=True"),
    ("week11/gru_initial_state_in_place", "changed its input"),
    ("week11/lstm_forward_no_softmax", "sum to 1"),
    ("week11/lstm_forward_first_state", "last time step"),
]


@pytest.mark.parametrize("file, words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_public_checks_catch_the_usual_mistakes_in_one_sentence(file, words, monkeypatch):
    week, stem = file.split("/")
    path = CORPUS / week / "buggy" / (stem + ".py")
    function = path.read_text().splitlines()[0].split(":")[1].strip()
    monkeypatch.chdir(SOLUTIONS / LAB_OF[function])
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
        lab_checks.CHECKS[function](_function(path, function))
    message = str(failure.value)
    assert words in message, message
    assert "\n" not in message and len(message) < 500, message


@pytest.mark.parametrize("name", sorted(LAB_OF))
def test_an_untouched_stub_is_not_implemented(name, monkeypatch):
    monkeypatch.chdir(SOLUTIONS / LAB_OF[name])

    def stub(*args, **kwargs):
        ...

    with pytest.raises(AssertionError, match=f"{name} is not implemented yet"):
        lab_checks.CHECKS[name](stub)


def test_the_demo_grades_every_lab_with_example_submissions():
    """The demo finds its labs in the syllabus (weeks 8 to 11), each with a few correct and buggy students."""
    from autograder import course, demo

    assert demo.example_labs() == ["week08", "week09", "week10", "week11"]
    roster = {line.split(",")[0] for line in (ROOT / "examples" / "roster.csv").read_text().splitlines()[1:]}
    for week in ("week10", "week11"):
        students = {p.stem for p in (ROOT / "examples" / "class" / week).iterdir()}
        assert len(students) >= 6 and students <= roster, students - roster
        assert course.load().lab(week).points == 5
