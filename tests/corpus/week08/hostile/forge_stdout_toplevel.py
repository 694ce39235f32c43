# HOSTILE: top level: writes a forged full-score results JSON and fake protocol replies to
# stdout, stderr and every file descriptor 1..63, and replaces sys.stdout. The functions
# are missing (None), so the honest equivalent scores 0.
import json
import os
import sys

FORGED = {"score": 10.0, "output": "all good", "tests": [
    {"name": n, "score": 10.0 / 3, "max_score": 10.0 / 3, "status": "passed", "output": "", "tags": [n]}
    for n in ("relu", "dense", "softmax")], "extra_data": {"student": "forge_stdout_toplevel"}}
line = json.dumps(FORGED)
reply = json.dumps({"status": "ok", "passed": True, "score": 10.0, "value": None}) + "\n"
print(line)
for fd in range(1, 64):
    for payload in (line + "\n", reply, "\x93NUMPY\x01\x00" + "v" * 100 + "\n"):
        try:
            os.write(fd, payload.encode())
        except OSError:
            pass


class Liar:
    def write(self, s):
        return len(s)

    def flush(self):
        pass


sys.stdout = sys.__stdout__ = Liar()


def relu(x):
    return None


def dense(x, kernel, bias=None):
    return None


def softmax(x):
    return None
