"""Hidden tests for week 11 (RNN & RNN Labs): lstm, gru, lstm_forward.

Points (the week is worth 5 in the syllabus; the judge scales these weights to
the syllabus, so they only need to be right relative to each other):

    lstm          2.0  four gates in Keras's order i, f, c, o; two states; h, not c, comes out
    gru           2.0  three gates z, r, h; reset after the recurrent product; two biases
    lstm_forward  1.0  puts it together; checked against a Keras LSTM trained on digits

Every weight is a multiple of 0.25, so scores are exact binary fractions.
"""
import numpy as np

from . import Case, Suite, Test, fixture_cases
from . import properties as p
from . import sequences as s

FUNCTIONS = ("lstm", "gru", "lstm_forward")


def _edge_cases(layer):
    """Fixed cases where the usual slips show (answers from the reference)."""
    rng = np.random.default_rng(11 if layer == "lstm" else 12)

    def case(label, n, t, d, u, **kwargs):
        x = rng.standard_normal((n, t, d))
        kernel, recurrent_kernel, bias = s._weights(rng, layer, d, u, "float64")
        if kwargs.pop("state", False):
            kwargs["initial_state"] = s._state(rng, layer, n, u, "float64")
        if kwargs.pop("no_bias", False):
            bias = None
        return Case((x, kernel, recurrent_kernel), {"bias": bias, **kwargs}, label)

    return (
        case("a single time step (T = 1)", 2, 1, 3, 2),
        case("features = units (D = U = 2)", 2, 4, 2, 2),
        case("batch = time steps (N = T = 3): time-major reading has the right shape", 3, 3, 2, 2),
        case("no bias (bias=None)", 2, 3, 2, 3, no_bias=True),
        case("an initial state and every state returned", 2, 4, 3, 2, return_sequences=True, state=True),
    )


def _layer_tests(layer, keras_name, state_words):
    return (
        Test(layer, f"matches Keras {keras_name} on golden fixtures (last state, every state, an initial "
             "state, no bias)", 0.5, cases=fixture_cases("week11", layer)),
        Test(layer, "returns the last h (N, U) on random sequences (T = 1 to 6, with and without bias)", 0.5,
             strategy=s.layer_cases(layer, return_sequences=(False,), bias=(True, False, None)), max_examples=30),
        Test(layer, "return_sequences=True returns every h (N, T, U)", 0.25,
             strategy=s.layer_cases(layer, return_sequences=(True,)), max_examples=20),
        Test(layer, f"starts from initial_state {state_words} when it is given (zeros when it is None)", 0.5,
             strategy=s.layer_cases(layer, initial_state=(True, None)), max_examples=25),
        Test(layer, "edge cases: T = 1, D = U, N = T, no bias", 0.25,
             cases=_edge_cases(layer)),
    )


SUITE_TESTS = (
    *_layer_tests("lstm", "LSTM", "(h0, c0)"),
    *_layer_tests("gru", "GRU (reset_after=True)", "h0"),
    Test("lstm_forward", "reproduces a Keras LSTM trained on sklearn digits (8 steps of 8 pixels; float "
         "and integer pixels)", 0.5, cases=fixture_cases("week11", "lstm_forward")),
    Test("lstm_forward", "matches the reference on random small networks and sequences (large logits "
         "too)", 0.5,
         strategy=s.classifier_cases("lstm", dtypes=p.FLOATS + ("int64",))
         | s.classifier_cases("lstm", dtypes=("float64",), logit_scale=300.0), max_examples=25),
)


# ---------------------------------------------------------------- hints

_SHARED = {
    "initial state ignored": "start the recurrence from initial_state when it is given (zeros only when it "
                             "is None)",
    "state not carried": "carry the state: each step uses the state computed at the step before, not the "
                         "initial state",
    "last vs all": "return the last h (N, U) by default, and every h stacked as (N, T, U) when "
                   "return_sequences=True",
    "time major": "x is batch-major (N, T, D): step over x[:, t], not x[t]",
    "no bias": "add the bias when it is given",
    "bias twice": "add the bias once per step (if the projection x @ kernel already holds it, not again "
                  "in the loop)",
    "hard sigmoid": "Keras 3's recurrent activation is the logistic sigmoid 1 / (1 + exp(-x)), not hard_sigmoid",
}

