"""Keras parity of the recurrent reference: SimpleRNN, LSTM, GRU and the two Sequential classifiers.

Hypothesis draws the shape of each case (batch 1..3, time steps 1..6 with T = 1 drawn often,
features and units 1..5 with D = U drawn often, since a transposed kernel or recurrent kernel
hides exactly there), ``return_sequences``, whether an ``initial_state`` is given, whether the
layer has a bias, the dtype (float32 / float64) and a seed; the values come from NumPy's
generator with that seed. Keras computes in float32: its output is compared with the reference
run in float64 on the float32 cast of the inputs, and with the reference run on the inputs as
given (float32 stays float32), both with ``reference.tolerance``, the grader's own tolerance.
The reference must leave its inputs unchanged.

Speed: each Keras layer (and model) is built once per (features, units, bias, return_sequences)
and reused with ``set_weights``; one example costs one eager Keras call (~15-25 ms).
"""
import dataclasses
import functools
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # before TensorFlow is imported: plain float32 kernels
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import reference  # noqa: E402
from reference.tolerance import RTOL, allclose, magnitude, within  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:  # pragma: no cover - only without the [dev] extra
    if os.environ.get("CI"):
        pytest.fail("tensorflow/keras is not installed: the Keras parity suite must run in CI "
                    "(install the test extra: pip install -e '.[dev]').", pytrace=False)
    pytest.skip("keras is not installed (pip install -e '.[dev]')", allow_module_level=True)

