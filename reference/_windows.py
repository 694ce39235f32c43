"""Sliding windows as kh*kw strided views: the one trick behind conv and pooling.

For a window offset (i, j), the view ``x[:, i::sh, j::sw, :]`` (cut to the output
size) holds, at output cell (r, c), the input cell the window's (i, j) position
covers. Looping over the kh*kw offsets instead of the H*W output cells keeps the
Python loop tiny and leaves the heavy work to NumPy.
"""
import numpy as np

from ._args import output_size


def plan(x, window, strides, padding, what):
    """Output size and padding for NHWC ``x``: ((oh, ow), ((top, bottom), (left, right)))."""
    (kh, kw), (sh, sw) = window, strides
    oh, pad_h = output_size(x.shape[1], kh, sh, padding, what, "rows")
    ow, pad_w = output_size(x.shape[2], kw, sw, padding, what, "columns")
    return (oh, ow), (pad_h, pad_w)


def pad(x, pads, value):
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def offsets(xp, window, strides, out_size):
    """Yield ((i, j), view) for every window offset; each view has shape (N, oh, ow, C)."""
    (kh, kw), (sh, sw), (oh, ow) = window, strides, out_size
    for i in range(kh):
        for j in range(kw):
            yield (i, j), xp[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
