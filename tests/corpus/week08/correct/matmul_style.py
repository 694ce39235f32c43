# Week 8: ReLU, Dense and softmax (my solution)
import numpy as np

def relu(x):
    x = np.array(x)              # copy, so the input is left alone
    x[x < 0] = 0
    return x

def dense(x, kernel, bias=None):
    z = np.dot(x, kernel)
    return z if bias is None else z + bias.reshape(1, -1)

def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    z = x - x.max(axis=-1, keepdims=True)   # avoid overflow for big logits
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    return p
