"""Reference layers of small CNNs and RNNs in NumPy, with the exact semantics of Keras.

These are the ground truth the grader compares student code with. Images are
channels last (NHWC) and sequences batch-major (N, T, D), as in Keras.
"""
from .conv import conv2d
from .core import dense, flatten, relu, softmax
from .network import cnn_forward
from .pooling import avg_pool2d, max_pool2d
from .recurrent import gru, lstm, lstm_forward, rnn_forward, simple_rnn, simple_rnn_cell

__all__ = ["relu", "dense", "softmax", "conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward",
           "simple_rnn_cell", "simple_rnn", "rnn_forward", "lstm", "gru", "lstm_forward"]
