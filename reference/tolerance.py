"""How close is close enough: a float32-fit tolerance scaled by the magnitude of
the terms behind each output value.

A flat tolerance fails honest float32 code on wide layers (32 channels, a 5x5
kernel: hundreds of terms per value) and a tolerance taken from the output alone
fails wherever large terms cancel to a small result. So each value gets the scale
of the terms that produced it: for ``conv2d`` and ``dense`` the same operation on
``|x|`` and ``|kernel|``, for pooling the same pooling of ``|x|``, for
probabilities 1. Honest float32 arithmetic stays far inside ``RTOL`` times that
scale; float16 arithmetic (about 5e-4 relative error) does not.
"""
import numpy as np

from . import conv, core, network, pooling

RTOL = 1e-4


def _abs(a):
    return None if a is None else np.abs(np.asarray(a, dtype=np.float64))


def magnitude(name, *args, **kwargs):
    """The per-value scale of the terms behind ``reference.<name>(*args, **kwargs)``."""
    if name in ("softmax", "cnn_forward"):
        probs = getattr(network if name == "cnn_forward" else core, name)(*args, **kwargs)
        return np.ones(probs.shape)
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
