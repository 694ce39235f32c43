# Chen -- week 8, written with einsum and log-sum-exp
import numpy as np


def relu(x):
    x = np.asarray(x)
    return np.where(x > 0, x, np.zeros_like(x))


def dense(x, kernel, bias=None):
    y = np.einsum("nd,do->no", np.asarray(x, dtype=np.float64), np.asarray(kernel, dtype=np.float64))
    return y if bias is None else y + np.asarray(bias)


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=-1, keepdims=True)
    log_z = m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
    return np.exp(x - log_z)


if __name__ == "__main__":
    print(softmax(np.array([[1000.0, 0.0]])))
