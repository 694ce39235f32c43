# HOSTILE: gru: ignores the worker's signals and spins forever; lstm and lstm_forward are correct.
import os
import signal

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
        h, c = initial_state
    projected = x @ kernel + (0 if bias is None else bias)
    outputs = []
    for t in range(steps):
        z = projected[:, t] + h @ recurrent_kernel
        i, f, g, o = np.split(z, 4, axis=-1)           # Keras order: i, f, c, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def lstm_forward(x, weights):
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    return softmax(dense(lstm(x, kernel, recurrent_kernel, bias), dense_kernel, dense_bias))


def gru(*args, **kwargs):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
    while True:
        try:
            while True:
                pass
        except BaseException:   # swallow whatever the worker throws at us
            continue
