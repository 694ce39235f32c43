# Milo, week11.
"""One function per cell step, then a generic loop over time (float32 stays float32)."""
import numpy as np


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)       # the same function, written with tanh


def dense(x, kernel, bias=None):
    return x @ kernel + (bias if bias is not None else 0)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def lstm_cell(x_t, h, c, kernel, recurrent_kernel, bias):
    gates = x_t @ kernel + h @ recurrent_kernel
    if bias is not None:
        gates = gates + bias
    u = h.shape[-1]
    i = _sigmoid(gates[:, :u])
    f = _sigmoid(gates[:, u:2 * u])
    g = np.tanh(gates[:, 2 * u:3 * u])
    o = _sigmoid(gates[:, 3 * u:])
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_cell(x_t, h, kernel, recurrent_kernel, bias):
    u = h.shape[-1]
    xk = x_t @ kernel
    hk = h @ recurrent_kernel
    if bias is not None:
        xk, hk = xk + bias[0], hk + bias[1]
    z = _sigmoid(xk[:, :u] + hk[:, :u])
    r = _sigmoid(xk[:, u:2 * u] + hk[:, u:2 * u])
    return z * h + (1 - z) * np.tanh(xk[:, 2 * u:] + r * hk[:, 2 * u:])


def _float(x, kernel):
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(kernel.dtype)


def lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    x = _float(x, kernel)
    u = recurrent_kernel.shape[0]
    h, c = (np.zeros((x.shape[0], u), x.dtype),) * 2 if initial_state is None else initial_state
    out = []
    for t in range(x.shape[1]):
        h, c = lstm_cell(x[:, t], h, c, kernel, recurrent_kernel, bias)
        out.append(h)
    return np.stack(out, 1) if return_sequences else out[-1]


def gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    x = _float(x, kernel)
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]), x.dtype) if initial_state is None else initial_state
    out = []
    for t in range(x.shape[1]):
        h = gru_cell(x[:, t], h, kernel, recurrent_kernel, bias)
        out.append(h)
    return np.stack(out, 1) if return_sequences else out[-1]


def lstm_forward(x, weights):
    return softmax(dense(lstm(x, *weights[:3]), *weights[3:]))
