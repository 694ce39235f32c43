import numpy as np

# Milo, week 9: float32 throughout, loops over the output positions only.


def _hw(v):
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)


def _same(n, k, s):
    out = -(-n // s)
    pad = max((out - 1) * s + k - n, 0)
    return pad // 2, pad - pad // 2


def _padded(x, kh, kw, sh, sw, padding, value):
    if padding != "same":
        return x
    t, b = _same(x.shape[1], kh, sh)
    l, r = _same(x.shape[2], kw, sw)
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    x = np.asarray(x, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    kh, kw, _, cout = kernel.shape
    sh, sw = _hw(strides)
    x = _padded(x, kh, kw, sh, sw, padding, 0.0)
    oh = (x.shape[1] - kh) // sh + 1
    ow = (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, cout), dtype=np.float32)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out += np.asarray(bias, dtype=np.float32)
    return out


def _pool(x, pool_size, strides, padding, reduce, fill):
    x = np.asarray(x, dtype=np.float32)
    ph, pw = _hw(pool_size)
    sh, sw = _hw(pool_size if strides is None else strides)
    x = _padded(x, ph, pw, sh, sw, padding, fill)
    oh = (x.shape[1] - ph) // sh + 1
    ow = (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=np.float32)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = reduce(x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :], axis=(1, 2))
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.max, -np.inf)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.nanmean, np.nan)


def flatten(x):
    return np.asarray(x).reshape(np.shape(x)[0], -1)


def relu(x):
    return np.maximum(x, np.float32(0))


def dense(x, kernel, bias=None):
    out = np.asarray(x, np.float32) @ np.asarray(kernel, np.float32)
    return out if bias is None else out + np.asarray(bias, np.float32)


def softmax(x):
    x = np.asarray(x, np.float32)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cnn_forward(x, weights):
    conv_k, conv_b, dense_k, dense_b = weights
    feature_maps = relu(conv2d(x, conv_k, conv_b))
    pooled = max_pool2d(feature_maps, 2)
    return softmax(dense(flatten(pooled), dense_k, dense_b))
