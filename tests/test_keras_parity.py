"""Keras parity: every reference function against the real Keras layer.

Hypothesis draws the *shape* of each case (batch 1..3, odd and even sizes,
non-square kernels and windows, per-axis strides, both paddings, dtype, the kind
of values) plus a seed; the values come from NumPy's generator with that seed, so
a case prints as one readable line and a large array costs nothing to draw. Kinds
of values: normal, small integers (ties and zeros), all negative (max pooling
"same": padding must never win), large (relu of values > 6, softmax of logits
~1e3) and extreme (only -1000, 0, 1000: softmax rows like [1000, 0]).

Keras computes in float32, so each layer is built with dtype float32 and fed the
float32 cast of the inputs; its output is compared with the reference run in
float64 on those same float32 values, and with the reference run on the inputs
as given (float32 stays float32, ints become float64). Both comparisons use
``reference.tolerance`` -- the helper the grader uses -- and the reference must
leave its inputs unchanged.

Examples per function: ``EXAMPLES`` below (derandomized, so CI runs the same
cases every time). ``cnn_forward`` builds a whole Sequential model per example
(~25 ms), so it runs fewer.
"""
import dataclasses
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import reference
from reference.tolerance import RTOL, allclose, magnitude, within

try:
    import keras
except ImportError:  # pragma: no cover - only without the [dev] extra
    if os.environ.get("CI"):
        pytest.fail("tensorflow/keras is not installed: the Keras parity suite must run in CI "
                    "(install the test extra: pip install -e '.[dev]').", pytrace=False)
    pytest.skip("keras is not installed (pip install -e '.[dev]')", allow_module_level=True)

# ~2-10 ms per example (one Keras layer built and called eagerly); cnn_forward ~25 ms (a model).
EXAMPLES = {"relu": 400, "softmax": 400, "flatten": 400, "dense": 500,
            "conv2d": 600, "conv2d_one_column": 150, "max_pool2d": 500, "avg_pool2d": 500, "cnn_forward": 250}
KINDS = ("normal", "integers", "negative", "large", "extreme")
DTYPES = ("float32", "float64", "int64")


