"""How close is close enough: a float32-fit tolerance scaled by the magnitude of
the terms behind each output value.

A flat tolerance fails honest float32 code on wide layers (32 channels, a 5x5
kernel: hundreds of terms per value) and a tolerance taken from the output alone
fails wherever large terms cancel to a small result. So each value gets the scale
of the terms that produced it: for ``conv2d`` and ``dense`` the same operation on
``|x|`` and ``|kernel|``, for pooling the same pooling of ``|x|``, for
probabilities 1 plus what the logits' own rounding can move them (see
``_probability_scale``). Honest float32 arithmetic stays far inside ``RTOL`` times
that scale; float16 arithmetic (about 5e-4 relative error) does not, except in
wide layers with zero-mean weights, where its errors grow like the square root of
the number of terms and the scale like the number itself.
"""
import inspect

import numpy as np

from . import conv, core, network, pooling, recurrent

RTOL = 1e-4
# softmax's logits are inputs, not sums of many terms: allow 1e-2 * RTOL of them (16 float32 roundings).
SOFTMAX_LOGIT_RTOL = 1e-2


def _abs(a):
    return None if a is None else np.abs(np.asarray(a, dtype=np.float64))


def magnitude(name, *args, **kwargs):
    """The per-value scale of the terms behind ``reference.<name>(*args, **kwargs)``."""
    if name in _RECURRENT_SCALES:
        return _recurrent_magnitude(name, *args, **kwargs)
    if name == "softmax":
        params = dict(zip(("x",), args), **kwargs)
        # Logits given as input carry only their own rounding (float32: 6e-8 |x|); allow 1e-6 |x|.
        return _probability_scale(core.softmax(*args, **kwargs), SOFTMAX_LOGIT_RTOL * _abs(params["x"]))
    if name == "cnn_forward":
        params = dict(zip(("x", "weights"), args), **kwargs)
        kernel, bias, dense_kernel, dense_bias = (_abs(w) for w in params["weights"])
        # The logits' scale: the network's linear parts on absolute values (ReLU and max pooling
        # pass magnitudes through), exactly as for conv2d and dense on their own.
        logits = core.dense(core.flatten(pooling.max_pool2d(conv.conv2d(_abs(params["x"]), kernel, bias), 2)),
                            dense_kernel, dense_bias)
        return _probability_scale(network.cnn_forward(*args, **kwargs), logits)
    if name in ("conv2d", "dense"):
        params = dict(zip(("x", "kernel", "bias"), args), **kwargs)
        for key in ("x", "kernel", "bias"):
            if key in params:
                params[key] = _abs(params[key])
        fn = conv.conv2d if name == "conv2d" else core.dense
        return fn(**params)
    fn = {"relu": core.relu, "flatten": core.flatten,
          "max_pool2d": pooling.max_pool2d, "avg_pool2d": pooling.avg_pool2d}[name]
    return fn(_abs(args[0]), *args[1:], **kwargs)


def _probability_scale(probs, logit_scale):
    """Scale of softmax probabilities whose logits may be off by up to ``RTOL * logit_scale``.

    A logit error ``d_j`` moves ``p_i`` by ``p_i * (d_i - sum_j p_j d_j)`` (to first order),
    so the scale is 1 (the probability's own rounding) plus
    ``p_i * ((1 - p_i) a_i + sum_{j != i} p_j a_j)`` for logit scales ``a``: large only
    where close logits are large, never for a confident row like softmax([1000, 0]).
    """
    with np.errstate(invalid="ignore"):
        probs = np.asarray(probs, dtype=np.float64)
        weighted = probs * logit_scale
        spread = logit_scale + weighted.sum(axis=-1, keepdims=True) - 2 * probs * logit_scale
        return 1.0 + probs * spread