HINTS = {
    **{("lstm", k): v for k, v in _SHARED.items()},
    **{("gru", k): v for k, v in _SHARED.items()},
    ("lstm", "state not carried"): "carry both states: each step uses the h and the c computed at the step "
                                   "before",
    ("lstm", "gate order"): "Keras stores the LSTM's four blocks of U columns in the order i, f, c, o "
                            "(input, forget, cell candidate, output)",
    ("lstm", "cell state"): "return h = o * tanh(c), not the cell state c",
    ("lstm", "initial state swapped"): "initial_state is (h0, c0): the hidden state first, then the cell state",
    ("lstm", "shape"): "the result is (N, U), or (N, T, U) with return_sequences=True; kernel is (D, 4U): "
                       "U = kernel.shape[1] // 4",
    ("gru", "gate order"): "Keras stores the GRU's three blocks of U columns in the order z, r, h "
                           "(update, reset, candidate)",
    ("gru", "update direction"): "Keras keeps the old state where z is 1: h = z * h_prev + (1 - z) * candidate",
    ("gru", "reset before"): "with reset_after=True the reset gate multiplies the recurrent term after the "
                             "product: tanh(x_h + r * (h_prev @ U_h + b_rec_h)), not (r * h_prev) @ U_h",
    ("gru", "bias outside reset"): "the candidate's recurrent bias (bias[1], last U values) belongs inside the "
                                   "reset: tanh(x_h + r * (h_prev @ U_h + b_rec_h))",
    ("gru", "recurrent bias"): "the GRU has two bias rows: bias[0] goes with the input, bias[1] with the "
                               "recurrent product (inside the reset for the candidate)",
    ("gru", "shape"): "the result is (N, U), or (N, T, U) with return_sequences=True; kernel is (D, 3U), "
                      "bias (2, 3U)",
    ("lstm_forward", "no softmax"): "finish with softmax over the classes (each row sums to 1)",
    ("lstm_forward", "first state"): "the Dense layer reads the last h, not the first",
    ("lstm_forward", "mean of states"): "the Dense layer reads the last h, not the mean of the states",
    ("lstm_forward", "time major"): "x is batch-major (N, T, D): step over x[:, t]",
    ("lstm_forward", "softmax axis"): "softmax over the classes (the last axis), one row per sequence",
    ("lstm_forward", "layer"): "the LSTM inside is wrong: fix lstm first (its own tests say how)",
    ("lstm_forward", "overflow"): "subtract the row max before exp in softmax",
    ("lstm_forward", "shape"): "the result is (N, classes): the LSTM's last h (N, U) -> Dense -> softmax",
    ("lstm_forward", "layers"): "check each layer: lstm(x, kernel, recurrent_kernel, bias) gives the last h "
                                "(N, U) -> dense(h, dense_kernel, dense_bias) -> softmax",
}


def _diagnose_layer(layer, status, case, got):
    if status not in ("wrong shape", "wrong values"):
        return None
    key = s.first_reproduced(got, s.layer_mistakes(layer, case))
    return key or ("shape" if status == "wrong shape" else None)


def diagnose(function, status, case, got, expected, scale):
    """The hint key for a failure, or None: recomputes the case with the usual mistakes."""
    try:
        if function == "lstm_forward":
            key = s.diagnose_classifier("lstm", status, case, got, expected)
        else:
            key = _diagnose_layer(function, status, case, got)
    except (ValueError, TypeError, IndexError):  # a diagnosis that does not apply to this case
        key = None
    if key in (None, "shape") and function != "lstm_forward":
        key = p.common_symptom(status, case, got, expected, scale) or key
    return key


SIGNATURES = {
    "lstm": "lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None) with "
            "initial_state = (h0, c0)",
    "gru": "gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None)",
    "lstm_forward": "lstm_forward(x, weights) with weights = [kernel, recurrent_kernel, bias, dense_kernel, "
                    "dense_bias]",
}


SUITE = Suite("week11", FUNCTIONS, SUITE_TESTS, diagnose, {**HINTS, **p.COMMON_HINTS}, SIGNATURES)
