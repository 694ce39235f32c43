"""Hidden tests for week 10 (Introduction to RNN): simple_rnn_cell, simple_rnn, rnn_forward.

Points (the week is worth 5 in the syllabus; the judge scales these weights to
the syllabus, so they only need to be right relative to each other):

    simple_rnn_cell  1.25  one step: which matrix meets which input, the bias, tanh
    simple_rnn       2.25  the recurrence: state carried, initial state, last vs all states
    rnn_forward      1.50  puts it together; checked against a Keras SimpleRNN trained on digits

Every weight is a multiple of 0.25, so scores are exact binary fractions.
"""
import numpy as np

from . import Case, Suite, Test, fixture_cases
from . import properties as p
from . import sequences as s

FUNCTIONS = ("simple_rnn_cell", "simple_rnn", "rnn_forward")


def _edge_rnn_cases():
    """Fixed simple_rnn cases where the usual slips show (answers from the reference)."""
    rng = np.random.default_rng(10)

    def case(label, n, t, d, u, **kwargs):
        x = rng.standard_normal((n, t, d))
        kernel, recurrent_kernel, bias = s._weights(rng, "simple_rnn", d, u, "float64")
        if kwargs.pop("state", False):
            kwargs["initial_state"] = np.tanh(rng.standard_normal((n, u)))
        return Case((x, kernel, recurrent_kernel), {"bias": bias, **kwargs}, label)

    return (
        case("a single time step (T = 1)", 2, 1, 3, 2),
        case("features = units (D = U = 3): kernel and recurrent_kernel have the same shape", 2, 4, 3, 3),
        case("batch = time steps (N = T = 3): time-major reading has the right shape", 3, 3, 2, 2),
        case("a batch of one, 5 steps, every state returned", 1, 5, 2, 3, return_sequences=True),
        case("an initial state and every state returned", 2, 4, 3, 2, return_sequences=True, state=True),
    )


def _edge_cell_cases():
    rng = np.random.default_rng(11)
    d = u = 3
    kernel, recurrent_kernel, bias = s._weights(rng, "simple_rnn", d, u, "float64")
    x_t, h_prev = rng.standard_normal((2, d)), np.tanh(rng.standard_normal((2, u)))
    return (
        Case((x_t, h_prev, kernel, recurrent_kernel), {"bias": bias},
             "features = units (D = U = 3): kernel and recurrent_kernel have the same shape"),
        Case((x_t, np.zeros((2, u)), kernel, recurrent_kernel), {"bias": bias},
             "h_prev = 0: only the input and the bias count"),
        Case((x_t[:1], h_prev[:1], kernel, recurrent_kernel), {}, "a batch of one, no bias"),
    )


SUITE_TESTS = (
    Test("simple_rnn_cell", "matches Keras SimpleRNNCell on golden fixtures (the lecture-style worked "
         "example, D = U, no bias)", 0.25, cases=fixture_cases("week10", "simple_rnn_cell")),
    Test("simple_rnn_cell", "matches the reference on random inputs (batches, features, units, with and "
         "without bias)", 0.5, strategy=s.cell_cases(), max_examples=30),
    Test("simple_rnn_cell", "edge cases: D = U, a zero previous state, a batch of one", 0.25,
         cases=_edge_cell_cases()),
    Test("simple_rnn_cell", "integer inputs and float32 stay accurate", 0.25,
         strategy=s.cell_cases(dtypes=("int64", "float32"), x_style="image"), max_examples=15),

    Test("simple_rnn", "matches Keras SimpleRNN on golden fixtures (last state, every state, an initial "
         "state)", 0.5, cases=fixture_cases("week10", "simple_rnn")),
    Test("simple_rnn", "returns the last state (N, U) on random sequences (T = 1 to 6, with and without "
         "bias)", 0.5, strategy=s.layer_cases("simple_rnn", return_sequences=(False,), bias=(True, False, None)),
         max_examples=30),
    Test("simple_rnn", "return_sequences=True returns every state (N, T, U)", 0.5,
         strategy=s.layer_cases("simple_rnn", return_sequences=(True,)), max_examples=25),
    Test("simple_rnn", "starts from initial_state when it is given (zeros when it is None)", 0.5,
         strategy=s.layer_cases("simple_rnn", initial_state=(True, None)), max_examples=25),
    Test("simple_rnn", "edge cases: T = 1, D = U, N = T, a batch of one", 0.25, cases=_edge_rnn_cases()),

    Test("rnn_forward", "reproduces a Keras SimpleRNN trained on sklearn digits (8 steps of 8 pixels; "
         "float and integer pixels)", 0.5, cases=fixture_cases("week10", "rnn_forward")),
    Test("rnn_forward", "matches the reference on random small networks and sequences", 0.75,
         strategy=s.classifier_cases("simple_rnn", dtypes=p.FLOATS + ("int64",)), max_examples=25),
    Test("rnn_forward", "large logits do not overflow the softmax", 0.25,
         strategy=s.classifier_cases("simple_rnn", dtypes=("float64",), logit_scale=300.0), max_examples=10),
)


# ---------------------------------------------------------------- hints

