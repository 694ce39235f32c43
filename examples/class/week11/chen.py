# Chen, week11.
# Slices every gate's weights out first, with names, the way the lecture draws the LSTM cell.
import numpy as np


def sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def dense(x, kernel, bias=None):
    if bias is None:
        return np.matmul(x, kernel)
    return np.matmul(x, kernel) + bias


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)


def lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    U = recurrent_kernel.shape[0]
    W_i, W_f, W_c, W_o = kernel[:, :U], kernel[:, U:2 * U], kernel[:, 2 * U:3 * U], kernel[:, 3 * U:]
    U_i, U_f, U_c, U_o = (recurrent_kernel[:, k * U:(k + 1) * U] for k in range(4))
    if bias is None:
        bias = np.zeros(4 * U)
    b_i, b_f, b_c, b_o = bias[:U], bias[U:2 * U], bias[2 * U:3 * U], bias[3 * U:]
    N, T, _ = x.shape
    h = np.zeros((N, U)) if initial_state is None else np.array(initial_state[0], dtype=float)
    c = np.zeros((N, U)) if initial_state is None else np.array(initial_state[1], dtype=float)
    hs = np.zeros((N, T, U))
    for t in range(T):
        xt = x[:, t, :]
        input_gate = sigmoid(xt @ W_i + h @ U_i + b_i)
        forget_gate = sigmoid(xt @ W_f + h @ U_f + b_f)
        candidate = np.tanh(xt @ W_c + h @ U_c + b_c)
        output_gate = sigmoid(xt @ W_o + h @ U_o + b_o)
        c = forget_gate * c + input_gate * candidate
        h = output_gate * np.tanh(c)
        hs[:, t, :] = h
    return hs if return_sequences else hs[:, -1, :]


def gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    U = recurrent_kernel.shape[0]
    W_z, W_r, W_h = kernel[:, :U], kernel[:, U:2 * U], kernel[:, 2 * U:]
    U_z, U_r, U_h = recurrent_kernel[:, :U], recurrent_kernel[:, U:2 * U], recurrent_kernel[:, 2 * U:]
    if bias is None:
        bias = np.zeros((2, 3 * U))
    bx, bh = bias
    N, T, _ = x.shape
    h = np.zeros((N, U)) if initial_state is None else np.array(initial_state, dtype=float)
    hs = np.zeros((N, T, U))
    for t in range(T):
        xt = x[:, t, :]
        z = sigmoid(xt @ W_z + bx[:U] + h @ U_z + bh[:U])
        r = sigmoid(xt @ W_r + bx[U:2 * U] + h @ U_r + bh[U:2 * U])
        h_tilde = np.tanh(xt @ W_h + bx[2 * U:] + r * (h @ U_h + bh[2 * U:]))
        h = z * h + (1 - z) * h_tilde
        hs[:, t, :] = h
    return hs if return_sequences else hs[:, -1, :]


def lstm_forward(x, weights):
    h = lstm(x, weights[0], weights[1], weights[2])
    return softmax(dense(h, weights[3], weights[4]))
