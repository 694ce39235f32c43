"""What the recurrent weeks (10 and 11) share: Hypothesis strategies of sequence cases, and the
usual mistakes, recomputed, for hints.

Strategies draw ``Case`` objects over CONTRACT section 1b's domain: batches, time steps (T = 1
drawn often), features and units (D = U drawn often, where a transposed or swapped kernel has
the right shape), ``return_sequences`` and ``initial_state`` given, left out or None, bias
given, left out or None, float32 / float64 (and integer pixels for the classifiers). Kernels
are scaled by ``1 / sqrt(fan_in)`` as Keras's initialisers are, so the states neither saturate
nor blow up and a wrong gate shows in the output.

``mistaken`` recomputes a case with one named mistake (gate order, reset before the recurrent
product, the update gate's direction, time-major input, initial state ignored, state not
carried, last vs all states, cell state returned, ...); a suite gives a hint only when the
student's output is what that mistake gives.
"""
import itertools

import numpy as np
from hypothesis import strategies as st

import reference
from reference import tolerance

from . import Case
from . import properties as p

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
SEEDS = p.SEEDS
_UNSET = object()


# ---------------------------------------------------------------- strategies

def _sizes(draw, max_side):
    d = draw(st.integers(1, max_side))
    u = d if draw(st.booleans()) else draw(st.integers(1, max_side))  # D = U half the time
    return d, u


def _weights(rng, layer, d, u, dtype, bias_scale=0.5):
    g = GATES[layer]
    kernel = (rng.standard_normal((d, g * u)) / np.sqrt(d)).astype(dtype)
    recurrent_kernel = (rng.standard_normal((u, g * u)) / np.sqrt(u)).astype(dtype)
    bias_shape = (2, 3 * u) if layer == "gru" else (g * u,)
    bias = (rng.standard_normal(bias_shape) * bias_scale).astype(dtype)
    return kernel, recurrent_kernel, bias


def _state(rng, layer, n, u, dtype):
    h0 = np.tanh(rng.standard_normal((n, u))).astype(dtype)
    if layer == "lstm":
        return (h0, rng.standard_normal((n, u)).astype(dtype))
    return h0


class _Recorder:
    """A seeded generator whose arrays are made by evaluating code, so the recipe that feedback
    shows for a large case (``Case.recipe``) rebuilds them bit for bit by construction."""

    def __init__(self, seed):
        self.scope = {"np": np, "rng": np.random.default_rng(seed)}
        self.lines = [f"rng = np.random.default_rng({seed})"]

    def __call__(self, name, code):
        self.lines.append(f"{name} = {code}")
        self.scope[name] = eval(code, self.scope)  # noqa: S307 - our own generator code, never input
        return self.scope[name]

    @property
    def recipe(self):
        return "\n".join(self.lines)


def _recorded_weights(rec, layer, d, u, dtype, kernel_scale=1.0):
    g = GATES[layer]
    scale = f" * {kernel_scale!r}" if kernel_scale != 1.0 else ""
    kernel = rec("kernel", f"(rng.standard_normal(({d}, {g * u})) / np.sqrt({d}){scale}).astype(np.{dtype})")
    recurrent_kernel = rec("recurrent_kernel", f"(rng.standard_normal(({u}, {g * u})) / np.sqrt({u})).astype(np.{dtype})")
    bias_shape = (2, 3 * u) if layer == "gru" else (g * u,)
    bias = rec("bias", f"(rng.standard_normal({bias_shape!r}) * 0.5).astype(np.{dtype})")
    return kernel, recurrent_kernel, bias


def _recorded_x(rec, name, shape, dtype, x_style):
    if x_style == "image":
        return rec(name, f"rng.integers(0, 17, size={shape!r}).astype(np.{dtype})")
    if x_style == "small integers":
        return rec(name, f"rng.integers(-3, 4, size={shape!r}).astype(np.{dtype})")
    return rec(name, f"rng.standard_normal({shape!r}).astype(np.{dtype})")


