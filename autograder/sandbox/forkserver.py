"""The judge's side of the fork server (`zygote.py`): one per judge process and isolation level.

A fresh worker used to be a fresh interpreter importing NumPy: about as long as the
``python -c "import numpy"`` floor itself, for every submission and every restart. The
server pays that once; `fork` hands it a worker's configuration and pipes and gets back a
`ForkedProcess`, which stands in for `subprocess.Popen` (``poll``, ``wait``, ``kill``,
``returncode``) for that worker.

The server is root inside the sandbox's namespaces (or the uid levels' chroot) and never
runs student code; a worker is confined (own namespaces, cgroup, uid, rlimits, seccomp)
before any of it runs, exactly as a worker started on its own. If the server dies, the
next `fork` fails with `ForkServerError` and `launch` starts a new server.
"""

import json
import select
import socket
import subprocess
import threading
import time

from . import procfs

MAX_MESSAGE = 1 << 16


def _threads_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return None


class ForkServerError(OSError):
    """The fork server could not start, died, or refused a request."""


class ForkServer:
    """A running `zygote.py` (started by ``argv``, whose last item is its JSON configuration
    without ``control_fd``: that is added here).

    Args:
        argv: the command that starts ``worker.py`` (under ``unshare`` for namespace levels).
        cfg: the server's configuration (see `zygote.serve`).
        env, cwd: of the server process (and so of every worker).
        stderr_path: file the server's (and the workers') stderr goes to, for start-up errors.
        startup_timeout: seconds to wait for "ready".
    """

    def __init__(self, argv, cfg, *, env, cwd, stderr_path, startup_timeout=30.0):
        self._lock = threading.Lock()
        self._exits = {}          # worker id -> status
        self._seq = 0             # number of the last fork request
        self.stderr_path = stderr_path
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        cfg = dict(cfg, zygote=True, control_fd=theirs.fileno())
        errlog = open(stderr_path, "ab")
        try:
            self._proc = subprocess.Popen(
                list(argv) + [json.dumps(cfg)], stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                cwd=cwd, env=env, pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True)
        finally:
            errlog.close()
            theirs.close()
        ready = self._receive(time.monotonic() + startup_timeout, lambda m: m.get("op") == "ready")
        if ready is None or ready.get("op") != "ready":
            self.close()
            raise ForkServerError(f"the fork server did not start ({self._stderr_tail() or 'no output'})")
        if ready.get("threads") is None:   # no /proc inside its chroot: look from outside
            ready["threads"] = _threads_of(self._proc.pid)
        if ready.get("threads") != 1:   # fork() of a process with threads is not safe
            self.close()
            raise ForkServerError(f"the fork server runs {ready.get('threads')} threads after importing NumPy")

    @property
    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    def _stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read()[-2000:].decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def _receive(self, deadline, wanted):
        """Read messages until one for which ``wanted(message)`` is true (returned) or
        `deadline` (None). On the way, exit reports are filed and the late answer to a fork
        request given up on gets its worker killed (it has no judge)."""
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left < 0:
                return None
            ready, _, _ = select.select([self._sock], [], [], left)
            if not ready:
                return None
            try:
                data = self._sock.recv(MAX_MESSAGE)
            except OSError:
                return None
            if not data:
                return None
            message = json.loads(data)
            if message.get("op") == "exit":
                self._exits[message.get("id")] = message.get("status")
            elif (message.get("op") == "forked" and message.get("seq") != self._seq
                  and "id" in message):
                self._send({"op": "kill", "id": message["id"]})
                continue
            if wanted(message):
                return message

    def _send(self, message):
        try:
            self._sock.send(json.dumps(message).encode())
        except OSError:
            pass

    def fork(self, cfg, fds, timeout=30.0):
        """Start a worker: ``cfg`` (see `zygote._become_worker`), ``fds`` (command read end,
        reply write end, audit write end, then open cgroup.procs files; the caller closes its
        copies). Returns a `ForkedProcess`; raises `ForkServerError`."""
        with self._lock:
            if not self.alive:
                raise ForkServerError("the fork server is not running")
            self._seq += 1
            try:
                socket.send_fds(self._sock, [json.dumps({"op": "fork", "seq": self._seq, "cfg": cfg}).encode()],
                                list(fds))
            except OSError as exc:
                raise ForkServerError(f"the fork server is gone ({exc})") from None
            reply = self._receive(time.monotonic() + timeout,
                                  lambda m: m.get("op") == "forked" and m.get("seq") == self._seq)
        if reply is None or reply.get("op") != "forked" or "id" not in reply:
            detail = (reply or {}).get("error") or self._stderr_tail() or "no answer"
            raise ForkServerError(f"the fork server could not fork a worker ({detail})")
        return ForkedProcess(self, reply["id"])

    def _poll_exits(self, timeout):
        """File the exit reports that arrive within ``timeout`` seconds (0: only those waiting)."""
        with self._lock:
            self._receive(time.monotonic() + timeout, lambda m: m.get("op") == "exit")

    def _kill(self, ident):
        with self._lock:
            self._send({"op": "kill", "id": ident})

    def close(self):
        """Stop the server (its workers die with it). Idempotent."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.kill()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass


class ForkedProcess:
    """A worker forked by a `ForkServer`: the part of `subprocess.Popen` that `launch` uses."""

    def __init__(self, server, ident):
        self.server, self.id = server, ident
        self.returncode = None
        self.uid = None   # the worker's uid, once the caller knows it

    @property
    def pid(self):
        """The worker's pid as the judge sees it (the process of its uid whose parent is not), or None."""
        mine = procfs.processes_of(self.uid)
        roots = [pid for pid, (parent, _, _) in mine.items() if parent not in mine]
        return min(roots) if roots else None

    def poll(self):
        if self.returncode is None:
            if self.id not in self.server._exits and self.server._sock is not None:
                self.server._poll_exits(0)
            self.returncode = self.server._exits.pop(self.id, None)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or self.server._sock is None:
                raise subprocess.TimeoutExpired("forked worker", timeout)
            self.server._poll_exits(0.05 if left is None else min(left, 0.05))
        return self.returncode

    def kill(self):
        if self.returncode is None and self.server._sock is not None:
            self.server._kill(self.id)