def parity(name):
    return settings(max_examples=EXAMPLES[name], derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


# --- values -------------------------------------------------------------------------------

def make_values(rng, shape, kind, dtype):
    """An array of ``shape`` filled according to ``kind`` (see the module docstring)."""
    if kind == "normal":
        a = rng.standard_normal(shape)
    elif kind == "integers":
        a = rng.integers(-3, 4, shape).astype(np.float64)
    elif kind == "negative":
        a = -rng.uniform(0.5, 10.0, shape)
    elif kind == "large":
        a = rng.standard_normal(shape) * 1e3
    else:
        a = rng.choice([-1000.0, 0.0, 1000.0], shape)
    return (np.rint(a) if dtype == "int64" else a).astype(dtype)


def weights_for(rng, shape, dtype):
    """Kernel / bias values: normal floats, or small integers when the case is integer."""
    return make_values(rng, shape, "integers" if dtype == "int64" else "normal", dtype)


def f32(a):
    """What Keras sees: the float32 cast."""
    return None if a is None else np.asarray(a, dtype=np.float32)


def f32_as_f64(a):
    """The same float32 values, computed on in float64 (the reference's ground truth)."""
    return None if a is None else np.asarray(a, dtype=np.float32).astype(np.float64)


def run_keras(layer, x):
    return keras.ops.convert_to_numpy(layer(f32(x)))


# --- comparison ---------------------------------------------------------------------------

def assert_close(got, expected, scale, what):
    """``allclose`` from reference.tolerance, with a message that shows the worst value."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    bad = ~within(got, expected, scale)
    if bad.any():
        excess = np.where(bad, np.abs(got.astype(np.float64) - expected) / np.maximum(scale, 1e-300), 0)
        at = np.unravel_index(np.argmax(excess), excess.shape)
        raise AssertionError(
            f"{what}: {bad.sum()} of {bad.size} values outside rtol={RTOL} x scale; worst at {at}: "
            f"got {got[at]!r}, expected {expected[at]!r}, scale {np.asarray(scale)[at]!r}")
    assert allclose(got, expected, scale)


def native_dtype(name, dtype):
    """Float inputs keep their dtype (float32 stays float32, as in Keras); relu and flatten keep
    integers as they are, every other function computes integers in float64."""
    if dtype == "int64" and name not in ("relu", "flatten"):
        return np.dtype(np.float64)
    return np.dtype(dtype)


def check(name, keras_out, arrays, kwargs, case):
    """Compare Keras's output with reference.<name>(*arrays, **kwargs) both ways (module docstring)."""
    fn = getattr(reference, name)
    truth_args = [f32_as_f64(a) for a in arrays]
    expected = fn(*truth_args, **kwargs)
    assert_close(keras_out, expected, magnitude(name, *truth_args, **kwargs),
                 f"{name} {case}: Keras (float32) vs reference (float64 on the float32 inputs)")

    before = [None if a is None else a.copy() for a in arrays]
    native = fn(*arrays, **kwargs)
    for a, b in zip(arrays, before):
        if a is not None:
            np.testing.assert_array_equal(a, b, err_msg=f"{name} modified its input")
    assert native.dtype == native_dtype(name, case.dtype), f"{name} {case}: dtype {native.dtype}"
    assert_close(keras_out, native, magnitude(name, *arrays, **kwargs),
                 f"{name} {case}: Keras vs reference on the {case.dtype} inputs")


def note_padding(case, window, strides):
    """Record (for --hypothesis-show-statistics) how TF pads the rows: e.g. 'same, pad rows 0/1'."""
    if case.padding == "valid":
        return event("valid")
    (k, _), (s, _) = _pair(window), _pair(strides)
    total = max((-(-case.h // s) - 1) * s + k - case.h, 0)
    event(f"same, pad rows {total // 2}/{total - total // 2}")


# --- cases --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ElementCase:
    """relu / softmax / flatten: one array of ``shape``."""
    shape: tuple
    dtype: str
    kind: str
    seed: int

    def x(self):
        return make_values(np.random.default_rng(self.seed), self.shape, self.kind, self.dtype)


@st.composite
def element_cases(draw, min_rank=1, max_rank=4, max_side=6):
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=min_rank, max_size=max_rank)))
    return ElementCase(shape, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(KINDS)),
                       draw(st.integers(0, 2**32 - 1)))


@dataclasses.dataclass(frozen=True)
class DenseCase:
    n: int
    d_in: int
    d_out: int
    bias: bool
    dtype: str
    kind: str
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        x = make_values(rng, (self.n, self.d_in), self.kind, self.dtype)
        kernel = weights_for(rng, (self.d_in, self.d_out), self.dtype)
        return x, kernel, weights_for(rng, (self.d_out,), self.dtype) if self.bias else None


@st.composite
def dense_cases(draw):
    return DenseCase(draw(st.integers(1, 3)), draw(st.integers(1, 64)), draw(st.integers(1, 10)),
                     draw(st.booleans()), draw(st.sampled_from(DTYPES)), draw(st.sampled_from(KINDS)),
                     draw(st.integers(0, 2**32 - 1)))


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@dataclasses.dataclass(frozen=True)
class ConvCase:
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    kernel: tuple
    strides: object
    padding: str
    bias: bool
    dtype: str
    kind: str
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        x = make_values(rng, (self.n, self.h, self.w, self.c_in), self.kind, self.dtype)
        kernel = weights_for(rng, (*self.kernel, self.c_in, self.c_out), self.dtype)
        return x, kernel, weights_for(rng, (self.c_out,), self.dtype) if self.bias else None


@st.composite
def conv_cases(draw):
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    # "valid" needs the kernel to fit; "same" takes any size, even a kernel larger than the image.
    h = draw(st.integers(kh if padding == "valid" else 1, 10))
    w = draw(st.integers(kw if padding == "valid" else 1, 10))
    return ConvCase(draw(st.integers(1, 3)), h, w, draw(st.integers(1, 5)), draw(st.integers(1, 5)),
                    (kh, kw), draw(pairs), padding, draw(st.booleans()), draw(st.sampled_from(DTYPES)),
                    draw(st.sampled_from(KINDS)), draw(st.integers(0, 2**32 - 1)))


