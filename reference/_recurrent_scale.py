"""The tolerance scale of the recurrent layers: a first-order bound on honest rounding.

A recurrent layer feeds each step's rounding errors into the next steps. To first order the
error of the state after step t is ``sum_s P(t, s) d_s``: ``d_s`` the rounding of step s alone
and ``P(t, s) = J_t ... J_(s+1)`` the product of the steps' Jacobians (state to next state).
With ``|d_s| <= eps * local_s`` componentwise, ``|error_t| <= eps * sum_s |P(t, s)| local_s``,
and that sum is the scale (``tolerance.within`` multiplies it by ``RTOL``).

``local_s`` is the magnitude of the terms behind one step, as for ``dense``: each
pre-activation carries ``|x_t| @ |kernel| + |h| @ |recurrent_kernel| + |bias|``, each
activation scales it by its slope at the actual value (tanh' = 1 - tanh^2, sigmoid' =
s (1 - s)), products add the bounds of their factors times the other factor, and every value
adds its own rounding ``|value|``. The Jacobians are the signed ones (central differences in
float64), so a stable recurrence shrinks old errors as the arithmetic does; bounding them by
``|recurrent_kernel|`` instead would grow the scale like ``||  |U|  ||^T`` and pass anything.
"""
import numpy as np

from . import recurrent
from .core import dense, softmax

_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
_DELTA = 1e-6  # central differences: error ~1e-12 relative, far below what the scale needs


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


class _Layer:
    """One recurrent layer in float64: its step, its local rounding bound, its state layout."""

    def __init__(self, layer, kernel, recurrent_kernel, bias):
        self.layer = layer
        self.kernel, self.recurrent_kernel, self.bias = _f64(kernel), _f64(recurrent_kernel), _f64(bias)
        self.units = self.kernel.shape[1] // _GATES[layer]

    def initial(self, n, initial_state):
        """The state vector (N, S): h, or [h, c] for the LSTM."""
        u = self.units
        if initial_state is None:
            return np.zeros((n, 2 * u if self.layer == "lstm" else u))
        if self.layer == "lstm":
            return np.concatenate([_f64(initial_state[0]), _f64(initial_state[1])], axis=-1)
        return _f64(recurrent._single_state(initial_state))

    def step(self, x_t, state):
        """The next state; ``state`` may carry extra leading axes (for the Jacobian)."""
        u, k, rk, b = self.units, self.kernel, self.recurrent_kernel, self.bias
        sig = recurrent.sigmoid
        if self.layer == "simple_rnn":
            return np.tanh(x_t @ k + state @ rk + (0 if b is None else b))
        if self.layer == "lstm":
            h, c = state[..., :u], state[..., u:]
            z = x_t @ k + h @ rk + (0 if b is None else b)
            c = sig(z[..., u:2 * u]) * c + sig(z[..., :u]) * np.tanh(z[..., 2 * u:3 * u])
            return np.concatenate([sig(z[..., 3 * u:]) * np.tanh(c), c], axis=-1)
        xs = x_t @ k + (0 if b is None else b[0])
        inner = state @ rk + (0 if b is None else b[1])
        z, r = sig(xs[..., :u] + inner[..., :u]), sig(xs[..., u:2 * u] + inner[..., u:2 * u])
        return z * state + (1 - z) * np.tanh(xs[..., 2 * u:] + r * inner[..., 2 * u:])

    def local(self, x_t, state):
        """The magnitude of the terms behind one step (its own rounding only), (N, S)."""
        u, k, rk, b = self.units, self.kernel, self.recurrent_kernel, self.bias
        sig = recurrent.sigmoid
        h = state[..., :u]
        terms = np.abs(x_t) @ np.abs(k) + np.abs(h) @ np.abs(rk)
        if self.layer == "simple_rnn":
            new = self.step(x_t, state)
            return (1 - new ** 2) * (terms + (0 if b is None else np.abs(b))) + np.abs(new)
        if self.layer == "lstm":
            c = state[..., u:]
            z = x_t @ k + h @ rk + (0 if b is None else b)
            terms = terms + (0 if b is None else np.abs(b))
            blocks = [z[..., j * u:(j + 1) * u] for j in range(4)]
            ti, tf, tg, to = (terms[..., j * u:(j + 1) * u] for j in range(4))
            i, f, g, o = sig(blocks[0]), sig(blocks[1]), np.tanh(blocks[2]), sig(blocks[3])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            err_c = (np.abs(c) * f * (1 - f) * tf + i * (1 - g ** 2) * tg + np.abs(g) * i * (1 - i) * ti
                     + np.abs(c_new))
            err_h = o * (1 - tc ** 2) * err_c + np.abs(tc) * o * (1 - o) * to + np.abs(o * tc)
            return np.concatenate([err_h, err_c], axis=-1)
        b_in, b_rec = (0.0, 0.0) if b is None else (b[0], b[1])
        xs, inner = x_t @ k + b_in, h @ rk + b_rec
        tx = np.abs(x_t) @ np.abs(k) + np.abs(b_in)
        th = np.abs(h) @ np.abs(rk) + np.abs(b_rec)
        part = lambda a, j: a[..., j * u:(j + 1) * u]  # noqa: E731
        z, r = sig(part(xs, 0) + part(inner, 0)), sig(part(xs, 1) + part(inner, 1))
        cand = np.tanh(part(xs, 2) + r * part(inner, 2))
        err_z = z * (1 - z) * (part(tx, 0) + part(th, 0))
        err_r = r * (1 - r) * (part(tx, 1) + part(th, 1))
        err_cand = (1 - cand ** 2) * (part(tx, 2) + r * part(th, 2) + np.abs(part(inner, 2)) * err_r)
        new = z * h + (1 - z) * cand
        return np.abs(h - cand) * err_z + (1 - z) * err_cand + np.abs(new)

    def jacobian(self, x_t, state):
        """d next state / d state, (N, S, S), by central differences."""
        size = state.shape[-1]
        eye = np.eye(size) * _DELTA
        plus = self.step(x_t[:, None], state[:, None] + eye)    # (N, S perturbed, S)
        minus = self.step(x_t[:, None], state[:, None] - eye)
        return np.swapaxes((plus - minus) / (2 * _DELTA), 1, 2)  # [n, i, j] = d new_i / d old_j

    def states_and_scales(self, x, initial_state):
        """Every state (N, T, S) and its rounding scale (N, T, S)."""
        x = _f64(x)
        state = self.initial(x.shape[0], initial_state)
        carried = [(np.broadcast_to(np.eye(state.shape[-1]), (x.shape[0],) + (state.shape[-1],) * 2),
                    np.abs(state))]  # (P(t, s), local_s); the initial state's own rounding first
        states, scales = [], []
        for t in range(x.shape[1]):
            jac = self.jacobian(x[:, t], state)
            local = self.local(x[:, t], state)
            state = self.step(x[:, t], state)
            carried = [(jac @ p, loc) for p, loc in carried] + [(np.broadcast_to(np.eye(state.shape[-1]),
                                                                                 jac.shape), local)]
            scales.append(sum(np.einsum("nij,nj->ni", np.abs(p), loc) for p, loc in carried))
            states.append(state)
        return np.stack(states, axis=1), np.stack(scales, axis=1)


