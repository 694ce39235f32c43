# HOSTILE: relu: on its first call leaves things running behind it -- a child process
# (sleep 1001.5), a double-forked setsid daemon (sleep 1002.5), and a non-daemon thread
# that never ends -- then returns the right answer. Nothing may outlive the batch.
# dense and softmax are correct.
import os
import subprocess
import sys
import threading
import time

import numpy as np

_started = []


def _forever():
    while True:
        time.sleep(0.05)


def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for exe in ("/bin/sleep", "/usr/bin/sleep"):
                try:
                    os.execv(exe, ["sleep", "1002.5"])
                except OSError:
                    pass
            time.sleep(1002.5)
        os._exit(0)


def relu(x):
    if not _started:
        _started.append(1)
        for cmd in (["/bin/sleep", "1001.5"], ["/usr/bin/sleep", "1001.5"],
                    [sys.executable, "-c", "import time; time.sleep(1001.5)"]):
            try:
                subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
                break
            except OSError:
                pass
        try:
            _daemon()
        except OSError:
            pass
        threading.Thread(target=_forever, daemon=False).start()
    return np.maximum(x, 0)


def dense(x, kernel, bias=None):
    out = x @ kernel
    return out if bias is None else out + bias


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