@st.composite
def one_column_conv_cases(draw):
    """Outputs one column wide with a column stride above 1 (oneDNN's wrong corner, see below)."""
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    strides = (draw(st.integers(1, 3)), draw(st.integers(2, 3)))
    h = draw(st.integers(kh if padding == "valid" else 1, 10))
    # 'valid': floor((W - KW) / sw) + 1 == 1; 'same': ceil(W / sw) == 1
    w = draw(st.integers(kw, kw + strides[1] - 1) if padding == "valid" else st.integers(1, strides[1]))
    return ConvCase(draw(st.integers(1, 3)), h, w, draw(st.integers(1, 5)), draw(st.integers(1, 5)),
                    (kh, kw), strides, padding, draw(st.booleans()), draw(st.sampled_from(DTYPES)),
                    draw(st.sampled_from(KINDS)), draw(st.integers(0, 2**32 - 1)))


@dataclasses.dataclass(frozen=True)
class PoolCase:
    n: int
    h: int
    w: int
    c: int
    pool_size: object
    strides: object
    padding: str
    dtype: str
    kind: str
    seed: int

    def x(self):
        rng = np.random.default_rng(self.seed)
        return make_values(rng, (self.n, self.h, self.w, self.c), self.kind, self.dtype)

    def kwargs(self):
        return {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}


@st.composite
def pool_cases(draw):
    padding = draw(st.sampled_from(["valid", "same"]))
    pool_size = draw(pairs)
    ph, pw = _pair(pool_size)
    h = draw(st.integers(ph if padding == "valid" else 1, 10))
    w = draw(st.integers(pw if padding == "valid" else 1, 10))
    return PoolCase(draw(st.integers(1, 3)), h, w, draw(st.integers(1, 4)), pool_size,
                    draw(st.one_of(st.none(), pairs)), padding, draw(st.sampled_from(DTYPES)),
                    draw(st.sampled_from(KINDS)), draw(st.integers(0, 2**32 - 1)))


@dataclasses.dataclass(frozen=True)
class CnnCase:
    n: int
    h: int
    w: int
    c: int
    filters: int
    kernel: tuple
    classes: int
    dtype: str
    kind: str
    seed: int


@st.composite
def cnn_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    # The 2x2 "valid" pool needs a conv output of at least 2x2: size >= kernel + 1.
    return CnnCase(draw(st.integers(1, 3)), draw(st.integers(kh + 1, 12)), draw(st.integers(kw + 1, 12)),
                   draw(st.integers(1, 3)), draw(st.integers(1, 8)), (kh, kw), draw(st.integers(2, 10)),
                   draw(st.sampled_from(DTYPES)), draw(st.sampled_from(KINDS)), draw(st.integers(0, 2**32 - 1)))


# --- the parity tests -----------------------------------------------------------------------

@parity("relu")
@given(element_cases())
@example(ElementCase((2, 5), "float32", "large", 1))      # values far above 6: ReLU has no cap
@example(ElementCase((3, 4, 4, 2), "int64", "integers", 2))
def test_relu(case):
    x = case.x()
    check("relu", run_keras(keras.layers.ReLU(dtype="float32"), x), [x], {}, case)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")  # size-1 class axis
@parity("softmax")
@given(element_cases(max_rank=3, max_side=12))
@example(ElementCase((4, 2), "float32", "extreme", 3))    # rows like [1000, 0] and [-1000, -1000]
@example(ElementCase((2, 10), "float64", "large", 4))
def test_softmax(case):
    x = case.x()
    check("softmax", run_keras(keras.layers.Softmax(dtype="float32"), x), [x], {}, case)


def test_softmax_of_1000_and_0_is_1_and_0():
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0], [-1000.0, -1000.0], [1000.0, 1000.0]])
    got = reference.softmax(logits)
    keras_out = run_keras(keras.layers.Softmax(dtype="float32"), logits)
    assert np.isfinite(got).all()
    assert_close(keras_out, got, magnitude("softmax", logits), "softmax of +-1000 rows")
    np.testing.assert_array_equal(got, [[1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5]])


@parity("flatten")
@given(element_cases(min_rank=1, max_rank=5))
@example(ElementCase((2, 3, 4, 5), "float32", "normal", 5))  # channels-last order matters here
def test_flatten(case):
    x = case.x()
    check("flatten", run_keras(keras.layers.Flatten(dtype="float32"), x), [x], {}, case)


