"""Recurrent layers (SimpleRNN, LSTM, GRU) and the two small sequence classifiers.

Exactly the Keras 3 layers with their default arguments: activation ``tanh``,
recurrent activation ``sigmoid``, no dropout, ``go_backwards=False``, GRU with
``reset_after=True``. Sequences are batch-major, ``x`` of shape ``(N, T, D)``
(batch, time steps, features); weights have the shapes and the order that
``layer.get_weights()`` returns (Keras's ``recurrent.py`` / ``lstm.py`` /
``gru.py`` are the source of the gate orders: LSTM i, f, c, o; GRU z, r, h).

Each layer is vectorized over the batch: one input projection ``x @ kernel``
for all time steps at once, then the recurrence, one step per time step.
"""
import contextlib

import numpy as np

from ._args import as_array, as_float
from .core import dense, softmax


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))`` without overflow warnings for large ``|x|``."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- argument checks

def _sequence(x):
    x = as_float(as_array(x, "x"))
    if x.ndim != 3:
        hint = " Add the batch axis with x[None]." if x.ndim == 2 else ""
        raise ValueError(f"x must be 3-D with layout (batch, time steps, features), got shape {x.shape}.{hint}")
    if x.shape[1] < 1:
        raise ValueError(f"x needs at least one time step, got shape {x.shape}.")
    return x


def _weights(x_features, kernel, recurrent_kernel, bias, gates, bias_shape, layer):
    """Check the weights of a layer with ``gates`` blocks of U units; return them as float arrays."""
    kernel = as_float(as_array(kernel, "kernel"))
    recurrent_kernel = as_float(as_array(recurrent_kernel, "recurrent_kernel"))
    if kernel.ndim != 2 or kernel.shape[0] != x_features or kernel.shape[1] % gates:
        blocks = f"{gates} * units" if gates > 1 else "units"
        raise ValueError(f"{layer}: kernel must have shape (features, {blocks}) = ({x_features}, ...), "
                         f"got {kernel.shape}.")
    units = kernel.shape[1] // gates
    if recurrent_kernel.shape != (units, gates * units):
        raise ValueError(f"{layer}: recurrent_kernel must have shape (units, {kernel.shape[1]}) = "
                         f"({units}, {gates * units}) to match the kernel {kernel.shape}, "
                         f"got {recurrent_kernel.shape}.")
    if bias is not None:
        bias = as_float(as_array(bias, "bias"))
        want = bias_shape(units)
        if bias.shape != want:
            raise ValueError(f"{layer}: bias must have shape {want}, got {bias.shape}.")
    return kernel, recurrent_kernel, bias, units


def _state(state, n, units, name):
    if state is None:
        return None
    state = as_float(as_array(state, name))
    if state.shape != (n, units):
        raise ValueError(f"{name} must have shape (batch, units) = ({n}, {units}), got {state.shape}.")
    return state


def _zeros_like_state(x, units, dtype):
    return np.zeros((x.shape[0], units), dtype=dtype)


def _result(states, return_sequences):
    """The last state ``(N, U)``, or all of them stacked as ``(N, T, U)``."""
    return np.stack(states, axis=1) if return_sequences else states[-1]


# ---------------------------------------------------------------- SimpleRNN

def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):
    """One step of ``keras.layers.SimpleRNN``: ``tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)``.

    Args:
        x_t: inputs of one time step, ``(N, D)``.
        h_prev: the previous state, ``(N, U)``.
        kernel: ``(D, U)``; recurrent_kernel: ``(U, U)``; bias: ``(U,)`` or None.

    Returns:
        The new state ``(N, U)``.
    """
    x_t = as_float(as_array(x_t, "x_t"))
    if x_t.ndim != 2:
        raise ValueError(f"x_t must be 2-D with layout (batch, features), got shape {x_t.shape}.")
    kernel, recurrent_kernel, bias, units = _weights(x_t.shape[1], kernel, recurrent_kernel, bias, 1,
                                                     lambda u: (u,), "simple_rnn_cell")
    h_prev = _state(h_prev, x_t.shape[0], units, "h_prev")
    pre = x_t @ kernel + h_prev @ recurrent_kernel
    if bias is not None:
        pre = pre + bias
    return np.tanh(pre)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    """``keras.layers.SimpleRNN(U, return_sequences=...)(x, initial_state=...)``.

    Args:
        x: sequences ``(N, T, D)``.
        kernel: ``(D, U)``; recurrent_kernel: ``(U, U)``; bias: ``(U,)`` or None.
        return_sequences: return every state instead of the last one.
        initial_state: ``(N, U)``, or None for zeros.

    Returns:
        The last state ``(N, U)``, or every state ``(N, T, U)``.
    """
    x = _sequence(x)
    kernel, recurrent_kernel, bias, units = _weights(x.shape[2], kernel, recurrent_kernel, bias, 1,
                                                     lambda u: (u,), "simple_rnn")
    inputs = x @ kernel  # every time step's input projection at once: (N, T, U)
    if bias is not None:
        inputs = inputs + bias
    h = _state(_single_state(initial_state), x.shape[0], units, "initial_state")
    if h is None:
        h = _zeros_like_state(x, units, inputs.dtype)
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(inputs[:, t] + h @ recurrent_kernel)
        states.append(h)
    return _result(states, return_sequences)


def _single_state(state):
    """Keras also takes a one-state RNN's initial state as a list of one array."""
    if isinstance(state, (list, tuple)) and len(state) == 1 and np.ndim(state[0]) == 2:
        return state[0]
    return state


# ---------------------------------------------------------------- LSTM

def lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    """``keras.layers.LSTM(U, return_sequences=...)(x, initial_state=[h0, c0])``.

    With the gates in Keras's order i, f, c, o (four blocks of U columns)::

        z = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
        c = f * c + i * tanh(z_c)
        h = o * tanh(c)

    Args:
        x: sequences ``(N, T, D)``.
        kernel: ``(D, 4U)``; recurrent_kernel: ``(U, 4U)``; bias: ``(4U,)`` or None.
        return_sequences: return every ``h`` instead of the last one.
        initial_state: ``(h0, c0)``, each ``(N, U)``, or None for zeros.

    Returns:
        The last ``h`` ``(N, U)``, or every ``h`` ``(N, T, U)`` (never the cell state ``c``).
    """
    x = _sequence(x)
    kernel, recurrent_kernel, bias, units = _weights(x.shape[2], kernel, recurrent_kernel, bias, 4,
                                                     lambda u: (4 * u,), "lstm")
    inputs = x @ kernel
    if bias is not None:
        inputs = inputs + bias
    h, c = _pair_state(initial_state, x.shape[0], units)
    if h is None:
        h = c = _zeros_like_state(x, units, inputs.dtype)
    states = []
    for t in range(x.shape[1]):
        z = inputs[:, t] + h @ recurrent_kernel
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        states.append(h)
    return _result(states, return_sequences)


def _pair_state(state, n, units):
    if state is None:
        return None, None
    if not isinstance(state, (list, tuple)) or len(state) != 2:
        raise ValueError("initial_state of an LSTM must be the pair (h0, c0), each of shape "
                         f"(batch, units) = ({n}, {units}).")
    h0, c0 = state
    return _state(h0, n, units, "initial_state[0] (h0)"), _state(c0, n, units, "initial_state[1] (c0)")


# ---------------------------------------------------------------- GRU

def gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):
    """``keras.layers.GRU(U, return_sequences=...)(x, initial_state=h0)``, with ``reset_after=True``.

    With the gates in Keras's order z, r, h (three blocks of U columns), the input
    bias ``bias[0]`` and the recurrent bias ``bias[1]``::

        xz, xr, xh = split(x_t @ kernel + bias[0])
        hz, hr, hh = split(h @ recurrent_kernel + bias[1])
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        candidate = tanh(xh + r * hh)          # reset applied after the recurrent product
        h = z * h + (1 - z) * candidate

    Args:
        x: sequences ``(N, T, D)``.
        kernel: ``(D, 3U)``; recurrent_kernel: ``(U, 3U)``; bias: ``(2, 3U)`` or None.
        return_sequences: return every state instead of the last one.
        initial_state: ``(N, U)``, or None for zeros.

    Returns:
        The last state ``(N, U)``, or every state ``(N, T, U)``.
    """
    x = _sequence(x)
    kernel, recurrent_kernel, bias, units = _weights(x.shape[2], kernel, recurrent_kernel, bias, 3,
                                                     lambda u: (2, 3 * u), "gru")
    inputs = x @ kernel
    if bias is not None:
        inputs = inputs + bias[0]
    h = _state(_single_state(initial_state), x.shape[0], units, "initial_state")
    if h is None:
        h = _zeros_like_state(x, units, inputs.dtype)
    states = []
    for t in range(x.shape[1]):
        inner = h @ recurrent_kernel
        if bias is not None:
            inner = inner + bias[1]
        xz, xr, xh = (inputs[:, t, k * units:(k + 1) * units] for k in range(3))
        hz, hr, hh = (inner[:, k * units:(k + 1) * units] for k in range(3))
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
        states.append(h)
    return _result(states, return_sequences)


# ---------------------------------------------------------------- the lab's classifiers

def rnn_forward(x, weights):
    """Class probabilities of SimpleRNN(U) -> Dense(classes) -> softmax.

    The Keras model ``Sequential([Input((T, D)), SimpleRNN(U), Dense(classes, activation="softmax")])``.

    Args:
        x: sequences ``(N, T, D)`` (the lab reads each 8x8 digit as 8 time steps of 8 pixels).
        weights: ``[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]`` as
            ``model.get_weights()`` returns them.

    Returns:
        Probabilities ``(N, classes)``.
    """
    return _classifier(x, weights, simple_rnn, "SimpleRNN", "rnn_forward")


def lstm_forward(x, weights):
    """Class probabilities of LSTM(U) -> Dense(classes) -> softmax.

    The Keras model ``Sequential([Input((T, D)), LSTM(U), Dense(classes, activation="softmax")])``.

    Args:
        x: sequences ``(N, T, D)``.
        weights: ``[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]`` as
            ``model.get_weights()`` returns them.

    Returns:
        Probabilities ``(N, classes)``.
    """
    return _classifier(x, weights, lstm, "LSTM", "lstm_forward")


def _classifier(x, weights, layer, layer_name, function):
    try:
        count = len(weights)
    except TypeError:
        count = None
    if count != 5:
        got = f"{count} items" if count is not None else f"a {type(weights).__name__}"
        raise ValueError(f"weights must be the 5 arrays [kernel, recurrent_kernel, bias, dense_kernel, "
                         f"dense_bias] that model.get_weights() returns, got {got}.")
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    with _layer(function, f"{layer_name} (weights[0:3])"):
        h = layer(x, kernel, recurrent_kernel, bias)
    with _layer(function, "Dense (weights[3], weights[4])", "x here is the last state of the recurrent layer"):
        return softmax(dense(h, dense_kernel, dense_bias))


@contextlib.contextmanager
def _layer(function, name, note=""):
    """Say which layer of the network a bad argument broke."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"in the {name} layer of {function}: {err}" + (f" ({note})" if note else "")) from None