def _recorded_state(rec, layer, n, u, dtype):
    h0 = rec("h0" if layer == "lstm" else "initial_state", f"np.tanh(rng.standard_normal(({n}, {u}))).astype(np.{dtype})")
    if layer == "lstm":
        c0 = rec("c0", f"rng.standard_normal(({n}, {u})).astype(np.{dtype})")
        rec("initial_state", "(h0, c0)")
        return (h0, c0)
    return h0


@st.composite
def layer_cases(draw, layer, return_sequences=(False, True), initial_state=(False,), bias=(True,),
                dtypes=p.FLOATS, max_steps=6, max_side=4, x_style="normal"):
    """simple_rnn / lstm / gru: x (N, T, D) and the layer's weights.

    ``return_sequences``: the values to draw (False may be passed or left out).
    ``initial_state``: True (given), False (left out), None (passed as None).
    ``bias``: True (given), False (left out), None (passed as None).
    """
    n, t = draw(st.integers(1, 3)), draw(st.sampled_from((1,) + tuple(range(1, max_steps + 1))))
    d, u = _sizes(draw, max_side)
    dtype = draw(st.sampled_from(dtypes))
    sequences = draw(st.sampled_from(return_sequences))
    with_state, with_bias = draw(st.sampled_from(initial_state)), draw(st.sampled_from(bias))
    rec = _Recorder(draw(SEEDS))
    weight_dtype = "float64" if dtype == "int64" else dtype
    x = _recorded_x(rec, "x", (n, t, d), dtype, x_style)
    kernel, recurrent_kernel, b = _recorded_weights(rec, layer, d, u, weight_dtype,
                                                    1 / 16 if x_style == "image" else 1.0)
    kwargs = {}
    if with_bias is True:
        kwargs["bias"] = b
    elif with_bias is None:
        kwargs["bias"] = None
    if sequences or draw(st.booleans()):
        kwargs["return_sequences"] = sequences
    if with_state is True:
        kwargs["initial_state"] = _recorded_state(rec, layer, n, u, weight_dtype)
    elif with_state is None:
        kwargs["initial_state"] = None
    return Case((x, kernel, recurrent_kernel), kwargs, recipe=rec.recipe)


@st.composite
def cell_cases(draw, bias=(True, False, None), dtypes=p.FLOATS, x_style="normal", max_side=4):
    """simple_rnn_cell: x_t (N, D), h_prev (N, U), kernel (D, U), recurrent_kernel (U, U)."""
    n = draw(st.integers(1, 3))
    d, u = _sizes(draw, max_side)
    dtype = draw(st.sampled_from(dtypes))
    with_bias = draw(st.sampled_from(bias))
    rec = _Recorder(draw(SEEDS))
    weight_dtype = "float64" if dtype == "int64" else dtype
    x_t = _recorded_x(rec, "x_t", (n, d), dtype, "small integers" if x_style == "image" else x_style)
    h_prev = rec("h_prev", f"np.tanh(rng.standard_normal(({n}, {u}))).astype(np.{weight_dtype})")
    kernel, recurrent_kernel, b = _recorded_weights(rec, "simple_rnn", d, u, weight_dtype)
    kwargs = {}
    if with_bias is True:
        kwargs["bias"] = b
    elif with_bias is None:
        kwargs["bias"] = None
    return Case((x_t, h_prev, kernel, recurrent_kernel), kwargs, recipe=rec.recipe)


