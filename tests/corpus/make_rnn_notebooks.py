"""Write the noisy-notebook submissions of the week 10 and week 11 correct corpora.

Like real lab notebooks: markdown, magics, shell lines, a matplotlib plot, the lab's data file
loaded (absent while grading), a cell that fails, and the graded functions spread over several
cells, one of them redefined later (the last definition counts). The grader must still give
them full marks.
"""
import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parent

HELPERS = '''import numpy as np
import matplotlib.pyplot as plt

def dense(x, kernel, bias=None):
    return x @ kernel if bias is None else x @ kernel + bias

def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''

WEEK10 = [
    new_markdown_cell("# Week 10: a recurrent network by hand\nName: Ana Souza"),
    new_code_cell("%matplotlib inline\n!pip list | grep numpy"),
    new_code_cell(HELPERS),
    new_code_cell("data = np.load('digits.npz')\nimages = data['images'] / 16.0\nprint(images.shape)"),
    new_markdown_cell("## The cell"),
    new_code_cell("def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):\n"
                  "    return None  # first try, fixed below\n"),
    new_code_cell("h = 0.0\nfor x in [1.0, 0.0, -1.0]:\n    h = np.tanh(0.5 * x + 0.5 * h)\n    print(round(h, 4))"),
    new_code_cell("def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias=None):\n"
                  "    z = x_t @ kernel + h_prev @ recurrent_kernel\n"
                  "    return np.tanh(z if bias is None else z + bias)\n"),
    new_code_cell("def simple_rnn(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):\n"
                  "    h = np.zeros((x.shape[0], kernel.shape[1])) if initial_state is None else initial_state\n"
                  "    out = []\n"
                  "    for t in range(x.shape[1]):\n"
                  "        h = simple_rnn_cell(x[:, t], h, kernel, recurrent_kernel, bias)\n"
                  "        out.append(h)\n"
                  "    return np.stack(out, axis=1) if return_sequences else h\n"),
    new_code_cell("plt.plot(simple_rnn(images[:1], data['kernel'], data['recurrent_kernel'], data['bias'], True)[0])\nplt.show()"),
    new_code_cell("def rnn_forward(x, weights):\n"
                  "    h = simple_rnn(x, weights[0], weights[1], weights[2])\n"
                  "    return softmax(dense(h, weights[3], weights[4]))\n"),
    new_code_cell("print(undefined_name)"),
    new_code_cell("grader.check('rnn_forward')"),
]

WEEK11 = [
    new_markdown_cell("# Week 11: LSTM and GRU\nName: Ana Souza"),
    new_code_cell("%load_ext autoreload\n!nvidia-smi"),
    new_code_cell(HELPERS + "\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"),
    new_code_cell("data = np.load('digits.npz')"),
    new_code_cell("def lstm(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):\n"
                  "    n, T, _ = x.shape\n"
                  "    u = recurrent_kernel.shape[0]\n"
                  "    h, c = (np.zeros((n, u)), np.zeros((n, u))) if initial_state is None else initial_state\n"
                  "    hs = []\n"
                  "    for t in range(T):\n"
                  "        z = x[:, t] @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)\n"
                  "        i, f, g, o = z[:, :u], z[:, u:2*u], z[:, 2*u:3*u], z[:, 3*u:]\n"
                  "        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)\n"
                  "        h = sigmoid(o) * np.tanh(c)\n"
                  "        hs.append(h)\n"
                  "    return np.stack(hs, 1) if return_sequences else h\n"),
    new_code_cell("import tensorflow as tf  # to compare with Keras at home\nprint(tf.__version__)"),
    new_code_cell("def gru(x, kernel, recurrent_kernel, bias=None, return_sequences=False, initial_state=None):\n"
                  "    n, T, _ = x.shape\n"
                  "    u = recurrent_kernel.shape[0]\n"
                  "    h = np.zeros((n, u)) if initial_state is None else initial_state\n"
                  "    b0, b1 = (np.zeros(3 * u), np.zeros(3 * u)) if bias is None else (bias[0], bias[1])\n"
                  "    hs = []\n"
                  "    for t in range(T):\n"
                  "        xz = x[:, t] @ kernel + b0\n"
                  "        hz = h @ recurrent_kernel + b1\n"
                  "        z = sigmoid(xz[:, :u] + hz[:, :u])\n"
                  "        r = sigmoid(xz[:, u:2*u] + hz[:, u:2*u])\n"
                  "        h = z * h + (1 - z) * np.tanh(xz[:, 2*u:] + r * hz[:, 2*u:])\n"
                  "        hs.append(h)\n"
                  "    return np.stack(hs, 1) if return_sequences else h\n"),
    new_code_cell("def lstm_forward(x, weights):\n"
                  "    return softmax(dense(lstm(x, *weights[:3]), weights[3], weights[4]))\n"),
    new_code_cell("probs = lstm_forward(data['images'] / 16.0, [data[k] for k in ('lstm_kernel',)])"),
]


def main():
    for week, cells in (("week10", WEEK10), ("week11", WEEK11)):
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i:02d}"
        nbformat.write(nb, HERE / week / "correct" / "noisy_notebook.ipynb")


if __name__ == "__main__":
    main()