@parity("dense")
@given(dense_cases())
@example(DenseCase(2, 64, 10, True, "float32", "large", 6))
def test_dense(case):
    x, kernel, bias = case.arrays()
    layer = keras.layers.Dense(case.d_out, use_bias=bias is not None, dtype="float32")
    layer.build((None, case.d_in))
    layer.set_weights([f32(kernel)] + ([f32(bias)] if bias is not None else []))
    check("dense", run_keras(layer, x), [x, kernel, bias], {}, case)


def _conv_example(h, w, kernel, strides, padding="same", dtype="float32", kind="normal", seed=0):
    return example(ConvCase(2, h, w, 2, 3, kernel, strides, padding, True, dtype, kind, seed))


@parity("conv2d")
@given(conv_cases())
# TensorFlow's "same" rule puts the odd pad cell at the bottom / right: with H=6, k=3, stride 2
# the total pad is 1, so there is none at the top at all.
@_conv_example(6, 6, (3, 3), 2)
@_conv_example(6, 7, (3, 3), (2, 2))            # rows: pad (0, 1); columns: pad (1, 1)
@_conv_example(6, 5, (3, 2), (2, 1))            # non-square kernel, per-axis strides
@_conv_example(8, 8, (4, 4), 2, dtype="float64")  # even kernel: pad (1, 1)
@_conv_example(5, 5, (2, 2), 1, kind="integers")  # stride 1, even kernel: pad (0, 1)
@_conv_example(7, 7, (3, 3), 1, padding="valid", dtype="int64", kind="integers")
def test_conv2d(case):
    _conv2d_parity(case)


def _conv2d_parity(case):
    x, kernel, bias = case.arrays()
    layer = keras.layers.Conv2D(case.c_out, case.kernel, strides=case.strides, padding=case.padding,
                                use_bias=bias is not None, dtype="float32")
    layer.build((None, case.h, case.w, case.c_in))
    layer.set_weights([f32(kernel)] + ([f32(bias)] if bias is not None else []))
    kwargs = {"strides": case.strides, "padding": case.padding}
    note_padding(case, case.kernel, case.strides)
    check("conv2d", run_keras(layer, x), [x, kernel, bias], kwargs, case)


