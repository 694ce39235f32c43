# Hana, week11: unpacks initial_state as (c0, h0)
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    n, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    if initial_state is None:
        h, c = np.zeros((n, units)), np.zeros((n, units))
    else:
        c, h = initial_state
    projected = x @ kernel + (0 if bias is None else bias)
    outputs = []
    for t in range(steps):
        z = projected[:, t] + h @ recurrent_kernel
        i, f, g, o = np.split(z, 4, axis=-1)           # Keras order: i, f, c, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    n, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((n, units)) if initial_state is None else initial_state
    b_in, b_rec = (0, 0) if bias is None else (bias[0], bias[1])
    projected = x @ kernel + b_in
    outputs = []
    for t in range(steps):
        x_z, x_r, x_h = np.split(projected[:, t], 3, axis=-1)
        r_z, r_r, r_h = np.split(h @ recurrent_kernel + b_rec, 3, axis=-1)
        z = sigmoid(x_z + r_z)
        r = sigmoid(x_r + r_r)
        candidate = np.tanh(x_h + r * r_h)
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def lstm_forward(x, weights):
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    return softmax(dense(lstm(x, kernel, recurrent_kernel, bias), dense_kernel, dense_bias))
