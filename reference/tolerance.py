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

def _recurrent_magnitude(name, *args, **kwargs):
    """See ``reference._recurrent_scale``: first-order rounding bounds through the recurrence."""
    from . import _recurrent_scale

    bound = inspect.signature(getattr(recurrent, name)).bind(*args, **kwargs)
    bound.apply_defaults()
    return _recurrent_scale.SCALES[name](**bound.arguments)


_RECURRENT_SCALES = ("simple_rnn_cell", "simple_rnn", "lstm", "gru", "rnn_forward", "lstm_forward")