@settings(parent=parity("conv2d"), max_examples=EXAMPLES["conv2d_one_column"])
@given(one_column_conv_cases())
@_conv_example(4, 3, (1, 2), (1, 3), padding="valid")     # issue 12's example
@_conv_example(5, 2, (2, 2), (1, 2))
@_conv_example(6, 4, (3, 3), (2, 3), padding="valid", dtype="float64")
@_conv_example(3, 3, (2, 1), 3, kind="integers")
def test_conv2d_one_output_column(case):
    """The corner where TensorFlow's default oneDNN conv2d is wrong: the oracle (oneDNN off,
    conftest.py) and the reference must agree there too."""
    kw, sw = case.kernel[1], _pair(case.strides)[1]
    assert sw > 1 and ((case.w - kw) // sw + 1 if case.padding == "valid" else -(-case.w // sw)) == 1
    _conv2d_parity(case)


def _pool_example(h, w, pool_size, strides, padding="same", kind="negative", dtype="float32", seed=0):
    return example(PoolCase(2, h, w, 3, pool_size, strides, padding, dtype, kind, seed))


@parity("max_pool2d")
@given(pool_cases())
@_pool_example(6, 6, 3, 2)                 # no top pad (see test_conv2d); all negative: pad never wins
@_pool_example(5, 5, 2, None)              # the lecture's 5x5 -> 3x3 "same" pooling
@_pool_example(6, 7, (2, 3), (1, 2))
@_pool_example(4, 4, 3, 1, kind="large")   # pad on both sides
def test_max_pool2d(case):
    x = case.x()
    layer = keras.layers.MaxPooling2D(case.pool_size, case.strides, case.padding, dtype="float32")
    note_padding(case, case.pool_size, case.strides or case.pool_size)
    check("max_pool2d", run_keras(layer, x), [x], case.kwargs(), case)


@parity("avg_pool2d")
@given(pool_cases())
@_pool_example(6, 6, 3, 2, kind="normal")  # no top pad; the bottom windows average 2x3, 3x2, 2x2 cells
@_pool_example(5, 5, 2, None, kind="integers")  # corner window: 1 real cell, divides by 1
@_pool_example(4, 4, 3, 1, kind="large", dtype="float64")
@_pool_example(7, 6, (3, 2), (2, 1), kind="negative", dtype="int64")
def test_avg_pool2d(case):
    x = case.x()
    layer = keras.layers.AveragePooling2D(case.pool_size, case.strides, case.padding, dtype="float32")
    note_padding(case, case.pool_size, case.strides or case.pool_size)
    check("avg_pool2d", run_keras(layer, x), [x], case.kwargs(), case)


@parity("cnn_forward")
@given(cnn_cases())
@example(CnnCase(2, 28, 28, 1, 8, (3, 3), 10, "float32", "normal", 7))   # MNIST-sized
@example(CnnCase(1, 7, 6, 2, 3, (2, 3), 4, "int64", "integers", 8))      # odd conv output: pool drops a row
def test_cnn_forward(case):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((case.h, case.w, case.c)),
        layers.Conv2D(case.filters, case.kernel, activation="relu", dtype="float32"),
        layers.MaxPooling2D(2, dtype="float32"),
        layers.Flatten(dtype="float32"),
        layers.Dense(case.classes, activation="softmax", dtype="float32"),
    ])
    rng = np.random.default_rng(case.seed)
    x = make_values(rng, (case.n, case.h, case.w, case.c), case.kind, case.dtype)
    # Our own weights go in through set_weights and come back through get_weights, so the
    # reference receives exactly the list layout the CONTRACT promises (model.get_weights()).
    model.set_weights([weights_for(rng, w.shape, case.dtype).astype(np.float32) for w in model.get_weights()])
    weights = model.get_weights()
    keras_out = keras.ops.convert_to_numpy(model(f32(x)))
    probs = reference.cnn_forward(f32_as_f64(x), [w.astype(np.float64) for w in weights])
    assert_close(keras_out, probs, magnitude("cnn_forward", f32_as_f64(x), weights),
                 f"cnn_forward {case}: Keras Sequential vs reference")
    native = reference.cnn_forward(x, weights)
    assert_close(keras_out, native, magnitude("cnn_forward", x, weights), f"cnn_forward {case}: on the {case.dtype} input")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


# --- the lecture's worked example, through Keras -------------------------------------------

def test_lecture_example_matches_keras():
    """Keras agrees with the hand-computed maps of tests/test_lecture_example.py (middle cell 0)."""
    from test_lecture_example import DETECTOR, FEATURE_MAP, IMAGE, POOLED_SAME

    conv = keras.layers.Conv2D(1, 3, use_bias=False, dtype="float32")
    conv.build((None, 7, 7, 1))
    conv.set_weights([f32(DETECTOR[:, :, None, None])])
    feature_map = run_keras(conv, IMAGE[None, :, :, None])
    pooled = run_keras(keras.layers.MaxPooling2D(2, 2, "same", dtype="float32"), feature_map)
    np.testing.assert_array_equal(feature_map[0, :, :, 0], FEATURE_MAP)
    np.testing.assert_array_equal(pooled[0, :, :, 0], POOLED_SAME)


# --- the tolerance itself is meaningful -----------------------------------------------------
# A wide conv: 5x5 kernel over 32 channels, 800 terms per value, zero-mean data so that
# large terms cancel, as they do in real networks.

def _wide_conv(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 14, 14, 32)).astype(np.float32)
    kernel = (rng.standard_normal((5, 5, 32, 16)) * 0.1).astype(np.float32)
    layer = keras.layers.Conv2D(16, 5, use_bias=False, dtype="float32")
    layer.build((None, 14, 14, 32))
    layer.set_weights([kernel])
    truth = reference.conv2d(x.astype(np.float64), kernel.astype(np.float64))
    return x, kernel, run_keras(layer, x), truth, magnitude("conv2d", x, kernel)


