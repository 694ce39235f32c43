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


def _values_code(shape, dtype, style, scale):
    """The NumPy call that ``values`` makes, as code a student can paste (same bits)."""
    shape, times = repr(tuple(shape)), "" if scale == 1.0 else f" * {scale!r}"
    if style == "image":
        return f"rng.integers(0, 10, size={shape}).astype(np.{dtype})"
    if style == "negative":
        return f"(-np.abs(rng.standard_normal({shape})){times} - 0.5).astype(np.{dtype})"
    return f"(rng.standard_normal({shape}){times}).astype(np.{dtype})" if times else \
        f"rng.standard_normal({shape}).astype(np.{dtype})"


class Draw:
    """A seeded NumPy generator that writes down how it made each array.

    ``recipe`` is code that rebuilds the arrays bit for bit (``rng = np.random.default_rng(SEED)``
    and one line per array, in drawing order); feedback shows it when a case is too large to
    print as literals.
    """

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.lines = [f"rng = np.random.default_rng({seed})"]

    def __call__(self, name, shape, dtype, style="normal", scale=1.0):
        self.lines.append(f"{name} = {_values_code(shape, dtype, style, scale)}")
        return values(self.rng, shape, dtype, style, scale)

    def integers(self, name, low, high, shape):
        self.lines.append(f"{name} = rng.integers({low}, {high}, size={tuple(shape)!r})")
        return self.rng.integers(low, high, size=shape)

    def line(self, code):
        self.lines.append(code)

    @property
    def recipe(self):
        return "\n".join(self.lines)


def strides_forms(low=1, high=3):
    """``strides`` as the CONTRACT allows it: omitted (the default), an int, or a pair."""
    return st.one_of(st.just(_UNSET), st.integers(low, high), st.tuples(st.integers(low, high),
                                                                       st.integers(low, high)))


# Which strides a feature test draws: "any" (omitted, int or pair), "one" (omitted or 1),
# "int" (an int above 1), "pair" (a pair of two different steps), "strided" (int or pair, not 1).
STRIDE_MODES = ("any", "one", "int", "pair", "strided")


def _draw_strides(draw, mode, none_too=False):
    if mode == "any":
        forms = [st.just(_UNSET), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))]
        return draw(st.one_of(*forms, *([st.just(None)] if none_too else [])))
    if mode == "one":
        return draw(st.sampled_from([_UNSET, 1] + ([None] if none_too else [])))
    if mode == "int":
        return draw(st.integers(2, 3))
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    if mode == "pair":
        return draw(pair.filter(lambda p: p[0] != p[1]))
    return draw(st.one_of(st.integers(2, 3), pair.filter(lambda p: max(p) > 1)))


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
    gen = Draw(draw(SEEDS))
    x = gen("x", shape, dtype, style, scale) if style == "normal" else gen.integers("x", -20, 21, shape)
    return Case((x,), recipe=gen.recipe)


@st.composite
def dense_cases(draw, bias=(True, False), dtypes=FLOATS, max_in=8, x_style="normal"):
    """dense: x (N, D_in), kernel (D_in, D_out), bias (D_out,) given, omitted, or None."""
    n, d_in, d_out = draw(st.integers(1, 4)), draw(st.integers(1, max_in)), draw(st.integers(1, 5))
    with_bias = draw(st.sampled_from(bias))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    x = gen("x", (n, d_in), "int64" if x_style == "image" else dtype, x_style)
    kernel = gen("kernel", (d_in, d_out), dtype)
    kwargs = {}
    if with_bias is True:
        kwargs["bias"] = gen("bias", (d_out,), dtype)
    elif with_bias is None:
        kwargs["bias"] = None
    return Case((x, kernel), kwargs, recipe=gen.recipe)


@st.composite
def softmax_cases(draw, dtypes=FLOATS, scale=3.0, min_ndim=1, max_ndim=3):
    """softmax: logits of ``min_ndim`` to ``max_ndim`` axes; ``scale`` 1000 makes exp overflow."""
    ndim = draw(st.integers(min_ndim, max_ndim))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    return Case((gen("x", shape, dtype, "normal", scale),), recipe=gen.recipe)