_LAYER_ADVICE = {
    "initial state ignored": "start the recurrence from initial_state when it is given (zeros only when it "
                             "is None)",
    "state not carried": "carry the state: each step uses the h computed at the step before, not the "
                         "initial state",
    "last vs all": "return the last state h_T (N, U) by default, and every state stacked as (N, T, U) "
                   "when return_sequences=True",
    "time major": "x is batch-major (N, T, D): step over x[:, t], not x[t]",
    "gate order": "the kernel's blocks are in Keras's order",
    "no bias": "add the bias when it is given",
    "no tanh": "apply tanh to x_t @ kernel + h @ recurrent_kernel + bias",
    "bias twice": "add the bias once per step (if the projection x @ kernel already holds it, not again "
                  "in the loop)",
    "transposed": "use recurrent_kernel as Keras stores it: h @ recurrent_kernel, not h @ recurrent_kernel.T",
}

HINTS = {
    ("simple_rnn_cell", "swapped"): "x_t meets kernel (D, U) and h_prev meets recurrent_kernel (U, U): "
                                    "x_t @ kernel + h_prev @ recurrent_kernel",
    ("simple_rnn_cell", "transposed"): "use kernel (D, U) and recurrent_kernel (U, U) as Keras stores them, "
                                       "without .T",
    ("simple_rnn_cell", "no bias"): "add the bias (one value per unit) when it is given",
    ("simple_rnn_cell", "no tanh"): "finish with tanh: tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)",
    ("simple_rnn_cell", "sigmoid"): "SimpleRNN's activation is tanh, not sigmoid",
    ("simple_rnn_cell", "shape"): "the new state is (N, U): x_t (N, D) @ kernel (D, U) + h_prev (N, U) @ "
                                  "recurrent_kernel (U, U)",
    **{("simple_rnn", k): v for k, v in _LAYER_ADVICE.items() if k != "gate order"},
    ("simple_rnn", "swapped"): "x_t meets kernel (D, U) and the state meets recurrent_kernel (U, U)",
    ("simple_rnn", "shape"): "the result is (N, U), or (N, T, U) with return_sequences=True; x is "
                             "(N, T, D), batch first",
    ("rnn_forward", "no softmax"): "finish with softmax over the classes (each row sums to 1)",
    ("rnn_forward", "first state"): "the Dense layer reads the last state h_T, not the first",
    ("rnn_forward", "mean of states"): "the Dense layer reads the last state h_T, not the mean of the states",
    ("rnn_forward", "time major"): "x is batch-major (N, T, D): step over x[:, t]",
    ("rnn_forward", "softmax axis"): "softmax over the classes (the last axis), one row per sequence",
    ("rnn_forward", "layer"): "the SimpleRNN inside is wrong: fix simple_rnn first (its own tests say how)",
    ("rnn_forward", "overflow"): "subtract the row max before exp in softmax",
    ("rnn_forward", "shape"): "the result is (N, classes): SimpleRNN's last state (N, U) -> Dense -> softmax",
    ("rnn_forward", "layers"): "check each layer: simple_rnn(x, kernel, recurrent_kernel, bias) gives the "
                               "last state (N, U) -> dense(h, dense_kernel, dense_bias) -> softmax",
}


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _diagnose_cell(status, case, got, expected):
    x_t, h_prev, kernel, recurrent_kernel = (_f64(a) for a in case.args)
    bias = _f64(case.kwargs.get("bias"))
    b = 0 if bias is None else bias
    if status == "wrong shape":
        return "shape"
    if status != "wrong values":
        return None
    return s.first_reproduced(got, [
        ("swapped", lambda: np.tanh(x_t @ recurrent_kernel + h_prev @ kernel + b)),
        ("transposed", lambda: np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel.T + b)),
        ("transposed", lambda: np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + b)),
        ("no bias", lambda: np.tanh(x_t @ kernel + h_prev @ recurrent_kernel) if bias is not None else None),
        ("no tanh", lambda: x_t @ kernel + h_prev @ recurrent_kernel + b),
        ("sigmoid", lambda: s.reference.recurrent.sigmoid(x_t @ kernel + h_prev @ recurrent_kernel + b)),
    ])


def _diagnose_rnn(status, case, got, expected):
    if status not in ("wrong shape", "wrong values"):
        return None
    kw = s.layer_kwargs(case)
    swapped = []
    if kw["x"].shape[2] == kw["kernel"].shape[0] == kw["kernel"].shape[1]:
        swapped = [("swapped", lambda: s.run_layer("simple_rnn", **{**kw, "kernel": kw["recurrent_kernel"],
                                                                    "recurrent_kernel": kw["kernel"]}))]
    key = s.first_reproduced(got, s.layer_mistakes("simple_rnn", case) + swapped)
    return key or ("shape" if status == "wrong shape" else None)


def diagnose(function, status, case, got, expected, scale):
    """The hint key for a failure, or None: recomputes the case with the usual mistakes."""
    key = None
    try:
        if function == "simple_rnn_cell":
            key = _diagnose_cell(status, case, got, expected)
        elif function == "simple_rnn":
            key = _diagnose_rnn(status, case, got, expected)
        else:
            key = s.diagnose_classifier("simple_rnn", status, case, got, expected)
    except (ValueError, TypeError, IndexError):  # a diagnosis that does not apply to this case
        key = None
    # The shared fingerprints last: tanh(z) is close to z for small z, which looks like lost precision.
    if key in (None, "shape") and function != "rnn_forward":
        key = p.common_symptom(status, case, got, expected, scale) or key
    return key


SIGNATURES = {
    "simple_rnn_cell": "simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None)",
    "simple_rnn": "simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None)",
    "rnn_forward": "rnn_forward(x, weights) with weights = [kernel, recurrent_kernel, bias, dense_kernel, "
                   "dense_bias]",
}


SUITE = Suite("week10", FUNCTIONS, SUITE_TESTS, diagnose, {**HINTS, **p.COMMON_HINTS}, SIGNATURES)