def test_float32_arithmetic_passes_at_32_channels():
    """Keras's float32 conv and the reference computed in float32 are both within tolerance."""
    x, kernel, keras_out, truth, scale = _wide_conv()
    assert allclose(keras_out, truth, scale)
    assert allclose(reference.conv2d(x, kernel), truth, scale)


def test_flat_tolerance_fails_at_32_channels_where_the_scaled_one_holds():
    """A flat rtol=1e-5, atol=1e-6 rejects honest float32 (Keras!) output where terms cancel."""
    _, _, keras_out, truth, scale = _wide_conv()
    assert allclose(keras_out, truth, scale)
    assert not np.allclose(keras_out, truth, rtol=1e-5, atol=1e-6)


def test_scale_from_the_output_alone_fails_where_terms_cancel():
    """rtol x |output| rejects honest float32 output: near-zero outputs come from large terms."""
    _, _, keras_out, truth, scale = _wide_conv()
    assert allclose(keras_out, truth, scale)
    assert not allclose(keras_out, truth, np.abs(truth))


def _float16(a):
    return np.asarray(a, dtype=np.float16)


def _float32(a):
    return np.asarray(a, dtype=np.float32) if isinstance(a, np.ndarray) else a


def test_float16_computation_fails():
    """Computing in float16 (inputs and arithmetic) fails every function but cnn_forward on everyday inputs.

    The limit, honestly: for a wide layer with zero-mean weights (800 terms, as in
    _wide_conv) float16's errors grow like sqrt(terms) while the scale grows like
    terms, so there float16 conv and dense can pass. cnn_forward's logits get the
    dense scale, so a float16 network (thousands of terms per logit) passes too;
    the element-wise functions, pooling, softmax and small layers (the MNIST first
    layer: 9 terms per value) always catch it.
    """
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 1, (8, 28, 28, 1))                    # MNIST-like pixels
    kernel, bias = rng.standard_normal((3, 3, 1, 32)), rng.standard_normal(32)
    features = rng.standard_normal((4, 26, 26, 32))
    logits = rng.standard_normal((8, 10)) * 3
    d_x, d_k = rng.standard_normal((4, 20)), rng.standard_normal((20, 10))
    cases = {
        "relu": (features,), "flatten": (features,), "softmax": (logits,),
        "max_pool2d": (features, 2), "avg_pool2d": (features, 2),
        "conv2d": (image, kernel, bias), "dense": (d_x, d_k),
    }
    for name, args in cases.items():
        fn = getattr(reference, name)
        truth, scale = fn(*args), magnitude(name, *args)
        got = fn(*[_float16(a) if isinstance(a, np.ndarray) else a for a in args])
        assert got.dtype == np.float16, name
        assert not allclose(got, truth, scale), f"{name}: float16 passed the tolerance"
        assert allclose(fn(*[_float32(a) for a in args]), truth, scale), f"{name}: float32 failed"


def test_float32_softmax_passes_with_huge_close_logits():
    """Rounding logits of 1e4 to float32 moves probabilities by ~2e-4 (more than RTOL):
    the probability scale allows for the logits' own rounding, so honest float32 passes,
    while a confident row like [1000, 0] keeps the plain 1e-4."""
    rng = np.random.default_rng(2)
    logits = 1e4 + rng.standard_normal((50, 3)) * 2
    truth, scale = reference.softmax(logits), magnitude("softmax", logits)
    keras_out = run_keras(keras.layers.Softmax(dtype="float32"), logits)
    assert np.abs(keras_out - truth).max() > RTOL   # a flat 1e-4 would fail honest float32 here
    assert allclose(keras_out, truth, scale)
    assert allclose(reference.softmax(logits.astype(np.float32)), truth, scale)
    np.testing.assert_array_equal(magnitude("softmax", np.array([[1000.0, 0.0]])), [[1.0, 1.0]])


# --- the grader's committed fixtures, recomputed by live Keras ----------------------------

