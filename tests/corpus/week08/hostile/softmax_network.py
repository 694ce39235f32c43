# HOSTILE: softmax: tries the network (public DNS servers, a web server, the host's
# loopback) and a listening socket; it answers right only when nothing is reachable, so
# with network isolation the honest outcome is full marks. relu and dense are correct.
import socket

import numpy as np


def relu(x):
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    reached = False
    for host, port in (("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443), ("127.0.0.1", 22)):
        try:
            with socket.create_connection((host, port), timeout=1.0):
                reached = True
        except OSError:
            pass
    try:
        server = socket.socket()
        server.bind(("0.0.0.0", 0))
        server.listen()
    except OSError:
        pass
    if reached:
        return np.zeros_like(x)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
