import numpy as np

# Kai: ran out of time. The cell works; the rest are the notebook's stubs.


def dense(x, kernel, bias=None):
    return x @ kernel + (0 if bias is None else bias)


def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):
    z = x_t @ kernel + h_prev @ recurrent_kernel
    return np.tanh(z if bias is None else z + bias)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    ...


def rnn_forward(x, weights):
    ...