def _keras_layer(function, case):
    """The Keras layer (or model) that ``function`` stands for, with the case's weights."""
    layers, kw = keras.layers, case.kwargs
    if function == "relu":
        return layers.ReLU(dtype="float32")
    if function == "softmax":
        return layers.Softmax(dtype="float32")
    if function == "flatten":
        return layers.Flatten(dtype="float32")
    if function in ("max_pool2d", "avg_pool2d"):
        cls = layers.MaxPooling2D if function == "max_pool2d" else layers.AveragePooling2D
        return cls(kw.get("pool_size", 2), kw.get("strides"), kw.get("padding", "valid"), dtype="float32")
    bias = kw.get("bias")
    if function in ("dense", "conv2d"):
        kernel = f32(case.args[1])
        if function == "dense":
            layer = layers.Dense(kernel.shape[1], use_bias=bias is not None, dtype="float32")
        else:
            layer = layers.Conv2D(kernel.shape[3], kernel.shape[:2], strides=kw.get("strides", 1),
                                  padding=kw.get("padding", "valid"), use_bias=bias is not None,
                                  dtype="float32")
        layer.build(case.args[0].shape)
        layer.set_weights([kernel] + ([f32(bias)] if bias is not None else []))
        return layer
    x, weights = case.args
    model = keras.Sequential([
        keras.Input(x.shape[1:]),
        layers.Conv2D(weights[0].shape[3], weights[0].shape[:2], activation="relu", dtype="float32"),
        layers.MaxPooling2D(2, dtype="float32"), layers.Flatten(dtype="float32"),
        layers.Dense(weights[2].shape[1], activation="softmax", dtype="float32")])
    model.set_weights([f32(w) for w in weights])
    return model


def _fixture_params():
    from autograder import course, suites

    for lab in ("week08", "week09"):
        for function in course.load().lab(lab).functions:
            for i, case in enumerate(suites.fixture_cases(lab, function)):
                yield pytest.param(function, case, id=f"{function}-{i}")


@pytest.mark.parametrize("function, case", list(_fixture_params()))
def test_committed_fixture_is_what_keras_computes(function, case):
    """The grader's "golden Keras fixtures" really are Keras's answers (not the reference's)."""
    got = run_keras(_keras_layer(function, case), case.args[0])
    truth_args = [f32_as_f64(a) if isinstance(a, np.ndarray) else [f32_as_f64(w) for w in a]
                  for a in case.args]
    kwargs = {k: f32_as_f64(v) if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
    assert_close(got, case.expected, magnitude(function, *truth_args, **kwargs),
                 f"{function} fixture {case.label!r}: live Keras vs the committed expected output")


# --- the oracle's own defect --------------------------------------------------------------

ONEDNN_EXAMPLE = """
import json, sys
import numpy as np
import tensorflow as tf
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 4, 3, 1)).astype(np.float32)
kernel = rng.standard_normal((1, 2, 1, 1)).astype(np.float32)
out = tf.nn.conv2d(x, kernel, strides=(1, 3), padding="VALID").numpy()
json.dump({"x": x.tolist(), "kernel": kernel.tolist(), "out": out.tolist(), "tf": tf.__version__}, sys.stdout)
"""


def test_the_oracle_runs_with_onednn_off():
    """conftest.py turns oneDNN off for every test, before TensorFlow is imported."""
    assert os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0"


def test_onednn_conv2d_defect_is_still_there():
    """TensorFlow 2.21's default oneDNN path computes conv2d wrongly when the output is one
    column wide and the column stride is above 1 (issue 12's example: x (2, 4, 3, 1), a (1, 2)
    kernel, strides (1, 3), 'valid'). Run with oneDNN on, in a subprocess (the only place a test
    does so), it must still disagree with the reference; the parity tests and the fixtures run
    with oneDNN off, and the student README tells students to set TF_ENABLE_ONEDNN_OPTS=0."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1", TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", ONEDNN_EXAMPLE], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout)
    x, kernel = np.array(data["x"], np.float32), np.array(data["kernel"], np.float32)
    expected = reference.conv2d(f32_as_f64(x), f32_as_f64(kernel), strides=(1, 3))
    got = np.array(data["out"], np.float32)
    scale = magnitude("conv2d", f32_as_f64(x), f32_as_f64(kernel), strides=(1, 3))
    assert got.shape == expected.shape == (2, 4, 1, 1)
    assert not allclose(got, expected, scale), (
        f"TensorFlow {data['tf']} with oneDNN on now computes this conv2d right: the defect is "
        "fixed, so this test and the README's TF_ENABLE_ONEDNN_OPTS=0 note for students can go")
