"""Hypothesis strategies and checks shared by the weekly suites.

Strategies draw ``Case`` objects over the CONTRACT's whole domain: batches and
channels above 1, odd and even sizes, non-square kernels and windows, strides
as an int or a pair, both paddings, float32 / float64 / integer inputs. Shapes
are drawn by Hypothesis (so a failure shrinks to the smallest shapes and
arguments); the values come from a NumPy generator seeded by a drawn integer,
which keeps drawing fast and the shrunk example small to print.

Sizes stay small (H, W <= 9, channels and filters <= 3) so that a correct
four-loop Python ``conv2d`` passes far inside the default time budget.
"""
import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st

import reference
from reference import tolerance

from . import Case


def _ignore_local_constants():
    """Stop Hypothesis from mixing literals of the loaded local modules into its examples.

    Hypothesis (since 6.131) now and then draws a constant found in the source of whatever
    non-site-packages modules happen to be imported, and caches them under ./.hypothesis.
    That would make the examples depend on how the grader was started (CLI, pytest, a pool
    process) and write into the instructor's folder; a grade must depend on neither.
    """
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty


_ignore_local_constants()

FLOATS = ("float64", "float32")
MAX_SIDE = 9
SEEDS = st.integers(0, 2**32 - 1)
_UNSET = object()


def grader_settings(max_examples):
    """Settings that make a regrade identical: no randomness, no database, no clocks."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
    )


# ---------------------------------------------------------------- values

def values(rng, shape, dtype, style="normal", scale=1.0):
    """An array of ``shape`` and ``dtype``.

    Styles: ``normal`` (standard normal times ``scale``), ``negative`` (all
    values below zero, so padding that wins a max pool shows), ``image``
    (integers 0..9, an integer image; with a float dtype, integer-valued floats).
    """
    if style == "image":
        arr = rng.integers(0, 10, size=shape)
    elif style == "negative":
        arr = -np.abs(rng.standard_normal(shape)) * scale - 0.5
    else:
        arr = rng.standard_normal(shape) * scale
    return arr.astype(dtype)


def strides_forms(low=1, high=3):
    """``strides`` as the CONTRACT allows it: omitted (the default), an int, or a pair."""
    return st.one_of(st.just(_UNSET), st.integers(low, high), st.tuples(st.integers(low, high),
                                                                       st.integers(low, high)))


def _pair(value, default):
    if value is _UNSET or value is None:
        return default
    return (value, value) if isinstance(value, int) else value


# ---------------------------------------------------------------- strategies

@st.composite
def elementwise_cases(draw, dtypes=FLOATS, scale=1.0, max_ndim=4):
    """relu: any shape (1-D to 4-D), values scaled by ``scale``."""
    ndim = draw(st.integers(1, max_ndim))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(dtypes))
    style = "image" if dtype == "int64" else "normal"
    rng = np.random.default_rng(draw(SEEDS))
    x = values(rng, shape, dtype, style, scale) if style == "normal" else rng.integers(-20, 21, shape)
    return Case((x,))


@st.composite
def dense_cases(draw, bias=(True, False), dtypes=FLOATS, max_in=8, x_style="normal"):
    """dense: x (N, D_in), kernel (D_in, D_out), bias (D_out,) given, omitted, or None."""
    n, d_in, d_out = draw(st.integers(1, 4)), draw(st.integers(1, max_in)), draw(st.integers(1, 5))
    with_bias = draw(st.sampled_from(bias))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    x = values(rng, (n, d_in), "int64" if x_style == "image" else dtype, x_style)
    kernel = values(rng, (d_in, d_out), dtype)
    kwargs = {}
    if with_bias is True:
        kwargs["bias"] = values(rng, (d_out,), dtype)
    elif with_bias is None:
        kwargs["bias"] = None
    return Case((x, kernel), kwargs)


@st.composite
def softmax_cases(draw, dtypes=FLOATS, scale=3.0, min_ndim=1, max_ndim=3):
    """softmax: logits of ``min_ndim`` to ``max_ndim`` axes; ``scale`` 1000 makes exp overflow."""
    ndim = draw(st.integers(min_ndim, max_ndim))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    return Case((values(rng, shape, dtype, "normal", scale),))


@st.composite
def conv_cases(draw, padding, dtypes=FLOATS, style="normal", scale=1.0, max_kernel=4):
    """conv2d over the whole domain for one ``padding`` ("valid" may be passed or left out)."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    low_h, low_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, MAX_SIDE)), draw(st.integers(low_w, MAX_SIDE))
    strides = draw(strides_forms())
    with_bias = draw(st.booleans())
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    x = values(rng, (n, h, w, c_in), dtype, style, scale)
    kernel_dtype = "float64" if dtype == "int64" else dtype  # integer images, float weights
    kernel = values(rng, (kh, kw, c_in, c_out), kernel_dtype, "normal", scale)
    kwargs = {}
    if with_bias:
        kwargs["bias"] = values(rng, (c_out,), kernel_dtype)
    if strides is not _UNSET:
        kwargs["strides"] = strides
    if padding == "same" or draw(st.booleans()):
        kwargs["padding"] = padding
    return Case((x, kernel), kwargs)


