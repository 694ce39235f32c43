"""Week 8 lab, written with plain Python loops (a student who avoids vectorizing)."""
import math

import numpy as np


def relu(x):
    x = np.asarray(x)
    out = x.copy()
    flat = out.reshape(-1)
    for i in range(flat.size):
        if flat[i] < 0:
            flat[i] = 0
    return out


def dense(x, kernel, bias=None):
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    n, d_in = x.shape
    d_out = kernel.shape[1]
    out = np.zeros((n, d_out))
    for i in range(n):
        for j in range(d_out):
            total = 0.0
            for k in range(d_in):
                total += x[i, k] * kernel[k, j]
            if bias is not None:
                total += bias[j]
            out[i, j] = total
    return out


def softmax(x):
    x = np.asarray(x, dtype=float)
    rows = x.reshape(-1, x.shape[-1])
    out = np.zeros_like(rows)
    for r in range(rows.shape[0]):
        biggest = max(rows[r])
        exps = [math.exp(v - biggest) for v in rows[r]]
        total = sum(exps)
        for c in range(rows.shape[1]):
            out[r, c] = exps[c] / total
    return out.reshape(x.shape)
