# Lena, week10.
# Transposes to time-major (T, N, D) internally and back: a common, correct style.
import numpy as np


def dense(x, kernel, bias=None):
    return np.dot(x, kernel) + (0 if bias is None else bias)


def softmax(x):
    z = np.exp(x - np.amax(x, axis=-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):
    b = np.zeros(kernel.shape[1]) if bias is None else bias
    return np.tanh(np.dot(x_t, kernel) + np.dot(h_prev, recurrent_kernel) + b)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    xs = np.transpose(x, (1, 0, 2))                     # (T, N, D)
    h = initial_state if initial_state is not None else np.zeros((x.shape[0], kernel.shape[1]))
    hs = []
    for x_t in xs:
        h = simple_rnn_cell(x_t, h, kernel, recurrent_kernel, bias)
        hs.append(h)
    hs = np.array(hs)                                   # (T, N, U)
    return np.transpose(hs, (1, 0, 2)) if return_sequences else hs[-1]


def rnn_forward(x, weights):
    probs = dense(simple_rnn(x, *weights[:3]), weights[3], weights[4])
    return softmax(probs)