@st.composite
def pool_cases(draw, padding, dtypes=FLOATS, style="normal"):
    """max/avg pooling: windows int, pair or default (2), strides default / int / pair."""
    pool = draw(st.one_of(st.just(_UNSET), st.integers(1, 3),
                          st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ph, pw = _pair(pool, (2, 2))
    strides = draw(st.one_of(st.just(_UNSET), st.just(None), st.integers(1, 3),
                             st.tuples(st.integers(1, 3), st.integers(1, 3))))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    low_h, low_w = (ph, pw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, MAX_SIDE)), draw(st.integers(low_w, MAX_SIDE))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    x = values(rng, (n, h, w, c), dtype, "image" if dtype == "int64" else style)
    kwargs = {}
    if pool is not _UNSET:
        kwargs["pool_size"] = pool
    if strides is not _UNSET:
        kwargs["strides"] = strides
    if padding == "same" or draw(st.booleans()):
        kwargs["padding"] = padding
    return Case((x,), kwargs)


@st.composite
def flatten_cases(draw, dtypes=FLOATS + ("int64",)):
    """flatten: (N, ...) of 2 to 5 axes, NHWC first (Hypothesis shrinks towards it)."""
    ndim = draw(st.sampled_from((4, 2, 3, 5)))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    return Case((values(rng, shape, dtype, "image" if dtype == "int64" else "normal"),))


@st.composite
def cnn_cases(draw, dtypes=FLOATS, logit_scale=1.0, style="normal"):
    """cnn_forward: a random small network Conv2D(valid) -> ReLU -> MaxPool(2) -> Dense -> softmax."""
    n, c, filters, classes = (draw(st.integers(1, 3)), draw(st.integers(1, 2)),
                              draw(st.integers(1, 3)), draw(st.integers(2, 5)))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh + 1, MAX_SIDE)), draw(st.integers(kw + 1, MAX_SIDE))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(SEEDS))
    features = ((h - kh + 1) // 2) * ((w - kw + 1) // 2) * filters
    weight_dtype = "float64" if dtype == "int64" else dtype
    x = values(rng, (n, h, w, c), dtype, "image" if dtype == "int64" else style)
    weights = [values(rng, (kh, kw, c, filters), weight_dtype),
               values(rng, (filters,), weight_dtype),
               values(rng, (features, classes), weight_dtype, "normal", logit_scale),
               values(rng, (classes,), weight_dtype)]
    return Case((x, weights))


# ---------------------------------------------------------------- checks

def arrays_in(case):
    """The arrays of a call in the order they appear (args, then kwargs; lists depth first)."""
    found = []

    def walk(value):
        if isinstance(value, np.ndarray):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for value in (*case.args, *case.kwargs.values()):
        walk(value)
    return found


def _as_float64(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    if isinstance(value, list):
        return [_as_float64(v) for v in value]
    return value


def expected_for(function, case):
    """``(expected, scale)`` in float64: the golden answer (or the reference's) and its tolerance scale."""
    args = tuple(_as_float64(a) for a in case.args)
    kwargs = {k: _as_float64(v) for k, v in case.kwargs.items()}
    if case.expected is not None:
        expected = np.asarray(case.expected, dtype=np.float64)
    else:
        expected = np.asarray(getattr(reference, function)(*args, **kwargs), dtype=np.float64)
    return expected, np.asarray(tolerance.magnitude(function, *args, **kwargs), dtype=np.float64)


def same_bits(a, b):
    """True when ``b`` is bit for bit the array ``a`` (dtype, shape and every byte)."""
    b = np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------- symptoms shared by the weeks

COMMON_HINTS = {
    ("*", "integer output"): "the result was rounded to integers: create the output with a float dtype "
                             "(np.zeros(shape) rather than np.zeros_like(an integer x))",
    ("*", "precision"): "close but not accurate enough: compute in float32 or float64, not float16",
}


def _float16_like(got):
    """True when every value sits on float16's grid (and not all are integers): float16 arithmetic."""
    got = np.asarray(got, dtype=np.float64)
    on_grid = np.array_equal(got.astype(np.float16).astype(np.float64), got)
    return on_grid and not np.array_equal(got, np.round(got))


def common_symptom(status, case, got, expected, scale):
    """"integer output" or "precision" when a wrong answer shows that fingerprint, else None."""
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    if np.isfinite(expected).all() and np.isfinite(got).all():
        integer_input = any(a.dtype.kind in "iu" for a in arrays_in(case))
        visible = (np.abs(got) >= 1).any()  # an all-zero answer is not a truncation fingerprint
        if integer_input and visible and np.allclose(got, np.trunc(expected), rtol=0, atol=1e-9):
            return "integer output"
        # float16 keeps ~3 digits: every value on its grid, or all errors within a few 1e-3 of the scale.
        # (For probabilities the scale is 1, where small errors prove little: the grid test only.)
        probabilities = bool(np.all(scale == 1))
        if tolerance.allclose(got, expected, scale, rtol=1e-2) and (_float16_like(got) or (
                not probabilities and tolerance.allclose(got, expected, scale, rtol=5e-3))):
            return "precision"
    return None