def within(got, expected, scale, rtol=RTOL):
    """Boolean mask of the values of ``got`` that are close enough to ``expected``.

    Equal infinities and NaN-where-NaN-is-expected count as close; the tiny
    absolute floor only keeps exact zeros exact.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= rtol * np.asarray(scale, dtype=np.float64) + 1e-300
    return close | (got == expected) | (np.isnan(got) & np.isnan(expected))


def allclose(got, expected, scale, rtol=RTOL):
    """True when shapes match and every value is ``within`` tolerance."""
    got, expected = np.asarray(got), np.asarray(expected)
    return got.shape == expected.shape and bool(within(got, expected, scale, rtol).all())


# ---------------------------------------------------------------- recurrent layers
#
# A recurrent layer feeds each step's rounding errors into the next step, so the scale of a
# state is a first-order bound on how far honest rounding can move it, in units of the
# relative rounding error: each step's pre-activations carry the magnitude of their terms
# (|x| @ |kernel| + |h| @ |recurrent_kernel| + |bias|, as for dense) plus the previous
# state's bound through |recurrent_kernel|, and each activation scales that by its slope at
# the actual value (tanh' = 1 - tanh^2, sigmoid' = s (1 - s)), so saturated units forget
# errors as they do in the arithmetic. Products add the bounds of their factors, and every
# value adds its own rounding (|value|).

def _recurrent_magnitude(name, *args, **kwargs):
    bound = inspect.signature(getattr(recurrent, name)).bind(*args, **kwargs)
    bound.apply_defaults()
    params = dict(bound.arguments)
    return _RECURRENT_SCALES[name](**params)


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _rnn_steps(x, kernel, recurrent_kernel, bias, initial_state):
    """Yield (h, bound) per step of a SimpleRNN."""
    x, kernel, recurrent_kernel, bias = _f64(x), _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    units = kernel.shape[1]
    h = np.zeros((x.shape[0], units)) if initial_state is None else _f64(recurrent._single_state(initial_state))
    err = np.abs(h)
    absb = 0.0 if bias is None else np.abs(bias)
    for t in range(x.shape[1]):
        terms = np.abs(x[:, t]) @ np.abs(kernel) + (np.abs(h) + err) @ np.abs(recurrent_kernel) + absb
        h = recurrent.simple_rnn_cell(x[:, t], h, kernel, recurrent_kernel, bias)
        err = (1 - h ** 2) * terms + np.abs(h)
        yield h, err


def _sequence_scale(steps, return_sequences):
    errs = [err for _, err in steps]
    return np.stack(errs, axis=1) if return_sequences else errs[-1]


def _simple_rnn_cell_scale(x_t, h_prev, kernel, recurrent_kernel, bias):
    return _sequence_scale(_rnn_steps(_f64(x_t)[:, None], kernel, recurrent_kernel, bias, h_prev), False)


def _simple_rnn_scale(x, kernel, recurrent_kernel, bias, return_sequences, initial_state):
    return _sequence_scale(_rnn_steps(x, kernel, recurrent_kernel, bias, initial_state), return_sequences)


def _lstm_steps(x, kernel, recurrent_kernel, bias, initial_state):
    x, kernel, recurrent_kernel, bias = _f64(x), _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    units = kernel.shape[1] // 4
    if initial_state is None:
        h = c = np.zeros((x.shape[0], units))
    else:
        h, c = (_f64(s) for s in initial_state)
    err_h, err_c = np.abs(h), np.abs(c)
    absb = 0.0 if bias is None else np.abs(bias)
    sig = recurrent.sigmoid
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + (0.0 if bias is None else bias)
        terms = np.abs(x[:, t]) @ np.abs(kernel) + (np.abs(h) + err_h) @ np.abs(recurrent_kernel) + absb
        zi, zf, zg, zo = (z[:, k * units:(k + 1) * units] for k in range(4))
        ti, tf, tg, to = (terms[:, k * units:(k + 1) * units] for k in range(4))
        i, f, g, o = sig(zi), sig(zf), np.tanh(zg), sig(zo)
        c_new = f * c + i * g
        err_c = (f * err_c + np.abs(c) * f * (1 - f) * tf + i * (1 - g ** 2) * tg
                 + np.abs(g) * i * (1 - i) * ti + np.abs(c_new))
        c = c_new
        tc = np.tanh(c)
        h = o * tc
        err_h = o * (1 - tc ** 2) * err_c + np.abs(tc) * o * (1 - o) * to + np.abs(h)
        yield h, err_h


def _lstm_scale(x, kernel, recurrent_kernel, bias, return_sequences, initial_state):
    return _sequence_scale(_lstm_steps(x, kernel, recurrent_kernel, bias, initial_state), return_sequences)


def _gru_steps(x, kernel, recurrent_kernel, bias, initial_state):
    x, kernel, recurrent_kernel, bias = _f64(x), _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    units = kernel.shape[1] // 3
    h = np.zeros((x.shape[0], units)) if initial_state is None else _f64(recurrent._single_state(initial_state))
    err_h = np.abs(h)
    b_in, b_rec = (0.0, 0.0) if bias is None else (bias[0], bias[1])
    ab_in, ab_rec = np.abs(b_in), np.abs(b_rec)
    sig = recurrent.sigmoid
    for t in range(x.shape[1]):
        xs = x[:, t] @ kernel + b_in
        inner = h @ recurrent_kernel + b_rec
        tx = np.abs(x[:, t]) @ np.abs(kernel) + ab_in
        th = (np.abs(h) + err_h) @ np.abs(recurrent_kernel) + ab_rec
        split = [lambda a, k=k: a[:, k * units:(k + 1) * units] for k in range(3)]
        z, r = sig(split[0](xs) + split[0](inner)), sig(split[1](xs) + split[1](inner))
        cand = np.tanh(split[2](xs) + r * split[2](inner))
        err_z = z * (1 - z) * (split[0](tx) + split[0](th))
        err_r = r * (1 - r) * (split[1](tx) + split[1](th))
        err_cand = (1 - cand ** 2) * (split[2](tx) + r * split[2](th) + np.abs(split[2](inner)) * err_r)
        h_new = z * h + (1 - z) * cand
        err_h = z * err_h + np.abs(h - cand) * err_z + (1 - z) * err_cand + np.abs(h_new)
        h = h_new
        yield h, err_h


def _gru_scale(x, kernel, recurrent_kernel, bias, return_sequences, initial_state):
    return _sequence_scale(_gru_steps(x, kernel, recurrent_kernel, bias, initial_state), return_sequences)


def _classifier_scale(steps, layer, x, weights):
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    *_, (h, err) = steps(x, kernel, recurrent_kernel, bias, None)
    logits = (np.abs(h) + err) @ np.abs(_f64(dense_kernel)) + np.abs(_f64(dense_bias))
    probs = recurrent._classifier(x, weights, layer, "", "")
    return _probability_scale(probs, logits)


_RECURRENT_SCALES = {
    "simple_rnn_cell": _simple_rnn_cell_scale,
    "simple_rnn": _simple_rnn_scale,
    "lstm": _lstm_scale,
    "gru": _gru_scale,
    "rnn_forward": lambda x, weights: _classifier_scale(_rnn_steps, recurrent.simple_rnn, x, weights),
    "lstm_forward": lambda x, weights: _classifier_scale(_lstm_steps, recurrent.lstm, x, weights),
}
