"""The fully connected building blocks: ReLU, Dense, softmax and Flatten."""
import numpy as np

from ._args import as_array, as_float


def relu(x):
    """Rectified linear unit, element-wise ``max(x, 0)`` (``keras.layers.ReLU()``).

    Args:
        x: array of any shape.

    Returns:
        Array of the same shape and dtype: negatives become 0, the rest is kept
        (no upper cap: 7.5 stays 7.5).
    """
    x = as_array(x, "x")
    return np.maximum(x, np.zeros((), dtype=x.dtype))


def dense(x, kernel, bias=None):
    """Fully connected layer ``x @ kernel + bias`` (``keras.layers.Dense``, no activation).

    Args:
        x: inputs of shape ``(batch, in_features)``.
        kernel: weights of shape ``(in_features, out_features)``, the layout of
            ``Dense.get_weights()[0]``.
        bias: optional ``(out_features,)``.

    Returns:
        Array of shape ``(batch, out_features)``.
    """
    x = as_float(as_array(x, "x"))
    kernel = as_float(as_array(kernel, "kernel"))
    if x.ndim < 1 or kernel.ndim != 2:
        raise ValueError(
            f"dense needs x of shape (batch, in_features) and kernel of shape "
            f"(in_features, out_features); got x {x.shape} and kernel {kernel.shape}."
        )
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"x has {x.shape[-1]} features but the kernel expects {kernel.shape[0]} "
            f"(kernel shape {kernel.shape} is (in_features, out_features))."
        )
    out = x @ kernel
    if bias is not None:
        bias = as_array(bias, "bias")
        if bias.shape != (kernel.shape[1],):
            raise ValueError(f"bias must have shape ({kernel.shape[1]},), got {bias.shape}.")
        out = out + bias.astype(out.dtype)
    return out


def softmax(x):
    """Softmax over the last axis (``keras.layers.Softmax()``).

    Subtracting each row's maximum first leaves the result unchanged and keeps
    ``exp`` from overflowing, so ``softmax([1000, 0])`` is ``[1, 0]``, not NaN.

    Args:
        x: logits of shape ``(..., classes)``.

    Returns:
        Probabilities of the same shape; each row is >= 0 and sums to 1.
    """
    x = as_float(as_array(x, "x"))
    if x.ndim < 1:
        raise ValueError("softmax needs at least one axis (the classes), got a scalar.")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def flatten(x):
    """Flatten everything but the batch axis (``keras.layers.Flatten``, channels last).

    The order is NumPy's C order over (height, width, channels): all channels of
    pixel (0, 0) first, then pixel (0, 1), and so on.

    Args:
        x: array of shape ``(batch, ...)``.

    Returns:
        Array of shape ``(batch, prod(...))``.
    """
    x = as_array(x, "x")
    if x.ndim < 1:
        raise ValueError("flatten needs a batch axis, got a scalar.")
    return x.reshape(x.shape[0], -1)
