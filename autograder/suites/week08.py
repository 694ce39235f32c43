"""Hidden tests for week 8 (ANN lab): relu, dense, softmax.

Points (the week is worth 10 in the syllabus; the judge scales these weights to
the syllabus, so they only need to be right relative to each other):

    relu     2   one line of NumPy, but must keep values above 6 and leave x alone
    dense    4   shapes, the optional bias, integer inputs, wide float32 layers
    softmax  4   the last axis, and the overflow trap of exp(1000)

Every weight is a multiple of 0.25, so scores are exact binary fractions.
"""
import numpy as np

from reference import tolerance

from . import Case, Suite, Test, fixture_cases
from . import properties as p

FUNCTIONS = ("relu", "dense", "softmax")


def _edge_dense_cases():
    """Fixed dense cases with degenerate shapes (answers from the reference)."""
    rng = np.random.default_rng(8)
    return (
        Case((rng.standard_normal((1, 4)), rng.standard_normal((4, 3))), {"bias": rng.standard_normal(3)},
             "a batch of one sample"),
        Case((rng.standard_normal((5, 3)), rng.standard_normal((3, 1))), {"bias": rng.standard_normal(1)},
             "a single output unit: the result is (5, 1), not (5,)"),
        Case((rng.standard_normal((3, 1)), rng.standard_normal((1, 4))), {}, "a single input feature"),
    )


SUITE_TESTS = (
    Test("relu", "matches Keras ReLU on golden fixtures", 0.5, cases=fixture_cases("week08", "relu")),
    Test("relu", "matches the reference on random arrays of 1 to 4 axes (float32 and float64)", 0.75,
         strategy=p.elementwise_cases(), max_examples=25),
    Test("relu", "keeps large values (no cap at 6) and works on integer arrays", 0.75,
         strategy=p.elementwise_cases(dtypes=("float64", "float32"), scale=20.0)
         | p.elementwise_cases(dtypes=("int64",)), max_examples=20),

    Test("dense", "matches Keras Dense on golden fixtures", 1.0, cases=fixture_cases("week08", "dense")),
    Test("dense", "matches the reference on random inputs with a bias", 1.0,
         strategy=p.dense_cases(bias=(True,)), max_examples=25),
    Test("dense", "works without a bias (bias left out or bias=None)", 0.5,
         strategy=p.dense_cases(bias=(False, None)), max_examples=15),
    Test("dense", "stays accurate on wide float32 layers (up to 64 inputs)", 0.5,
         strategy=p.dense_cases(dtypes=("float32",), max_in=64), max_examples=15),
    Test("dense", "works on integer inputs", 0.5,
         strategy=p.dense_cases(dtypes=("float64",), x_style="image"), max_examples=15),
    Test("dense", "edge cases: a batch of one, a single input or output unit", 0.5,
         cases=_edge_dense_cases()),

    Test("softmax", "matches Keras Softmax on golden fixtures", 1.0, cases=fixture_cases("week08", "softmax")),
    Test("softmax", "matches the reference on random 2-D logits", 1.0,
         strategy=p.softmax_cases(min_ndim=2, max_ndim=2),
         max_examples=25),
    Test("softmax", "large logits like [1000, 0] do not overflow", 1.0,
         strategy=p.softmax_cases(scale=1000.0, min_ndim=2, max_ndim=2), max_examples=15),
    Test("softmax", "works over the last axis of 1-D, 2-D and 3-D inputs", 0.5,
         strategy=p.softmax_cases(max_ndim=3), max_examples=15),
    Test("softmax", "float32 logits stay accurate", 0.5,
         strategy=p.softmax_cases(dtypes=("float32",), scale=10.0, min_ndim=2, max_ndim=2), max_examples=15),
)


HINTS = {
    ("relu", "capped"): "ReLU has no upper cap: values above 6 stay as they are (that cap is ReLU6)",
    ("relu", "reduced"): "np.max(x, 0) takes the largest value along axis 0; element-wise is np.maximum(x, 0)",
    ("relu", "sign"): "keep the positive values and set every negative one to 0 (no slope, no sign "
                      "change): np.maximum(x, 0)",
    ("dense", "no bias"): "add the bias (one value per output unit) when it is given",
    ("dense", "transposed"): "kernel is (D_in, D_out) as Keras stores it: x @ kernel, not x @ kernel.T",
    ("dense", "single sample"): "x is a batch (N, D_in): compute x @ kernel for all rows at once, the result "
                                "is (N, D_out)",
    ("softmax", "overflow"): "subtract the row max before exp, so exp never overflows",
    ("softmax", "axis"): "normalize over the last axis: each row (x[..., :]) must sum to 1",
}


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _diagnose(function, status, case, got, expected, scale):
    """The usual mistakes that reproduce ``got`` on this case (each one recomputed)."""
    x = np.asarray(case.args[0], dtype=np.float64)
    if status == "wrong shape" and got is not None:
        if function == "relu" and x.ndim >= 1 and got.shape == x.max(axis=0).shape:
            return "reduced"
        if function == "dense" and x.shape[0] == 1 and got.shape == expected.shape[1:]:
            return "single sample"
        return None
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    if function == "relu":
        if np.array_equal(got, np.clip(x, 0, 6)):
            return "capped"
        negative = x < 0
        if negative.any() and np.array_equal(got[~negative], np.maximum(x[~negative], 0)):
            slopes = got[negative] / x[negative]
            if np.allclose(slopes, slopes[0]) and slopes[0] != 0:  # a leaky slope, or |x|
                return "sign"
    elif function == "dense":
        kernel = case.args[1].astype(np.float64)
        bias = case.kwargs.get("bias")
        plus = 0.0 if bias is None else bias.astype(np.float64)
        found = set()
        if bias is not None and tolerance.allclose(got, x @ kernel, scale):
            found.add("no bias")
        if kernel.shape[0] == kernel.shape[1] and tolerance.allclose(got, x @ kernel.T + plus, scale):
            found.add("transposed")
        return next(iter(found)) if len(found) == 1 else None
    elif function == "softmax":
        with np.errstate(over="ignore", invalid="ignore"):
            naive = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
        if not np.isfinite(got).all() and np.array_equal(np.isfinite(got), np.isfinite(naive)):
            return "overflow"
        if x.ndim >= 2:
            whole = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
            for other in (_softmax(x, 0), whole):
                if tolerance.allclose(got, other, scale):
                    return "axis"
    return None


def diagnose(function, status, case, got, expected, scale):
    """The hint key for a failure, or None: the usual mistake that reproduces the student's output.

    Crashes get the hints their exception identifies, in ``autograder.feedback``.
    """
    if status == "crashed":
        return None
    key = p.common_symptom(status, case, got, expected, scale)
    if key is not None:
        return key
    try:
        return _diagnose(function, status, case, got, expected, scale)
    except (ValueError, TypeError, IndexError):
        return None


SIGNATURES = {
    "relu": "relu(x)",
    "dense": "dense(x, kernel, bias=None)",
    "softmax": "softmax(x)",
}


SUITE = Suite("week08", FUNCTIONS, SUITE_TESTS, diagnose, {**HINTS, **p.COMMON_HINTS}, SIGNATURES)
