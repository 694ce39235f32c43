"""Week 9 lab with explicit loops over the output cells (a careful beginner's version)."""
import math

import numpy as np


def _pair(v):
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _padding(size, k, s, padding):
    """Output size and (before, after) padding along one axis, TensorFlow's rule."""
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    n, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    sh, sw = _pair(strides)
    oh, top, bottom = _padding(h, kh, sh, padding)
    ow, left, right = _padding(w, kw, sw, padding)
    xp = np.pad(x.astype(float), ((0, 0), (top, bottom), (left, right), (0, 0)))
    out = np.zeros((n, oh, ow, c_out))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                window = xp[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                for o in range(c_out):
                    out[b, i, j, o] = np.sum(window * kernel[:, :, :, o])
    if bias is not None:
        out += bias
    return out


def _pool(x, pool_size, strides, padding, kind):
    n, h, w, c = x.shape
    ph, pw = _pair(pool_size)
    sh, sw = _pair(pool_size if strides is None else strides)
    oh, top, bottom = _padding(h, ph, sh, padding)
    ow, left, right = _padding(w, pw, sw, padding)
    out = np.zeros((n, oh, ow, c))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                # window limits in the unpadded image: padded cells simply are not there
                r0 = max(i * sh - top, 0)
                r1 = min(i * sh - top + ph, h)
                c0 = max(j * sw - left, 0)
                c1 = min(j * sw - left + pw, w)
                window = x[b, r0:r1, c0:c1, :]
                if kind == "max":
                    out[b, i, j, :] = window.max(axis=(0, 1))
                else:
                    out[b, i, j, :] = window.mean(axis=(0, 1))
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, "max")


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, "avg")


def flatten(x):
    n = x.shape[0]
    return x.reshape(n, -1)


def cnn_forward(x, weights):
    conv_kernel, conv_bias, dense_kernel, dense_bias = weights
    h = conv2d(x, conv_kernel, conv_bias)
    h = relu(h)
    h = max_pool2d(h, 2)
    h = flatten(h)
    return softmax(dense(h, dense_kernel, dense_bias))
