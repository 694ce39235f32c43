"""The recurrent reference without Keras: the worked example by hand, and clear argument errors."""
import math

import numpy as np
import pytest

from reference import gru, lstm, lstm_forward, rnn_forward, simple_rnn, simple_rnn_cell

X = np.zeros((2, 3, 4))   # (batch, time steps, features)


def test_the_worked_example_by_hand():
    h1 = math.tanh(0.5)
    h2 = math.tanh(0.5 * h1)
    h3 = math.tanh(-0.5 + 0.5 * h2)
    got = simple_rnn(np.array([[[1.0], [0.0], [-1.0]]]), [[0.5]], [[0.5]], return_sequences=True)
    np.testing.assert_allclose(got[0, :, 0], [h1, h2, h3], rtol=1e-12)
    np.testing.assert_allclose(simple_rnn_cell([[1.0]], [[0.0]], [[0.5]], [[0.5]]), [[h1]], rtol=1e-12)


def test_lstm_and_gru_gates_by_hand():
    # zero weights: every gate is sigmoid(its bias); LSTM i, f, c, o; GRU z, r, h
    h = lstm(np.zeros((1, 2, 1)), np.zeros((1, 4)), np.zeros((1, 4)), [0.0, 0.0, 20.0, 0.0], return_sequences=True)
    np.testing.assert_allclose(h[0, :, 0], [0.5 * math.tanh(0.5), 0.5 * math.tanh(0.75)], rtol=1e-8)
    bias = np.zeros((2, 3))
    bias[0, 0] = math.log(3.0)
    h = gru(np.zeros((1, 2, 1)), np.zeros((1, 3)), np.zeros((1, 3)), bias, return_sequences=True,
            initial_state=[[0.8]])
    np.testing.assert_allclose(h[0, :, 0], [0.6, 0.45], rtol=1e-12)


def test_dtypes_are_kept_and_inputs_unchanged():
    x = np.ones((1, 2, 3), np.float32)
    k, r = np.full((3, 8), 0.1, np.float32), np.full((2, 8), 0.1, np.float32)
    before = x.copy()
    assert lstm(x, k, r).dtype == np.float32
    assert simple_rnn(np.ones((1, 2, 3), np.int64), np.ones((3, 2)), np.ones((2, 2))).dtype == np.float64
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("call, words", [
    (lambda: simple_rnn(X[0], np.zeros((4, 2)), np.zeros((2, 2))), r"x must be 3-D .*\(batch, time steps, features\).*x\[None\]"),
    (lambda: simple_rnn(X, np.zeros((3, 2)), np.zeros((2, 2))), r"kernel must have shape \(features, units\) = \(4, \.\.\.\)"),
    (lambda: lstm(X, np.zeros((4, 8)), np.zeros((2, 4))), r"recurrent_kernel must have shape \(units, 8\) = \(2, 8\)"),
    (lambda: lstm(X, np.zeros((4, 6)), np.zeros((2, 6))), r"kernel must have shape \(features, 4 \* units\)"),
    (lambda: gru(X, np.zeros((4, 6)), np.zeros((2, 6)), np.zeros(6)), r"bias must have shape \(2, 6\)"),
    (lambda: lstm(X, np.zeros((4, 8)), np.zeros((2, 8)), initial_state=np.zeros((2, 2))), r"pair \(h0, c0\)"),
    (lambda: simple_rnn(X, np.zeros((4, 2)), np.zeros((2, 2)), initial_state=np.zeros((3, 2))),
     r"initial_state must have shape \(batch, units\) = \(2, 2\)"),
    (lambda: rnn_forward(X, [np.zeros((4, 2))]), r"5 arrays \[kernel, recurrent_kernel, bias, dense_kernel"),
    (lambda: lstm_forward(X, [np.zeros((4, 8)), np.zeros((2, 8)), np.zeros(8), np.zeros((3, 5)), np.zeros(5)]),
     r"in the Dense \(weights\[3\], weights\[4\]\) layer of lstm_forward"),
])
def test_bad_arguments_get_one_clear_sentence(call, words):
    with pytest.raises(ValueError, match=words) as err:
        call()
    assert "\n" not in str(err.value)