EXAMPLES = {"simple_rnn_cell": 200, "simple_rnn": 250, "lstm": 250, "gru": 250,
            "rnn_forward": 150, "lstm_forward": 150}
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
LAYERS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def parity(name):
    return settings(max_examples=EXAMPLES[name], derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def f32(a):
    return None if a is None else np.asarray(a, dtype=np.float32)


def f32_as_f64(a):
    return None if a is None else np.asarray(a, dtype=np.float32).astype(np.float64)


def assert_close(got, expected, scale, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    bad = ~within(got, expected, scale)
    if bad.any():
        at = np.unravel_index(np.argmax(np.where(bad, np.abs(got - expected) / scale, 0)), bad.shape)
        raise AssertionError(f"{what}: {bad.sum()} of {bad.size} values outside rtol={RTOL} x scale; worst at "
                             f"{at}: got {got[at]!r}, expected {expected[at]!r}, scale {scale[at]!r}")
    assert allclose(got, expected, scale)


# ---------------------------------------------------------------- cases

@dataclasses.dataclass(frozen=True)
class RnnCase:
    layer: str            # simple_rnn / lstm / gru
    n: int
    t: int
    d: int
    u: int
    bias: bool
    return_sequences: bool
    initial_state: bool
    dtype: str
    seed: int

    def arrays(self):
        """x, kernel, recurrent_kernel, bias (or None), initial_state (or None), in ``dtype``."""
        rng = np.random.default_rng(self.seed)
        g = GATES[self.layer]
        x = rng.standard_normal((self.n, self.t, self.d))
        kernel = rng.standard_normal((self.d, g * self.u)) / np.sqrt(self.d)
        recurrent_kernel = rng.standard_normal((self.u, g * self.u)) / np.sqrt(self.u)
        bias = None
        if self.bias:
            bias = rng.standard_normal((2, 3 * self.u) if self.layer == "gru" else (g * self.u,)) * 0.5
        state = None
        if self.initial_state:
            state = np.tanh(rng.standard_normal((self.n, self.u)))
            if self.layer == "lstm":
                state = (state, rng.standard_normal((self.n, self.u)))
        cast = (lambda a: None if a is None else (tuple(v.astype(self.dtype) for v in a)
                                                  if isinstance(a, tuple) else a.astype(self.dtype)))
        return cast(x), cast(kernel), cast(recurrent_kernel), cast(bias), cast(state)


sizes = st.one_of(st.just(1), st.integers(1, 5))


@st.composite
def rnn_cases(draw, layer):
    d = draw(sizes)
    u = d if draw(st.booleans()) else draw(sizes)   # D = U half the time
    t = draw(st.sampled_from([1, 1, 2, 3, 4, 6]))
    return RnnCase(layer, draw(st.integers(1, 3)), t, d, u, draw(st.booleans()), draw(st.booleans()),
                   draw(st.booleans()), draw(st.sampled_from(["float32", "float64"])),
                   draw(st.integers(0, 2**32 - 1)))


@functools.cache
def keras_layer(layer, d, u, bias, return_sequences):
    cls = getattr(keras.layers, LAYERS[layer])
    built = cls(u, use_bias=bias, return_sequences=return_sequences, dtype="float32")
    built.build((None, None, d))
    return built


def keras_weights(x, bias, kernel, recurrent_kernel):
    return [f32(kernel), f32(recurrent_kernel)] + ([f32(bias)] if bias is not None else [])


def run_keras_rnn(case, x, kernel, recurrent_kernel, bias, state):
    layer = keras_layer(case.layer, case.d, case.u, case.bias, case.return_sequences)
    layer.set_weights(keras_weights(x, bias, kernel, recurrent_kernel))
    kwargs = {}
    if state is not None:
        kwargs["initial_state"] = [f32(s) for s in state] if isinstance(state, tuple) else [f32(state)]
    return keras.ops.convert_to_numpy(layer(f32(x), **kwargs))


def check(name, keras_out, args, kwargs, case):
    """Keras vs reference twice: float64 on the float32 inputs, and on the inputs as given."""
    fn = getattr(reference, name)
    as64 = lambda v: tuple(f32_as_f64(s) for s in v) if isinstance(v, tuple) else (  # noqa: E731
        [f32_as_f64(s) for s in v] if isinstance(v, list) else f32_as_f64(v))
    truth_args = [as64(a) for a in args]
    truth_kwargs = {k: as64(v) if k in ("bias", "initial_state") else v for k, v in kwargs.items()}
    expected = fn(*truth_args, **truth_kwargs)
    assert_close(keras_out, expected, magnitude(name, *truth_args, **truth_kwargs),
                 f"{name} {case}: Keras (float32) vs reference (float64 on the float32 inputs)")

    flat = [a for v in (*args, *kwargs.values()) for a in (v if isinstance(v, (list, tuple)) else [v])
            if isinstance(a, np.ndarray)]
    before = [a.copy() for a in flat]
    native = fn(*args, **kwargs)
    for a, b in zip(flat, before):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} modified its input")
    assert native.dtype == np.dtype(case.dtype), f"{name} {case}: dtype {native.dtype}"
    assert_close(keras_out, native, magnitude(name, *args, **kwargs),
                 f"{name} {case}: Keras vs reference on the {case.dtype} inputs")


# ---------------------------------------------------------------- the layers

@pytest.mark.parametrize("layer", ["simple_rnn", "lstm", "gru"])
def test_layer_matches_keras(layer):
    @parity(layer)
    @given(rnn_cases(layer))
    def run(case):
        x, kernel, recurrent_kernel, bias, state = case.arrays()
        keras_out = run_keras_rnn(case, x, kernel, recurrent_kernel, bias, state)
        kwargs = {"bias": bias, "return_sequences": case.return_sequences}
        if state is not None:
            kwargs["initial_state"] = state
        check(layer, keras_out, (x, kernel, recurrent_kernel), kwargs, case)

    run()


@parity("simple_rnn_cell")
@given(rnn_cases("simple_rnn"))
def test_simple_rnn_cell_matches_keras(case):
    """One step of SimpleRNN is the layer on a sequence of length 1, started from h_prev."""
    case = dataclasses.replace(case, t=1, initial_state=True, return_sequences=False)
    x, kernel, recurrent_kernel, bias, h_prev = case.arrays()
    keras_out = run_keras_rnn(case, x, kernel, recurrent_kernel, bias, h_prev)
    check("simple_rnn_cell", keras_out, (x[:, 0], h_prev, kernel, recurrent_kernel), {"bias": bias}, case)


def test_gate_orders_are_keras_own():
    """Read the gate order off Keras itself: a bias that opens one gate changes what it should."""
    d, u = 2, 3
    x = np.ones((1, 1, d), np.float32)
    zeros = dict(kernel=np.zeros((d, 4 * u), np.float32), recurrent_kernel=np.zeros((u, 4 * u), np.float32))
    bias = np.zeros(4 * u, np.float32)
    bias[2 * u:3 * u] = 5.0      # block 2 = the candidate c: c = sigmoid(0) * tanh(5)
    lstm = keras_layer("lstm", d, u, True, False)
    lstm.set_weights([zeros["kernel"], zeros["recurrent_kernel"], bias])
    got = keras.ops.convert_to_numpy(lstm(x))
    np.testing.assert_allclose(got, 0.5 * np.tanh(0.5 * np.tanh(5.0)) * np.ones((1, u)), rtol=1e-5)
    np.testing.assert_allclose(reference.lstm(x, zeros["kernel"], zeros["recurrent_kernel"], bias), got, rtol=1e-5)


# ---------------------------------------------------------------- the Sequential classifiers

@dataclasses.dataclass(frozen=True)
class NetCase:
    layer: str
    n: int
    t: int
    d: int
    u: int
    classes: int
    dtype: str
    scale: float
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        g = GATES[self.layer]
        x = rng.standard_normal((self.n, self.t, self.d))
        weights = [rng.standard_normal((self.d, g * self.u)) / np.sqrt(self.d),
                   rng.standard_normal((self.u, g * self.u)) / np.sqrt(self.u),
                   rng.standard_normal(g * self.u) * 0.5,
                   rng.standard_normal((self.u, self.classes)) * self.scale,
                   rng.standard_normal(self.classes)]
        return x.astype(self.dtype), [w.astype(self.dtype) for w in weights]


@st.composite
def net_cases(draw, layer):
    return NetCase(layer, draw(st.integers(1, 3)), draw(st.sampled_from([1, 2, 4, 8])), draw(sizes), draw(sizes),
                   draw(st.integers(2, 5)), draw(st.sampled_from(["float32", "float64"])),
                   draw(st.sampled_from([1.0, 1.0, 30.0])), draw(st.integers(0, 2**32 - 1)))


@functools.cache
def keras_model(layer, d, u, classes):
    recurrent_layer = getattr(keras.layers, LAYERS[layer])(u)
    model = keras.Sequential([keras.Input((None, d)), recurrent_layer,
                              keras.layers.Dense(classes, activation="softmax")])
    return model


@pytest.mark.parametrize("name, layer", [("rnn_forward", "simple_rnn"), ("lstm_forward", "lstm")])
def test_classifier_matches_a_keras_sequential_model(name, layer):
    @parity(name)
    @given(net_cases(layer))
    def run(case):
        x, weights = case.arrays()
        model = keras_model(layer, case.d, case.u, case.classes)
        model.set_weights([f32(w) for w in weights])
        keras_out = keras.ops.convert_to_numpy(model(f32(x)))
        check(name, keras_out, (x, weights), {}, case)

    run()
