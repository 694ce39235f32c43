"""Max and average pooling with the semantics of ``keras.layers.MaxPooling2D`` /
``AveragePooling2D``."""
import numpy as np

from . import _windows
from ._args import as_array, as_float, pair, padding_mode, require_ndim


def _prepare(x, pool_size, strides, padding):
    x = as_float(as_array(x, "x"))
    require_ndim(x, 4, "x", "(batch, height, width, channels)")
    window = pair(pool_size, "pool_size")
    strides = window if strides is None else pair(strides, "strides")
    padding = padding_mode(padding)
    out_size, pads = _windows.plan(x, window, strides, padding, "pool")
    return x, window, strides, out_size, pads


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling: the largest value of each window, channel by channel.

    Args:
        x: input of shape ``(batch, height, width, channels)``.
        pool_size: int or pair ``(rows, cols)``, the window size.
        strides: int or pair; ``None`` means ``pool_size`` (windows that touch
            but do not overlap, as in the lecture's 2x2 pooling with stride 2).
        padding: ``"valid"`` or ``"same"``. With ``"same"`` the padded cells
            never win: a window of negative numbers keeps its (negative) maximum.

    Returns:
        Array of shape ``(batch, out_height, out_width, channels)``, sizes as in
        ``conv2d``.
    """
    x, window, strides, out_size, pads = _prepare(x, pool_size, strides, padding)
    xp = _windows.pad(x, pads, -np.inf)
    out = None
    for _, view in _windows.offsets(xp, window, strides, out_size):
        out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling: the mean of each window, channel by channel.

    Arguments as in ``max_pool2d``. With ``"same"``, each window averages only
    its real cells: a corner window that covers 2 real cells and 2 padded cells
    divides by 2, not 4 (as Keras / TensorFlow do).

    Returns:
        Array of shape ``(batch, out_height, out_width, channels)``.
    """
    x, window, strides, out_size, pads = _prepare(x, pool_size, strides, padding)
    total = np.zeros((x.shape[0], *out_size, x.shape[3]), dtype=x.dtype)
    for _, view in _windows.offsets(_windows.pad(x, pads, 0), window, strides, out_size):
        total += view
    # How many real cells each window covers: the same sum over a padded image of ones.
    ones = _windows.pad(np.ones((1, x.shape[1], x.shape[2], 1), dtype=x.dtype), pads, 0)
    count = sum(view for _, view in _windows.offsets(ones, window, strides, out_size))
    return total / count