@st.composite
def conv_cases(draw, padding, dtypes=FLOATS, style="normal", scale=1.0, max_kernel=4,
               strides="any", batch=(1, 3), channels=(1, 3), bias=(True, False)):
    """conv2d for one ``padding`` ("valid" may be passed or left out).

    The other features are narrowed for feature tests: ``strides`` one of ``STRIDE_MODES``,
    ``batch`` and ``channels`` ranges of N and of C_in / C_out, ``bias`` the choices of
    giving one. The defaults span the CONTRACT's whole domain.
    """
    n = draw(st.integers(*batch))
    c_in, c_out = draw(st.integers(*channels)), draw(st.integers(*channels))
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    low_h, low_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, MAX_SIDE)), draw(st.integers(low_w, MAX_SIDE))
    step = _draw_strides(draw, strides)
    with_bias = draw(st.sampled_from(bias))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    x = gen("x", (n, h, w, c_in), dtype, style, scale)
    kernel_dtype = "float64" if dtype == "int64" else dtype  # integer images, float weights
    kernel = gen("kernel", (kh, kw, c_in, c_out), kernel_dtype, "normal", scale)
    kwargs = {}
    if with_bias:
        kwargs["bias"] = gen("bias", (c_out,), kernel_dtype)
    if step is not _UNSET:
        kwargs["strides"] = step
    if padding == "same" or draw(st.booleans()):
        kwargs["padding"] = padding
    return Case((x, kernel), kwargs, recipe=gen.recipe)


@st.composite
def pool_cases(draw, padding, dtypes=FLOATS, style="normal", strides="any", windows="any",
               batch=(1, 3), channels=(1, 3)):
    """max/avg pooling for one ``padding``: windows and strides as ints, pairs or defaults.

    ``strides`` is one of ``STRIDE_MODES`` ("any" and "one" include None, which means the
    window); ``windows`` is "any" (default 2, int or pair), "int" (default or int) or "pair".
    """
    if windows == "pair":
        pool = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)).filter(lambda p: p[0] != p[1]))
    else:
        pool = draw(st.one_of(st.just(_UNSET), st.integers(1, 3),
                              *([st.tuples(st.integers(1, 3), st.integers(1, 3))] if windows == "any" else [])))
    ph, pw = _pair(pool, (2, 2))
    step = _draw_strides(draw, strides, none_too=True)
    n, c = draw(st.integers(*batch)), draw(st.integers(*channels))
    low_h, low_w = (ph, pw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, MAX_SIDE)), draw(st.integers(low_w, MAX_SIDE))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    x = gen("x", (n, h, w, c), dtype, "image" if dtype == "int64" else style)
    kwargs = {}
    if pool is not _UNSET:
        kwargs["pool_size"] = pool
    if step is not _UNSET:
        kwargs["strides"] = step
    if padding == "same" or draw(st.booleans()):
        kwargs["padding"] = padding
    return Case((x,), kwargs, recipe=gen.recipe)


@st.composite
def flatten_cases(draw, dtypes=FLOATS + ("int64",)):
    """flatten: (N, ...) of 2 to 5 axes, NHWC first (Hypothesis shrinks towards it)."""
    ndim = draw(st.sampled_from((4, 2, 3, 5)))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    return Case((gen("x", shape, dtype, "image" if dtype == "int64" else "normal"),), recipe=gen.recipe)


@st.composite
def cnn_cases(draw, dtypes=FLOATS, logit_scale=1.0, style="normal", batch=(1, 3)):
    """cnn_forward: a random small network Conv2D(valid) -> ReLU -> MaxPool(2) -> Dense -> softmax."""
    n, c, filters, classes = (draw(st.integers(*batch)), draw(st.integers(1, 2)),
                              draw(st.integers(1, 3)), draw(st.integers(2, 5)))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh + 1, MAX_SIDE)), draw(st.integers(kw + 1, MAX_SIDE))
    dtype = draw(st.sampled_from(dtypes))
    gen = Draw(draw(SEEDS))
    features = ((h - kh + 1) // 2) * ((w - kw + 1) // 2) * filters
    weight_dtype = "float64" if dtype == "int64" else dtype
    x = gen("x", (n, h, w, c), dtype, "image" if dtype == "int64" else style)
    weights = [gen("conv_kernel", (kh, kw, c, filters), weight_dtype),
               gen("conv_bias", (filters,), weight_dtype),
               gen("dense_kernel", (features, classes), weight_dtype, "normal", logit_scale),
               gen("dense_bias", (classes,), weight_dtype)]
    gen.line("weights = [conv_kernel, conv_bias, dense_kernel, dense_bias]")
    return Case((x, weights), recipe=gen.recipe)


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
