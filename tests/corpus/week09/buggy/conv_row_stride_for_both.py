# BUG: conv2d: uses the row stride for both axes (sh = sw = strides[0])
import math

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    if bias is not None:
        out = out + bias
    return out


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def to_pair(v):
    if isinstance(v, (tuple, list)):
        return v[0], v[1]
    return v, v


def out_and_pads(size, k, s, padding):
    if padding == "same":
        out = math.ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        return out, total // 2, total - total // 2
    return (size - k) // s + 1, 0, 0


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    n, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    sh = sw = to_pair(strides)[0]
    oh, top, bottom = out_and_pads(h, kh, sh, padding)
    ow, left, right = out_and_pads(w, kw, sw, padding)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out = np.zeros((n, oh, ow, c_out))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out = out + bias
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    ph, pw = to_pair(pool_size)
    sh, sw = to_pair(pool_size if strides is None else strides)
    n, h, w, c = x.shape
    oh, top, bottom = out_and_pads(h, ph, sh, padding)
    ow, left, right = out_and_pads(w, pw, sw, padding)
    xp = np.pad(x.astype(float), ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = xp[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))
    return out


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    ph, pw = to_pair(pool_size)
    sh, sw = to_pair(pool_size if strides is None else strides)
    n, h, w, c = x.shape
    oh, top, bottom = out_and_pads(h, ph, sh, padding)
    ow, left, right = out_and_pads(w, pw, sw, padding)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = max(i * sh - top, 0), min(i * sh - top + ph, h)
            c0, c1 = max(j * sw - left, 0), min(j * sw - left + pw, w)
            out[:, i, j, :] = x[:, r0:r1, c0:c1, :].sum(axis=(1, 2)) / ((r1 - r0) * (c1 - c0))
    return out


def flatten(x):
    return x.reshape(x.shape[0], -1)


def cnn_forward(x, weights):
    conv_kernel, conv_bias, dense_kernel, dense_bias = weights
    h = conv2d(x, conv_kernel, conv_bias)
    h = relu(h)
    h = max_pool2d(h, 2)
    h = flatten(h)
    return softmax(dense(h, dense_kernel, dense_bias))
