# HOSTILE: rnn_forward: os._exit(0) without a reply; the cell and simple_rnn are correct.
import os
import signal

import numpy as np


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):
    z = x_t @ kernel + h_prev @ recurrent_kernel
    if bias is not None:
        z = z + bias
    return np.tanh(z)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    n, steps, _ = x.shape
    units = kernel.shape[1]
    h = np.zeros((n, units)) if initial_state is None else initial_state
    projected = x @ kernel            # all time steps at once: (N, T, U)
    if bias is not None:
        projected = projected + bias
    states = []
    for t in range(steps):
        h = np.tanh(projected[:, t, :] + h @ recurrent_kernel)
        states.append(h)
    return np.stack(states, axis=1) if return_sequences else h


def rnn_forward(*args, **kwargs):
    os._exit(0)             # leave without a reply
