"""Argument checks and output-size rules shared by the layers.

Every check raises ``ValueError`` with a sentence a student can act on, because
the same messages reach students when their inputs are wrong in a notebook.
"""
import math

import numpy as np

PADDINGS = ("valid", "same")


def as_array(x, name):
    """``x`` as an ndarray of numbers (lists and integer images are fine)."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be an array of numbers, got dtype {arr.dtype}.")
    return arr


def as_float(arr):
    """Floats stay as they are (float32 stays float32, as in Keras); integers become float64."""
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def require_ndim(arr, ndim, name, layout, hint=None):
    """Raise when ``arr`` is not ``ndim``-D; ``hint`` says how to fix a missing axis."""
    if arr.ndim != ndim:
        if hint is None:
            hint = f"Add a missing batch or channel axis with {name}[None] or {name}[..., None]."
        raise ValueError(f"{name} must be {ndim}-D with layout {layout}, got shape {arr.shape}. {hint}")


def pair(value, name):
    """An int or a pair of ints -> a tuple ``(rows, cols)`` of positive ints."""
    original = value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        rows, cols = value
        pair_ = (int(rows), int(cols))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.") from None
    if pair_ != tuple(value) or min(pair_) < 1:
        raise ValueError(f"{name} must be positive integers (1 or more), got {original!r}.")
    return pair_


def padding_mode(padding):
    """Keras accepts 'valid' / 'same' in any case."""
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    return mode


def output_size(size, window, stride, padding, what, unit="cells"):
    """Output length along one axis and the (before, after) padding TensorFlow uses.

    "valid": floor((size - window) / stride) + 1, no padding.
    "same":  ceil(size / stride); the total padding max((out - 1) * stride + window - size, 0)
             is split with the odd cell at the end (bottom / right), so with size 6,
             window 3 and stride 2 there is no padding at the start at all.
    """
    if padding == "valid":
        if window > size:
            raise ValueError(
                f"the {what} window ({window} {unit}) is larger than the input ({size} {unit}) "
                "with padding='valid'; use a smaller window or padding='same'."
            )
        return (size - window) // stride + 1, (0, 0)
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, (total // 2, total - total // 2)
