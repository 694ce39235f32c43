"""Inside the box: a fork server that starts the interpreter and NumPy once and forks workers.

Runs as ``worker.py`` with ``"zygote": true`` in its configuration (standard library only,
never the kit). Starting Python and importing NumPy is most of what a fresh worker costs;
here it is paid once per judge process, and each worker is a fork that then confines
itself exactly as a worker started on its own does (`launch.ForkServer` is the judge's side):

- namespace levels: the server lives in the namespaces `unshare` made and has pivoted
  into the minimal root (`jail.enter_root`) but is still root. Each request forks a child
  that makes fresh mount, network, IPC, UTS and PID namespaces, then forks the worker: PID 1
  of its own namespace, with its own /proc and an empty private /tmp. The child in between
  only waits for the worker and exits the same way (signal or code), so the server can
  report how the worker ended.
- uid levels: the server has chrooted into the batch's copy of Python; each worker is a
  direct fork that moves to its own folder there.

Then, in the worker: join its cgroups (files the judge opened), own uid with
no_new_privs; `worker.py` goes on with rlimits and seccomp, as always. The server never
runs student code and keeps no secret: a worker inherits a copy of a process that has
only imported NumPy. What forks do share with each other is the server's memory layout
(address-space randomisation happens once, at its exec) and its str hash seed: nothing
the judge parses or trusts lives in a worker, so this gives a student nothing to aim at.

Messages on the control socket (SOCK_SEQPACKET, one JSON object each), judge -> server:
``{"op": "fork", "seq": n, "cfg": {...}}`` with file descriptors attached (the worker's command,
reply and audit pipes, then its cgroup.procs files), ``{"op": "kill", "id": n}``;
server -> judge: ``{"op": "ready", "threads": n}``, ``{"op": "forked", "seq": n, "id": k}`` or
``{"op": "forked", "seq": n, "error": "..."}`` (``seq`` echoes the request's, so a late answer
to a request the judge gave up on is never taken for the next one), ``{"op": "exit", "id": n, "status": s}`` (status as
`subprocess.Popen.returncode`: negative for a signal).
"""

import json
import os
import select
import signal
import socket
import sys

MAX_MESSAGE = 1 << 20
MAX_FDS = 16


def _status(wait_status):
    if os.WIFSIGNALED(wait_status):
        return -os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


def _threads():
    """Threads of this process, or None where /proc is not mounted (the uid levels' chroot)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def _close_all_but(keep):
    """Close every descriptor above 2 except `keep` (no /proc needed: the uid levels have none)."""
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def _mirror(pid):
    """In the child between server and worker: wait for the worker, then end the same way."""
    while True:
        try:
            _, wait_status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    status = _status(wait_status)
    if status < 0:
        try:
            signal.signal(-status, signal.SIG_DFL)   # not allowed (nor needed) for SIGKILL, SIGSTOP
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), -status)
        os._exit(128 - status)   # a signal that does not end a process: say which, as a shell does
    os._exit(status & 0xFF)


def _become_worker(jail, cfg, fds, namespaces, sock):
    """In a forked child: confine it as the worker of `cfg`; returns only in the worker."""
    os.close(sock.detach())   # detach: the socket object must not close a reused fd number later
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pipes, cgroup_fds = fds[:3], fds[3:]
    if namespaces:
        jail.unshare_worker_namespaces()
        pid = os.fork()
        if pid:
            _close_all_but(set())
            jail._libc.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _mirror(pid)
        jail._libc.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.setsid()   # its own session and process group, as a worker started on its own has
    jail.join_cgroup_files(cgroup_fds)   # first: every process started from here on is counted
    _close_all_but(set(pipes))
    if namespaces:
        jail.fresh_proc_and_tmp(cfg["tmp_bytes"])
    else:
        os.chdir(cfg["home"])
    os.environ.update(cfg.get("env", {}))
    jail.drop_to(cfg["uid"])
    cfg["fds"], cfg["audit_fd"] = pipes[:2], pipes[2]
    return cfg


def serve(cfg, jail):
    """Set up once, then fork workers on request; returns only in a forked worker (its cfg)."""
    control, namespaces = cfg["control_fd"], cfg["jail"]
    if namespaces:
        jail.enter_root(cfg)
    else:
        os.chroot(cfg["root"])
        os.chdir("/")
    sys.dont_write_bytecode = True
    sys.path.append(cfg["numpy_path"])
    import numpy  # noqa: F401  (the point of the server: every worker inherits it)

    sock = socket.socket(fileno=control)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children = {}   # pid -> id of the worker it is (or mirrors)
    sock.send(json.dumps({"op": "ready", "threads": _threads()}).encode())
    number = 0
    while True:
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
        while True:   # reap: report how each worker ended
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in children:
                sock.send(json.dumps({"op": "exit", "id": children.pop(pid),
                                      "status": _status(wait_status)}).encode())
        if sock not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
        except OSError:
            os._exit(0)
        if not data:   # the judge is gone: workers die with us (PID 1, or PDEATHSIG)
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            os._exit(0)
        try:
            request = json.loads(data)
        except ValueError:
            request = {}
        if request.get("op") == "kill":
            for pid, ident in children.items():
                if ident == request.get("id"):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            continue
        seq = request.get("seq")
        if request.get("op") != "fork" or len(fds) < 3:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"op": "forked", "seq": seq, "error": "malformed request"}).encode())
            continue
        number += 1
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"op": "forked", "seq": seq, "error": f"fork: {exc}"}).encode())
            continue
        if pid == 0:
            try:
                return _become_worker(jail, request["cfg"], fds, namespaces, sock)
            except BaseException as exc:   # before any student code: say why on stderr
                print(f"worker set-up failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                os._exit(1)
        children[pid] = number
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"op": "forked", "seq": seq, "id": number}).encode())