def _layer_scale(layer, x, kernel, recurrent_kernel, bias, return_sequences, initial_state):
    model = _Layer(layer, kernel, recurrent_kernel, bias)
    _, scales = model.states_and_scales(x, initial_state)
    scales = scales[..., :model.units]  # h (an LSTM's c is carried, not returned)
    return scales if return_sequences else scales[:, -1]


def _cell_scale(x_t, h_prev, kernel, recurrent_kernel, bias):
    return _layer_scale("simple_rnn", _f64(x_t)[:, None], kernel, recurrent_kernel, bias, False, h_prev)


def _classifier_scale(layer, x, weights):
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    model = _Layer(layer, kernel, recurrent_kernel, bias)
    states, scales = model.states_and_scales(x, None)
    h, h_scale = states[:, -1, :model.units], scales[:, -1, :model.units]
    logits = dense(np.abs(h) + h_scale, np.abs(_f64(dense_kernel)), np.abs(_f64(dense_bias)))
    probs = softmax(dense(h, _f64(dense_kernel), _f64(dense_bias)))
    from .tolerance import _probability_scale

    return _probability_scale(probs, logits)


SCALES = {
    "simple_rnn_cell": _cell_scale,
    "simple_rnn": lambda **a: _layer_scale("simple_rnn", **a),
    "lstm": lambda **a: _layer_scale("lstm", **a),
    "gru": lambda **a: _layer_scale("gru", **a),
    "rnn_forward": lambda x, weights: _classifier_scale("simple_rnn", x, weights),
    "lstm_forward": lambda x, weights: _classifier_scale("lstm", x, weights),
}
