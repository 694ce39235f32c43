"""2-D convolution with the semantics of ``keras.layers.Conv2D``."""
import numpy as np

from . import _windows
from ._args import as_array, as_float, pair, padding_mode, require_ndim


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    The kernel slides over the image without being flipped; each output cell is
    the sum of the window times the kernel, over all input channels, plus the bias.
    This is exactly what ``keras.layers.Conv2D`` computes (channels last).

    Args:
        x: input of shape ``(batch, height, width, in_channels)``. Integer images
            (like the lecture's 0/1 picture) are computed as float64.
        kernel: weights of shape ``(kernel_height, kernel_width, in_channels,
            out_channels)``, the layout of ``Conv2D.get_weights()[0]``.
        bias: optional ``(out_channels,)`` added to every output cell.
        strides: int or pair ``(rows, cols)``: how far the window moves each step.
        padding: ``"valid"`` (no padding: the window stays inside the image) or
            ``"same"`` (zero padding so that the output has ``ceil(size / stride)``
            cells; TensorFlow puts the odd padding cell at the bottom / right).

    Returns:
        Array of shape ``(batch, out_height, out_width, out_channels)`` where
        ``out = floor((size - k) / stride) + 1`` for ``"valid"`` and
        ``ceil(size / stride)`` for ``"same"``.
    """
    x = as_float(as_array(x, "x"))
    kernel = as_float(as_array(kernel, "kernel"))
    require_ndim(x, 4, "x", "(batch, height, width, channels)")
    require_ndim(kernel, 4, "kernel", "(kernel_height, kernel_width, in_channels, out_channels)",
                 "A single 2-D filter k becomes k[:, :, None, None].")
    kh, kw, c_in, c_out = kernel.shape
    if x.shape[3] != c_in:
        raise ValueError(
            f"x has {x.shape[3]} channels but the kernel expects {c_in} "
            f"(kernel shape {kernel.shape} is (kh, kw, in_channels, out_channels))."
        )
    strides, padding = pair(strides, "strides"), padding_mode(padding)
    out_size, pads = _windows.plan(x, (kh, kw), strides, padding, "kernel")
    xp = _windows.pad(x, pads, 0)

    # im2col: one column block per kernel offset, then a single matrix product.
    dtype = np.result_type(x, kernel)
    cols = np.empty((x.shape[0], *out_size, kh, kw, c_in), dtype=dtype)
    for (i, j), view in _windows.offsets(xp, (kh, kw), strides, out_size):
        cols[:, :, :, i, j, :] = view
    out = cols.reshape(-1, kh * kw * c_in) @ kernel.reshape(kh * kw * c_in, c_out).astype(dtype)
    out = out.reshape(x.shape[0], *out_size, c_out)
    if bias is not None:
        bias = as_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},) (one per output channel), got {bias.shape}.")
        out = out + bias.astype(dtype)
    return out
