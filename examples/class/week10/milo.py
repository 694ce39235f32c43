# Milo, week10.
# Written step by step, one sample and one unit at a time, as on the whiteboard.
import math

import numpy as np


def dense(x, kernel, bias=None):
    n, d_out = x.shape[0], kernel.shape[1]
    out = np.zeros((n, d_out))
    for i in range(n):
        for j in range(d_out):
            total = 0.0
            for k in range(kernel.shape[0]):
                total += x[i, k] * kernel[k, j]
            out[i, j] = total + (bias[j] if bias is not None else 0.0)
    return out


def softmax(x):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx]
        m = max(row)
        exps = [math.exp(v - m) for v in row]
        s = sum(exps)
        out[idx] = [e / s for e in exps]
    return out


def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):
    n, units = h_prev.shape
    h = np.zeros((n, units))
    for i in range(n):
        for u in range(units):
            total = 0.0 if bias is None else float(bias[u])
            for d in range(x_t.shape[1]):
                total += float(x_t[i, d]) * float(kernel[d, u])
            for v in range(units):
                total += float(h_prev[i, v]) * float(recurrent_kernel[v, u])
            h[i, u] = math.tanh(total)
    return h


def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    n, steps = x.shape[0], x.shape[1]
    units = recurrent_kernel.shape[0]
    if initial_state is None:
        h = np.zeros((n, units))
    else:
        h = np.array(initial_state, dtype=float)
    outputs = np.zeros((n, steps, units))
    for t in range(steps):
        h = simple_rnn_cell(x[:, t, :], h, kernel, recurrent_kernel, bias)
        outputs[:, t, :] = h
    if return_sequences:
        return outputs
    return outputs[:, -1, :]


def rnn_forward(x, weights):
    h = simple_rnn(x, weights[0], weights[1], weights[2])
    return softmax(dense(h, weights[3], weights[4]))