@st.composite
def classifier_cases(draw, layer, dtypes=p.FLOATS, logit_scale=1.0, x_style="normal", max_steps=8):
    """rnn_forward / lstm_forward: x (N, T, D), weights [kernel, recurrent_kernel, bias, dense_kernel, dense_bias]."""
    n, t = draw(st.integers(1, 3)), draw(st.integers(1, max_steps))
    d, u = _sizes(draw, 4)
    classes = draw(st.integers(2, 5))
    dtype = draw(st.sampled_from(dtypes))
    rec = _Recorder(draw(SEEDS))
    weight_dtype = "float64" if dtype == "int64" else dtype
    style = "image" if dtype == "int64" else x_style
    x = _recorded_x(rec, "x", (n, t, d), dtype, style)
    kernel, recurrent_kernel, bias = _recorded_weights(rec, layer, d, u, weight_dtype,
                                                       1 / 16 if style == "image" else 1.0)
    scale = f" * {logit_scale!r}" if logit_scale != 1.0 else ""
    dense_kernel = rec("dense_kernel", f"(rng.standard_normal(({u}, {classes})){scale}).astype(np.{weight_dtype})")
    dense_bias = rec("dense_bias", f"rng.standard_normal({classes}).astype(np.{weight_dtype})")
    rec("weights", "[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]")
    return Case((x, [kernel, recurrent_kernel, bias, dense_kernel, dense_bias]), recipe=rec.recipe)


# ---------------------------------------------------------------- the usual mistakes, recomputed

