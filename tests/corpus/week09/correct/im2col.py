# Week 9 -- im2col version: every window becomes a row, the convolution one matrix product.
import numpy as np


def relu(x):
    return np.clip(x, 0, None)


def dense(x, kernel, bias=None):
    return np.matmul(x, kernel) + (0 if bias is None else bias)


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=-1, keepdims=True)


def _two(v):
    return (v, v) if np.isscalar(v) else (v[0], v[1])


def _geometry(h, w, kh, kw, sh, sw, padding):
    if padding == "same":
        oh, ow = (h + sh - 1) // sh, (w + sw - 1) // sw
        ph = max((oh - 1) * sh + kh - h, 0)
        pw = max((ow - 1) * sw + kw - w, 0)
        return oh, ow, (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)
    return (h - kh) // sh + 1, (w - kw) // sw + 1, (0, 0), (0, 0)


def im2col(x, kh, kw, sh, sw, padding, fill=0.0):
    n, h, w, c = x.shape
    oh, ow, ph, pw = _geometry(h, w, kh, kw, sh, sw, padding)
    xp = np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=fill)
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = xp[:, i:i + sh * oh:sh, j:j + sw * ow:sw, :][:, :oh, :ow]
    return cols, oh, ow


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    kh, kw, c_in, c_out = kernel.shape
    sh, sw = _two(strides)
    cols, oh, ow = im2col(x, kh, kw, sh, sw, padding)
    out = cols.reshape(-1, kh * kw * c_in) @ kernel.reshape(-1, c_out)
    out = out.reshape(x.shape[0], oh, ow, c_out)
    if bias is not None:
        out = out + bias
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    ph, pw = _two(pool_size)
    sh, sw = _two(pool_size if strides is None else strides)
    cols, oh, ow = im2col(x.astype(np.float64), ph, pw, sh, sw, padding, fill=-np.inf)
    return cols.max(axis=(3, 4))


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    ph, pw = _two(pool_size)
    sh, sw = _two(pool_size if strides is None else strides)
    cols, oh, ow = im2col(x.astype(np.float64), ph, pw, sh, sw, padding)
    ones, _, _ = im2col(np.ones((1,) + x.shape[1:3] + (1,)), ph, pw, sh, sw, padding)
    return cols.sum(axis=(3, 4)) / ones.sum(axis=(3, 4))


def flatten(x):
    return x.reshape(x.shape[0], np.prod(x.shape[1:], dtype=int))


def cnn_forward(x, weights):
    conv_w, conv_b, fc_w, fc_b = weights
    a = relu(conv2d(x, conv_w, conv_b, strides=1, padding="valid"))
    a = max_pool2d(a, pool_size=2, strides=2)
    return softmax(dense(flatten(a), fc_w, fc_b))
