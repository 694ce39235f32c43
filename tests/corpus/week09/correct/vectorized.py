import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def relu(x):
    return np.where(x > 0, x, 0)


def dense(x, kernel, bias=None):
    y = np.einsum("ni,io->no", x, kernel)
    return y if bias is None else y + bias


def softmax(x):
    z = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return z / np.sum(z, axis=-1, keepdims=True)


def as_pair(v):
    return tuple(v) if np.ndim(v) else (v, v)


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return (total // 2, total - total // 2)


def windows(x, k, s, padding, fill):
    """All k windows of x (N, H, W, C) with strides s -> (N, oh, ow, C, kh, kw)."""
    if padding == "same":
        x = np.pad(x, ((0, 0), same_pads(x.shape[1], k[0], s[0]),
                       same_pads(x.shape[2], k[1], s[1]), (0, 0)), constant_values=fill)
    v = sliding_window_view(x, k, axis=(1, 2))
    return v[:, ::s[0], ::s[1]]


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    s = as_pair(strides)
    v = windows(x, kernel.shape[:2], s, padding, 0)
    out = np.einsum("nhwcij,ijco->nhwo", v, kernel)
    if bias is not None:
        out = out + bias
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    k = as_pair(pool_size)
    s = k if strides is None else as_pair(strides)
    x = np.asarray(x, dtype=float)
    return windows(x, k, s, padding, -np.inf).max(axis=(-2, -1))


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    k = as_pair(pool_size)
    s = k if strides is None else as_pair(strides)
    x = np.asarray(x, dtype=float)
    total = windows(x, k, s, padding, 0).sum(axis=(-2, -1))
    ones = np.ones((1,) + x.shape[1:3] + (1,))
    count = windows(ones, k, s, padding, 0).sum(axis=(-2, -1))
    return total / count


def flatten(x):
    return np.reshape(x, (len(x), -1))


def cnn_forward(x, weights):
    k, b, w, c = weights
    feature_maps = relu(conv2d(x, k, b))
    pooled = max_pool2d(feature_maps)
    return softmax(dense(flatten(pooled), w, c))