def _f64(a):
    if a is None:
        return None
    if isinstance(a, (list, tuple)):
        return type(a)(_f64(v) for v in a)
    return np.asarray(a, dtype=np.float64)


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def run_layer(layer, x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None, *,
              order=None, reset_before=False, update_flipped=False, carry=True, use_initial=True,
              return_cell=False, use_bias=True, recurrent_bias=True, sigmoid=reference.recurrent.sigmoid,
              activation=np.tanh, transpose=False, bias_times=1, transpose_recurrent=False, carry_cell=True,
              bias_outside_reset=False):
    """The layer, in float64, with the mistakes the keywords name (all off: the reference itself).

    order: the gate order the code assumes, as a permutation of Keras's blocks (e.g. (0, 1, 3, 2)
        reads an LSTM's kernel as i, f, o, c). reset_before: GRU's reset applied to h before
        the recurrent product. update_flipped: GRU's ``h = (1 - z) h + z candidate``.
        carry=False: every step starts again from the initial state. use_initial=False:
        initial_state ignored. return_cell: the LSTM's c instead of h. use_bias=False: bias
        ignored; recurrent_bias=False: GRU's bias[1] ignored. transpose: x read as (T, N, D).
        bias_times=2: the bias added twice. transpose_recurrent: SimpleRNN's (U, U) recurrent kernel
        transposed. carry_cell=False: the LSTM's c starts again from c0 at every step.
        bias_outside_reset: GRU's recurrent bias of the candidate added outside the reset.
    """
    x, kernel, recurrent_kernel, bias = (_f64(a) for a in (x, kernel, recurrent_kernel, bias))
    if transpose:
        x = x.transpose(1, 0, 2)
    g = GATES[layer]
    units = kernel.shape[1] // g
    if order is not None:
        cols = np.concatenate([np.arange(k * units, (k + 1) * units) for k in order])
        kernel, recurrent_kernel = kernel[:, cols], recurrent_kernel[:, cols]
        if bias is not None:
            bias = bias[..., cols]
    if not use_bias:
        bias = None
    elif bias is not None:
        bias = bias * bias_times
    if transpose_recurrent:
        recurrent_kernel = recurrent_kernel.T
    n = x.shape[0]
    state = _f64(initial_state) if (initial_state is not None and use_initial) else None
    if layer == "lstm":
        h0, c0 = state if state is not None else (np.zeros((n, units)), np.zeros((n, units)))
    else:
        if isinstance(state, (list, tuple)):
            state = state[0]
        h0 = state if state is not None else np.zeros((n, units))
        c0 = None
    h, c = h0, c0
    outputs = []
    for t in range(x.shape[1]):
        if not carry:
            h, c = h0, c0
        if not carry_cell:
            c = c0
        xt = x[:, t]
        if layer == "simple_rnn":
            pre = xt @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
            h = activation(pre)
            outputs.append(h)
        elif layer == "lstm":
            z = xt @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
            i, f, cz, o = (z[:, k * units:(k + 1) * units] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * activation(cz)
            h = sigmoid(o) * activation(c)
            outputs.append(c if return_cell else h)
        else:
            b_in = 0 if bias is None else bias[0]
            b_rec = 0 if (bias is None or not recurrent_bias) else bias[1]
            xs = xt @ kernel + b_in
            inner = h @ recurrent_kernel + b_rec
            split = lambda a, k: a[:, k * units:(k + 1) * units]  # noqa: E731
            z = sigmoid(split(xs, 0) + split(inner, 0))
            r = sigmoid(split(xs, 1) + split(inner, 1))
            if bias_outside_reset:
                hh = r * (h @ recurrent_kernel[:, 2 * units:]) + split(np.broadcast_to(b_rec, inner.shape), 2)
            elif reset_before:
                hh = (r * h) @ recurrent_kernel[:, 2 * units:] + split(np.broadcast_to(b_rec, inner.shape), 2)
            else:
                hh = r * split(inner, 2)
            cand = activation(split(xs, 2) + hh)
            h = (1 - z) * h + z * cand if update_flipped else z * h + (1 - z) * cand
            outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else outputs[-1]


def gate_orders(layer):
    """Every other order of the gate blocks (the identity left out)."""
    return [o for o in itertools.permutations(range(GATES[layer])) if o != tuple(range(GATES[layer]))]


def layer_kwargs(case):
    """The case's call as run_layer's keyword arguments (defaults filled in)."""
    x, kernel, recurrent_kernel = case.args[:3]
    return dict(x=x, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=case.kwargs.get("bias"),
                return_sequences=bool(case.kwargs.get("return_sequences", False)),
                initial_state=case.kwargs.get("initial_state"))


def reproduces(got, alternative):
    """True when the student's output is (to float32 accuracy) what the mistake gives."""
    if got is None or alternative is None:
        return False
    got, alternative = np.asarray(got, dtype=np.float64), np.asarray(alternative, dtype=np.float64)
    return got.shape == alternative.shape and bool(np.allclose(got, alternative, rtol=1e-4, atol=1e-5))


def first_reproduced(got, candidates):
    """The key of the first ``(key, thunk)`` whose recomputed output is the student's, or None."""
    for key, thunk in candidates:
        try:
            alternative = thunk()
        except (ValueError, TypeError, IndexError, FloatingPointError):
            continue
        if reproduces(got, alternative):
            return key
    return None


def layer_mistakes(layer, case):
    """``(hint key, thunk)`` of the usual mistakes of a whole layer, most specific first."""
    kw = layer_kwargs(case)
    run = lambda **m: (lambda: run_layer(layer, **{**kw, **m}))  # noqa: E731
    given_state = kw["initial_state"] is not None
    candidates = []
    if given_state:
        candidates.append(("initial state ignored", run(use_initial=False)))
        if layer == "lstm":
            h0, c0 = kw["initial_state"]
            candidates.append(("initial state swapped", run(initial_state=(c0, h0))))
    if kw["x"].shape[1] > 1:
        candidates.append(("state not carried", run(carry=False)))
    candidates.append(("last vs all", run(return_sequences=not kw["return_sequences"])))
    candidates.append(("last vs all", lambda: run_layer(layer, **{**kw, "return_sequences": True})[:, 0]))
    if kw["x"].shape[0] != kw["x"].shape[1] or kw["x"].shape[0] > 1:
        candidates.append(("time major", run(transpose=True)))
    if layer == "lstm":
        candidates.append(("cell state", run(return_cell=True)))
        if kw["x"].shape[1] > 1 or given_state:
            candidates.append(("state not carried", run(carry_cell=False)))
        if given_state:  # c never read at all: as if every step started from c = 0
            h0, c0 = kw["initial_state"]
            candidates.append(("state not carried", run(carry_cell=False, initial_state=(h0, np.zeros_like(c0)))))
    if layer != "simple_rnn":
        candidates.append(("hard sigmoid", run(sigmoid=_hard_sigmoid)))
    if layer == "gru":
        candidates.append(("update direction", run(update_flipped=True)))
        if kw["bias"] is not None:
            candidates.append(("bias outside reset", run(bias_outside_reset=True)))
            candidates.append(("recurrent bias", run(recurrent_bias=False)))
        candidates.append(("reset before", run(reset_before=True)))
    if layer == "simple_rnn":
        candidates.append(("transposed", run(transpose_recurrent=True)))
    if kw["bias"] is not None:
        candidates.append(("bias twice", run(bias_times=2)))
    for order in gate_orders(layer):
        candidates.append(("gate order", run(order=order)))
    if kw["bias"] is not None:
        candidates.append(("no bias", run(use_bias=False)))
    if kw["x"].shape[2] == kw["kernel"].shape[0] and layer == "simple_rnn":
        candidates.append(("no tanh", run(activation=lambda a: a)))
    return candidates


def saturated(got):
    """True when every row is (almost) one-hot: many different logits give the same output, so
    reproducing it proves nothing about the mistake."""
    got = np.asarray(got, dtype=np.float64)
    if got.ndim != 2 or not np.all((got >= 0) & (got <= 1)) or not np.allclose(got.sum(axis=-1), 1):
        return False  # not probabilities at all (logits, say): the mistakes can tell
    return bool(np.all(got.max(axis=-1) > 0.99))


def classifier_mistakes(layer, case):
    """Mistakes of the classifier around a correct recurrent layer."""
    x, weights = case.args
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = (_f64(w) for w in weights)
    x = _f64(x)

    def head(h, probabilities=True):
        logits = h @ dense_kernel + dense_bias
        return reference.softmax(logits) if probabilities else logits

    states = lambda **m: run_layer(layer, x, kernel, recurrent_kernel, bias, True, **m)  # noqa: E731
    return [
        ("no softmax", lambda: head(states()[:, -1], probabilities=False)),
        ("first state", lambda: head(states()[:, 0])),
        ("mean of states", lambda: head(states().mean(axis=1))),
        ("time major", lambda: head(run_layer(layer, x, kernel, recurrent_kernel, bias, False, transpose=True))),
        ("softmax axis", lambda: _softmax_over_batch(head(states()[:, -1], probabilities=False))),
    ]


def _softmax_over_batch(logits):
    if logits.shape[0] < 2:
        raise ValueError("one row: softmax over the batch is the same")
    e = np.exp(logits - logits.max(axis=0))
    return e / e.sum(axis=0)


def wrong_layer_inside(layer, case, got):
    """True when the classifier's output is a softmax head on a wrong recurrent layer: the
    recurrent part is where to look (its own hints say how)."""
    x, weights = case.args
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    sub = Case((x, kernel, recurrent_kernel), {"bias": bias})
    for _, thunk in layer_mistakes(layer, sub):
        try:
            h = thunk()
            if h.ndim != 2:
                continue
            probs = reference.softmax(h @ _f64(dense_kernel) + _f64(dense_bias))
        except (ValueError, TypeError, IndexError):
            continue
        if reproduces(got, probs):
            return True
    return False


def diagnose_classifier(layer, status, case, got, expected):
    """The hint key for a wrong classifier (``layer`` -> Dense -> softmax), or None.

    Recomputes the case with the usual classifier mistakes; one-hot rows (many mistakes give
    them) and values no mistake reproduces name no particular mistake.
    """
    if status == "wrong shape":
        return "shape"
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    if not np.isfinite(got).all():
        return "overflow"
    if saturated(got):
        return "layers"
    key = first_reproduced(got, classifier_mistakes(layer, case))
    if key is not None:
        return key
    return "layer" if wrong_layer_inside(layer, case, got) else "layers"


def scale_of(function, case):
    """The tolerance scale of a case (for diagnoses that need it)."""
    return tolerance.magnitude(function, *case.args, **case.kwargs)
