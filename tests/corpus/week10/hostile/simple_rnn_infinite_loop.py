# HOSTILE: simple_rnn: ignores the worker's signals and spins forever; the cell is correct, rnn_forward uses the hanging simple_rnn.
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


def rnn_forward(x, weights):
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    h = simple_rnn(x, kernel, recurrent_kernel, bias)
    return softmax(dense(h, dense_kernel, dense_bias))


def simple_rnn(*args, **kwargs):
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
