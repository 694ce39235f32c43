"""Starts, isolates, times and kills a worker; decides the isolation level once per batch.

The judge side of the sandbox. A `Worker` is one process running `worker.py`: a
fork of this judge process's fork server (`forkserver.py`, `zygote.py`: Python
and NumPy are started once, not once per worker), or, where no server can run,
a fresh interpreter; both are confined the same way. The judge talks to it only through `protocol` frames on two
dedicated pipes and gets back `Reply` objects holding plain, validated arrays.

No level runs student code as root or as the user who runs the grader: every
worker gets a uid/gid of its own (distinct per concurrent worker, leased with an
abstract socket name), so grading needs root. Levels, strongest first:

- ``"namespaces+uid"``: `unshare` gives the worker its own network, mount, PID,
  IPC and UTS namespaces; inside, it builds a minimal root (read-only binds of the
  interpreter, the stdlib and NumPy; no kit, no results, no /root, /home or /work)
  and pivots into it; its own uid; its own cgroup (memory of the whole process
  tree, number of tasks, CPU share and quota: `cgroup.py`); a seccomp filter
  (`seccomp.py`) so it cannot make new namespaces, trace, mount, load BPF, use
  the kernel keyring or io_uring.
- ``"namespaces+uid-nocgroup"``: the same without the cgroup (per-process
  rlimits only: a process tree can hold more memory and CPU than one process).
- ``"uid"``: no namespaces (a default Docker container): a chroot into a copy of
  the interpreter, stdlib and NumPy made once per batch (`pyroot.py`), so the
  grader's command line, inputs, results and temp folders are out of sight; own
  uid, cgroup and seccomp filter, which also refuses every socket (AF_UNIX too:
  abstract names are per network namespace), System V IPC and POSIX message
  queues, as the worker shares the host's network and IPC namespaces; the end of
  each worker removes IPC objects of its uid all the same (`sweep_worker_ipc`).
- ``"uid-nocgroup"``: the same without the cgroup.

The grader uses the strongest level that works (`isolation_level`, probed once
per process with a real worker, or pinned with `pin_level` by the batch's
parent so that every pool process uses the level the parent decided).
"""

import atexit
import dataclasses
import functools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time

import numpy as np

from . import cgroup, forkserver, procfs, protocol, pyroot, seccomp

LEVELS = ("namespaces+uid", "namespaces+uid-nocgroup", "uid", "uid-nocgroup")
# One line per level, for the grader's start-up message, the refusal and the README.
LEVEL_NOTES = {
    "namespaces+uid": "full isolation: own uid, namespaces and cgroup, no network, no view of the kit, "
                      "other files or processes",
    "namespaces+uid-nocgroup": "own uid and namespaces, but no cgroups: memory and CPU are limited per "
                               "process, so one submission's processes together can slow or squeeze "
                               "the submissions graded beside it",
    "uid": "no namespaces: own uid, cgroup and a private copy of Python (chroot), but the submission "
           "shares the host's network and IPC namespaces (sockets, System V IPC and message queues are "
           "refused)",
    "uid-nocgroup": "no namespaces and no cgroups: own uid and a private copy of Python (chroot); "
                    "memory and CPU are limited per process only",
}
STATUSES = ("ok", "crashed", "timed out", "not implemented", "policy violation", "bad output")
_WORKER_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
_UID_BASE, _UID_SPAN = 1_900_000_000, 1 << 20
MAX_INTEGRITY = 50


class WorkerError(Exception):
    """The sandbox itself failed (could not start), or a dead/closed worker was called."""

    grader_fault = False   # True: the grader's own machinery failed, not the student's code


class SandboxFailure(WorkerError):
    """The grader's machinery failed around a worker (it could not start one, or the fork
    server died under it): never the student's doing, so the judge must not grade it as a
    crash of their code (the batch records a grader error, which is graded again next run)."""

    grader_fault = True


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one worker.

    Args:
        cpu_seconds: RLIMIT_CPU for the whole worker life (all calls together).
        memory_bytes: RLIMIT_AS (address space) of each process, and (cgroup levels) the
            memory of the whole process tree together.
        processes: tasks (processes + threads) of the worker: RLIMIT_NPROC of its own uid,
            and (cgroup levels) pids.max of its cgroup.
        cpus: (cgroup levels) CPU quota of the whole tree, in cores.
        file_bytes: RLIMIT_FSIZE, largest file the worker may write.
        open_files: RLIMIT_NOFILE.
        tmp_bytes: size of the private /tmp (namespace levels).
        output_chars: characters of printed output kept per load and per call.
        array_bytes, array_elements: caps on any single array crossing the pipes.
        startup_timeout: seconds to wait for a fresh worker to be ready.
    """

    cpu_seconds: int = 600
    memory_bytes: int = 3 << 30
    processes: int = 32
    cpus: float = 1.0
    file_bytes: int = 16 << 20
    open_files: int = 64
    tmp_bytes: int = 64 << 20
    output_chars: int = 64 << 10
    array_bytes: int = 64 << 20
    array_elements: int = 8 << 20
    startup_timeout: float = 30.0

    def caps(self, header_bytes):
        return protocol.Caps(header_bytes=header_bytes, array_bytes=self.array_bytes,
                             array_elements=self.array_elements,
                             total_bytes=4 * self.array_bytes + header_bytes)


@dataclasses.dataclass
class Reply:
    """What one call returned.

    Attributes:
        status: one of `STATUSES`.
        value: the result as a plain numeric ndarray when status == "ok", else None.
        inputs_after: the array arguments as they were after the call, in the order
            the arrays appeared in args then kwargs (depth first through lists/tuples).
        message: one line for the student when status != "ok".
        seconds: wall time of the call (for budgets; never for results).
        stdout: what the call printed (capped).
    """

    status: str
    value: object = None
    inputs_after: list = dataclasses.field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    stdout: str = ""


# ------------------------------------------------------------------ environment

def _unshare():
    return shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")


def _interpreter():
    """The base interpreter (not a venv shim): its prefix holds the stdlib."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


@functools.lru_cache(maxsize=None)
def _numpy_dirs():
    """{'numpy': dir, 'numpy.libs': dir (if the wheel ships one)}."""
    pkg = os.path.dirname(os.path.realpath(np.__file__))
    dirs = {"numpy": pkg}
    libs = os.path.join(os.path.dirname(pkg), "numpy.libs")
    if os.path.isdir(libs):
        dirs["numpy.libs"] = libs
    return dirs


@functools.lru_cache(maxsize=None)
def _kit_dirs():
    """Directories whose contents the worker must not see (namespace levels)."""
    import autograder
    import site

    dirs = {os.path.dirname(os.path.dirname(os.path.realpath(autograder.__file__)))}
    try:
        import reference
        dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(reference.__file__))))
    except ImportError:
        pass
    for paths in (sysconfig.get_paths(), sysconfig.get_paths(
            vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})):
        dirs.update(os.path.realpath(paths[k]) for k in ("purelib", "platlib"))
    dirs.update(os.path.realpath(p) for p in site.getsitepackages() + [site.getusersitepackages()])
    dirs.add(os.path.realpath(os.path.dirname(_numpy_dirs()["numpy"])))
    return tuple(sorted(dirs))


@functools.lru_cache(maxsize=None)
def _binds():
    """Host paths the minimal root shows read-only: system dirs and the Python prefix."""
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache"]
    exe_prefix = os.path.dirname(os.path.dirname(_interpreter()))
    for prefix in (sys.base_prefix, sys.base_exec_prefix, exe_prefix):
        prefix = os.path.realpath(prefix)
        if not any(prefix == p or prefix.startswith(p + "/") for p in paths):
            paths.append(prefix)
    return tuple(p for p in paths if os.path.lexists(p))


def _env(home):
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home, "TMPDIR": home}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # some CPUs need these
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _tasks_of(uid):
    """Number of tasks (threads) owned by `uid`, and the pids of its live (non-zombie) processes."""
    found = procfs.processes_of(uid)
    return (sum(threads for _, threads, _ in found.values()),
            [pid for pid, (_, _, zombie) in found.items() if not zombie])


def _kill_every_process_of(uid):
    """SIGKILL every process of `uid` at once: ``kill -1`` run as that uid.

    Without a cgroup or a PID namespace this is the only atomic way: the kernel signals all
    of them in one pass that no fork can slip past, where a /proc scan can be outrun by a
    process that keeps forking and letting its parent exit.
    """
    kill = shutil.which("kill", path="/usr/bin:/bin")
    if kill is None:
        return
    try:
        subprocess.run([kill, "-9", "-1"], user=uid, group=uid, extra_groups=[],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=5, close_fds=True)
    except (OSError, subprocess.SubprocessError):
        pass


class _UidLease:
    """A uid/gid nobody else uses right now: an abstract socket name is the lock.

    The kernel releases the name when the socket closes or the process dies, so
    concurrent graders (threads or processes) never share a worker uid.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(1000):
            uid = _UID_BASE + random.randrange(_UID_SPAN)
            try:
                self.sock.bind(f"\0dlgrade-uid-{uid}")
            except OSError:
                continue
            self.uid = uid
            return
        raise WorkerError("no free uid for the worker")

    def release(self):
        self.sock.close()


# ------------------------------------------------------------------ the worker

class Worker:
    """One sandboxed interpreter holding one submission's code.

    Args:
        cells: sequence of ``(label, source)``; each top-level statement runs on its own.
        limits: `Limits`.
        load_timeout: seconds one load attempt may take. A statement that hangs (or
            ends the process) is skipped and the code reloaded in a fresh worker, at
            most `load_retries` times.
        isolation: force a level from `LEVELS` (default: the strongest available).
        hide: extra host directories to keep out of sight (namespace levels cover the
            kit and site-packages already).

    Attributes:
        load_report: ``{"defined", "errors", "blocked_imports", "stdout", "fatal"}``;
            ``fatal`` is None, or a message when the code could not be loaded at all
            (the worker is then dead: do not retry).
        alive: False after a crash, a timeout, or close().
        isolation: the level in use.
        integrity: set of short lines saying what the code attempted (best effort, see
            audit.py: "tried to open /etc/passwd", "patched numpy.allclose", ...).
    """

    def __init__(self, cells, limits=None, *, load_timeout=60.0, load_retries=2,
                 isolation=None, hide=()):
        self.limits = limits or Limits()
        self.isolation = isolation or isolation_level()
        if self.isolation not in LEVELS:
            raise WorkerError(f"unknown isolation level {self.isolation!r}")
        if os.geteuid() != 0:   # every level runs student code as a uid of its own
            raise WorkerError(f"the isolation level {self.isolation!r} needs root")
        self.hide = list(hide)
        self.alive = False
        self._proc = self._lease = self._tmp = self._cgroup = self._home = self._stderr_path = None
        self._fds = []
        self.integrity = set()   # what the code attempted (audit.py), over every restart
        self._audit_fd, self._audit_rest = None, b""
        # (label, source) pairs, or objects with .label and .source (submissions.Cell)
        cells = [(str(c.label), str(c.source)) if hasattr(c, "source") else (str(c[0]), str(c[1]))
                 for c in cells]
        try:
            self.load_report = self._load(cells, load_timeout, load_retries)
        except BaseException:
            self.close()
            raise

    # -- lifecycle

    def _spawn(self, fresh=False):
        """Start the worker process (a fork of the fork server unless `fresh`) and wait until
        it is ready; raises `SandboxFailure` (never the student's doing: no code of theirs has
        run yet) when it cannot be had."""
        try:
            self._start_process(fresh)
        except WorkerError as exc:
            if exc.grader_fault:
                raise
            raise SandboxFailure(str(exc)) from None

    def _start_process(self, fresh):
        self.close()
        lim = self.limits
        namespaces, with_cgroup = _level_parts(self.isolation)
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        aud_r, aud_w = os.pipe()   # audit lines (audit.py): written without blocking, read any time
        os.set_blocking(aud_r, False)
        os.set_blocking(aud_w, False)
        self._fds = [cmd_w, rep_r, aud_r]
        self._audit_fd, self._audit_rest = aud_r, b""
        reply_header = (1 << 20) + 8 * lim.output_chars  # load report or result + captured output
        self._writer, self._reader = cmd_w, protocol.Reader(rep_r, lim.caps(reply_header))
        self._lease = _UidLease()
        uid = self._lease.uid
        limits = {"cpu_seconds": lim.cpu_seconds, "memory_bytes": lim.memory_bytes,
                  "file_bytes": lim.file_bytes, "open_files": lim.open_files, "processes": lim.processes}
        cfg = {"fds": [cmd_r, rep_w], "jail": namespaces, "uid": uid, "limits": limits,
               "caps": lim.caps(64 << 20).as_dict(), "out_caps": lim.caps(reply_header).as_dict(),
               "output_chars": lim.output_chars, "seccomp": seccomp.filter_bpf(shares_host=not namespaces).hex(),
               "numpy_path": pyroot.NUMPY_HOME, "cgroups": [], "audit_fd": aud_w}
        if with_cgroup:
            layout, why = _cgroups()
            if layout is None:
                raise WorkerError(f"the sandbox ({self.isolation}) has no cgroups here: {why}")
            try:
                self._cgroup = cgroup.WorkerCgroup(layout, f"{cgroup.PREFIX}{uid}", memory_bytes=lim.memory_bytes,
                                                   tasks=lim.processes, cpus=lim.cpus)
            except OSError as exc:
                raise WorkerError(f"the sandbox ({self.isolation}) cannot make a cgroup: {exc}") from None
            cfg["cgroups"] = self._cgroup.procs_files()
        if not namespaces:
            root = _shared_root()
            home = f"{pyroot.WORK}/{uid}"   # inside the chroot
            self._home = root + home
            os.mkdir(self._home, 0o700)
            os.chown(self._home, uid, uid)
            cfg.update(root=root, home=home)
        server = None if fresh else _fork_server(self.isolation, tuple(self.hide))
        if server is not None:
            self._stderr_path = server.stderr_path
            try:
                self._spawn_forked(server, cfg, cmd_r, rep_w, aud_w, home=cfg.get("home", "/tmp"),
                                   timeout=lim.startup_timeout)
            except forkserver.ForkServerError:
                # A stalled or dead server is the grader's trouble: drop it (the next worker gets
                # a new one) and start this one fresh, with new pipes, uid and cgroup.
                _drop_fork_server(server)
                return self._spawn(fresh=True)
        else:
            self._spawn_fresh(cfg, cmd_r, rep_w, aud_w)
        self.alive = True
        got = self._read(time.monotonic() + lim.startup_timeout)
        if not isinstance(got, tuple) or got[0].get("op") != "ready":
            detail = self._startup_error()
            if namespaces and detail.startswith("no output"):
                detail = f"unshare refused to make namespaces, {detail}"
            self._kill()
            raise WorkerError(f"the sandbox ({self.isolation}) could not start a worker: {detail}")
        self.uid = got[0].get("uid")
        if isinstance(self._proc, forkserver.ForkedProcess):
            self._proc.uid = uid
        # Never weaker than promised: the worker must be in its cgroup and not be the grader.
        if self.uid != uid or (self._cgroup is not None and not self._cgroup.pids()):
            self._kill()
            raise WorkerError(f"the sandbox ({self.isolation}) started a worker without its uid or cgroup")

    def _spawn_fresh(self, cfg, cmd_r, rep_w, aud_w):
        """A fresh interpreter for this worker alone (no fork server)."""
        namespaces = cfg["jail"]
        self._tmp = tempfile.mkdtemp(prefix="dlgrade-worker-")
        self._stderr_path = os.path.join(self._tmp, "stderr")
        if namespaces:
            os.mkdir(os.path.join(self._tmp, "root"))
            cfg.update(_jail_cfg(self.hide, os.path.join(self._tmp, "root"), self.limits.tmp_bytes))
            home, cwd = "/tmp", self._tmp
        else:
            home, cwd = cfg["home"], "/"
        argv = _worker_argv(namespaces) + [json.dumps(cfg)]
        errlog = open(self._stderr_path, "wb")
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                cwd=cwd, env=_env(home), pass_fds=(cmd_r, rep_w, aud_w),
                start_new_session=True, close_fds=True)
        finally:
            errlog.close()
            os.close(cmd_r)
            os.close(rep_w)
            os.close(aud_w)

    def _spawn_forked(self, server, cfg, cmd_r, rep_w, aud_w, home, timeout):
        """A fork of the fork server, which confines it as `cfg` says (zygote.py).

        Raises `forkserver.ForkServerError` when the server does not answer within `timeout`.
        """
        fds = [cmd_r, rep_w, aud_w]
        try:
            try:
                fds += [os.open(path, os.O_WRONLY) for path in cfg["cgroups"]]
            except OSError as exc:
                raise WorkerError(f"the sandbox ({self.isolation}) cannot use its cgroup: {exc}") from None
            cfg = dict(cfg, tmp_bytes=self.limits.tmp_bytes, env={"HOME": home, "TMPDIR": home})
            self._proc = server.fork(cfg, fds, timeout=timeout)
        finally:
            for fd in fds:   # the server holds its own copies now
                os.close(fd)

    def _stderr_tail(self):
        """Last line the worker (or unshare) wrote before the worker silenced fd 2."""
        try:
            with open(self._stderr_path, "rb") as f:
                lines = f.read()[-2000:].decode(errors="replace").strip().splitlines()
        except (OSError, TypeError):
            lines = []
        return lines[-1] if lines else ""

    def _startup_error(self):
        try:
            rc = self._proc.wait(timeout=1)
        except Exception:
            rc = None
        return (self._stderr_tail() or "no output") + f" (exit status {rc})"

    def _read(self, deadline):
        """A frame, "timeout", "eof" or "garbage"."""
        try:
            got = self._reader.read(deadline)
        except EOFError:
            return "eof"
        except (protocol.ProtocolError, OSError) as exc:
            self._garbage = str(exc)
            return "garbage"
        self._take_integrity()
        return "timeout" if got is None else got

    def _take_integrity(self):
        """Read the lines the worker's audit hook wrote so far (non-blocking, capped)."""
        fd = self._audit_fd
        while fd is not None:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            self._audit_rest += chunk
            *lines, self._audit_rest = self._audit_rest.split(b"\n")
            self._audit_rest = self._audit_rest[-4096:]
            for line in lines:
                text = " ".join(line.decode("utf-8", "replace").split())[:120]
                if text and len(self.integrity) < MAX_INTEGRITY:
                    self.integrity.add(text)

    def _send(self, header, arrays, deadline):
        """True if sent; False on timeout; raises BrokenPipeError when the worker is gone."""
        frame = protocol.pack_frame(header, arrays, self.limits.caps(64 << 20))
        return protocol.write_frame(self._writer, frame, deadline)

    def _kill(self):
        """Kill the whole process tree: namespace init, group, cgroup, then a uid sweep."""
        self.alive = False
        proc = self._proc
        if proc is None:
            return
        if isinstance(proc, forkserver.ForkedProcess):
            # The server kills the worker's parent, whose death kills the worker (PDEATHSIG),
            # PID 1 of its namespace (and so everything in it); the cgroup and the uid sweep
            # below catch the rest.
            proc.kill()
        elif proc.poll() is None and _level_parts(self.isolation)[0]:
            try:  # unshare's child is the namespace's init: killing it empties the namespace
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                    for pid in f.read().split():
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
            try:
                proc.wait(timeout=2)
            except Exception:
                pass
        if not isinstance(proc, forkserver.ForkedProcess):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                proc.kill()
            except OSError:
                pass
        if self._cgroup is not None:
            self._cgroup.kill()
        if not isinstance(proc, forkserver.ForkedProcess):
            try:
                proc.wait(timeout=5)
            except Exception:
                pass
        if self._lease is not None:
            namespaces, with_cgroup = _level_parts(self.isolation)
            if not namespaces and not with_cgroup:
                _kill_every_process_of(self._lease.uid)
            for _ in range(50):
                tasks, pids = _tasks_of(self._lease.uid)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)

    def close(self):
        """Kill the whole process tree and clean up (cgroup, temp folders, files of its uid). Idempotent."""
        self._kill()
        self._take_integrity()   # what it wrote before it died, too
        self._audit_fd = None
        # A reply cut off by the kill may hold up to the caps (64 MB an array) in the reader's
        # buffer: let it go now, not whenever the last reference to this Worker does.
        reader = getattr(self, "_reader", None)          # None when the spawn itself failed
        if reader is not None:
            reader.buf, reader._pending = bytearray(), None
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        if self._lease is not None:
            sweep_worker_files(uids=(self._lease.uid,))
            sweep_worker_ipc(uids=(self._lease.uid,))
            self._lease.release()
            self._lease = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _death(self, during):
        """One line saying how the worker died (it is then killed for good).

        Raises `SandboxFailure` when the worker's fork server died too: then the worker died
        with it (or the server cannot tell how it ended), not of the student's code.
        """
        proc = self._proc
        if isinstance(proc, forkserver.ForkedProcess) and not proc.server.alive:
            self._kill()
            raise SandboxFailure(f"the grader's fork server stopped {during} (not the submission's "
                                 f"doing; grade it again)")
        rc = None
        if self._proc is not None:
            try:
                rc = self._proc.wait(timeout=2)
            except Exception:
                rc = None
        self._kill()
        if rc is None:
            return f"the worker process stopped answering {during}"
        if rc == 1 and _level_parts(self.isolation)[0] and "unshare:" in self._stderr_tail():
            rc = -signal.SIGKILL  # unshare cannot re-raise SIGKILL on itself and exits 1
        if rc < 0 or rc > 128:  # killed by a signal (unshare reports 128 + n)
            num = -rc if rc < 0 else rc - 128
            try:
                name = signal.Signals(num).name
            except ValueError:
                name = f"signal {num}"
            if num == signal.SIGKILL and self._cgroup is not None and self._cgroup.out_of_memory():
                return (f"the worker process was killed: its processes together used more than "
                        f"{self.limits.memory_bytes / 2**30:g} GiB of memory {during}")
            hint = {signal.SIGXCPU: f" (it used up its CPU time limit of {self.limits.cpu_seconds} s)",
                    signal.SIGKILL: " (out of memory or CPU time?)",
                    signal.SIGXFSZ: " (it wrote a file larger than the limit)",
                    signal.SIGSEGV: " (segmentation fault)"}.get(num, "")
            return f"the worker process was killed by {name}{hint} {during}"
        return f"the worker process exited (code {rc}) {during}"

    # -- loading

    # Past the budget the worker itself stops the running statement and then runs only
    # definitions, for at most 10 s (worker.OVER_BUDGET_SECONDS): this margin on top covers
    # both, and code that ignores the stop (C code, a swallowed exception) is killed here.
    LOAD_MARGIN = 20.0

    def _load(self, cells, load_timeout, retries):
        """Load the code statement by statement within ``load_timeout`` seconds (the worker's own
        budget, see worker.load); a statement that outlives even the margin is skipped and the
        code reloaded in a fresh worker, at most ``retries`` times."""
        skipped = []  # errors for statements skipped on a reload
        cells, unsent = self._sendable(cells)
        for attempt in range(retries + 1):
            self._spawn()
            deadline = time.monotonic() + load_timeout + self.LOAD_MARGIN
            last = None
            try:
                sent = self._send({"op": "load", "cells": cells, "budget": load_timeout,
                                   "skip": [s["at"] for s in skipped]}, [], deadline)
            except OSError:
                sent = "dead"
            except protocol.ProtocolError as exc:   # still too large: this student's problem only
                self.close()
                return self._failed_load(f"the code is too large to send to the grader's sandbox ({exc})",
                                         unsent)
            while sent is True:
                got = self._read(deadline)
                if isinstance(got, tuple) and got[0].get("op") == "progress":
                    last = got[0]
                    continue
                if isinstance(got, tuple) and got[0].get("op") == "loaded":
                    return self._clean_report(got[0].get("report"), unsent + skipped)
                break
            else:
                got = "timeout" if sent is False else "eof"
            if got == "timeout":
                why = f"did not stop when the loading time ({load_timeout:g} s) ran out"
                self._kill()
            elif got == "eof":
                self._death("while loading")
                why = "ended the worker process while loading"
            else:
                why = "sent garbage to the grader while loading"
                self._kill()
            if last is None or not isinstance(last.get("at"), list):
                break
            skipped.append({"at": last["at"], "where": str(last.get("where", ""))[:200],
                            "message": f"this statement {why}; it was skipped"})
        self.close()
        return self._failed_load(f"the code could not be loaded: it {why}", unsent + skipped)

    @staticmethod
    def _failed_load(fatal, skipped):
        """The load report when nothing could be loaded: ``fatal`` says why (one line)."""
        errors = [{"where": s["where"], "message": s["message"], "binds": []} for s in skipped]
        errors.append({"where": "", "message": fatal, "binds": []})
        return {"defined": [], "errors": errors, "blocked_imports": [], "stdout": "", "fatal": fatal}

    # One statement whose JSON (control characters escape to 6 bytes) is larger than this is
    # not sent to the worker; the load frame as a whole must stay under the 64 MB header cap.
    MAX_STATEMENT_JSON = 4 << 20
    MAX_LOAD_JSON = 48 << 20

    @classmethod
    def _sendable(cls, cells):
        """``(cells, skipped)``: the cells with statements too large to send blanked out (their
        lines kept, so line numbers hold), and an error for each, as ``_clean_report`` takes them.

        Only when the whole load frame would be too large; the cells are split by the same
        linear scanner the worker uses (``statements.py``), never parsed here.
        """
        if len(json.dumps(cells)) <= cls.MAX_LOAD_JSON:
            return cells, []
        from . import statements
        out, skipped = [], []
        for label, source in cells:
            if len(json.dumps(source)) <= cls.MAX_STATEMENT_JSON:
                out.append((label, source))
                continue
            lines = source.splitlines(keepends=True)
            starts = list(statements.statement_starts(lines)) or [1]
            bounds = [1] + [n for n in starts if n > 1] + [len(lines) + 1]
            kept = []
            for first, end in zip(bounds, bounds[1:]):
                text = "".join(lines[first - 1:end - 1])
                size = len(json.dumps(text))
                if size > cls.MAX_STATEMENT_JSON:
                    kept.append("\n" * (end - first))
                    where = f"{label}, line {first}" if label else f"line {first}"
                    skipped.append({"where": where[:200], "message":
                                    f"this statement is too large to send to the grader's sandbox "
                                    f"({size / 2**20:.0f} MB once encoded); it was skipped"})
                else:
                    kept.append(text)
            out.append((label, "".join(kept)))
        return out, skipped

    @staticmethod
    def _clean_report(report, skipped):
        """The worker's report, type-checked (it comes from the box), plus skipped statements.

        Each error: ``where``, ``message`` and ``binds`` (names its statement would have
        defined, for the judge's feedback, which never parses student code itself). A report
        of the wrong shape (a forged frame) is this student's load failure, never an exception.
        """
        shapes = {"defined": list, "errors": list, "blocked_imports": list, "stdout": str}
        if not (isinstance(report, dict)
                and all(isinstance(report.get(k, t()), t) for k, t in shapes.items())
                and all(isinstance(e, dict) for e in report.get("errors", []))):
            return Worker._failed_load("the code could not be loaded: the worker sent a malformed "
                                       "load report (bad output)", skipped)
        strs = lambda xs: [str(x)[:300] for x in xs][:1000] if isinstance(xs, list) else []
        errors = [{"where": str(e.get("where", ""))[:200], "message": str(e.get("message", ""))[:400],
                   "binds": [str(n)[:100] for n in e.get("binds") or []][:50]
                   if isinstance(e.get("binds"), list) else []}
                  for e in (report.get("errors") or []) if isinstance(e, dict)][:1000]
        errors += [{"where": s["where"], "message": s["message"], "binds": []} for s in skipped]
        return {"defined": strs(report.get("defined")), "errors": errors,
                "blocked_imports": strs(report.get("blocked_imports")),
                "stdout": str(report.get("stdout", ""))[:1 << 20], "fatal": None}

    # -- calls

    def call(self, name, args=(), kwargs=None, timeout=60.0):
        """Run `name(*args, **kwargs)` in the worker; see `Reply`.

        Args:
            name: function name defined by the submission.
            args, kwargs: plain data (numeric arrays, numbers, str, None, lists/tuples).
            timeout: wall seconds to wait; past it the worker is killed ("timed out").
        """
        batch = self.call_batch(name, [(args, kwargs)], timeout)
        try:
            return next(batch)
        finally:
            batch.close()

    def call_batch(self, name, calls, timeout=60.0):
        """Run `name(*args, **kwargs)` for each ``(args, kwargs)`` of `calls`, in order, in one
        round trip; yield a `Reply` per call as it arrives.

        The calls travel in one frame (or a few, if they exceed the frame caps) and the worker
        answers each as soon as it is done, so the judge checks one answer while the worker
        computes the next. ``Reply.seconds`` is the time spent waiting for that answer (the
        judge's own work between answers is not counted), and `timeout` bounds the sum: the
        call that is running when it is used up is "timed out". After a reply that ended the
        worker ("timed out", "crashed" by a dead process, "bad output" from a broken stream;
        then ``alive`` is False) nothing more is yielded. Closing the generator early (the
        caller has seen what it needs) stops the worker's batch between two calls; a worker
        that does not stop within `STOP_GRACE` seconds is killed.

        Raises:
            WorkerError: the worker is not running, or an argument is not plain data.
        """
        if not self.alive:
            raise WorkerError("the worker is not running (start a fresh Worker)")
        chunks = self._encode_calls(name, calls)
        left = float("inf") if timeout is None else float(timeout)
        pending = False  # a chunk was sent and its "done" not read yet
        try:
            for header, arrays, count in chunks:
                started = time.monotonic()
                try:
                    sent = self._send(header, arrays, _deadline(started, left))
                except OSError:
                    yield self._ended(Reply("crashed", message=self._death(f"while running {name}")))
                    return
                if not sent:
                    self._kill()
                    yield self._ended(Reply("timed out", message=f"took longer than {left:g} s"))
                    return
                pending = True
                for index in range(count):
                    first, end = header["calls"][index]["arrays"]
                    reply = self._result(name, index, end - first, started, left)
                    left -= reply.seconds
                    if index == count - 1 and self.alive:
                        self._done(_deadline(time.monotonic(), left + self.STOP_GRACE))
                        pending = False
                    yield reply
                    if not self.alive:
                        pending = False
                        return
                    started = time.monotonic()
        finally:
            if pending and self.alive:
                self._stop()

    STOP_GRACE = 1.0  # seconds a worker may take to finish the call it is in when a batch is stopped

    def _encode_calls(self, name, calls):
        """``[(header, arrays, count)]``: the calls split into frames within the caps."""
        caps = self.limits.caps(64 << 20)
        chunks, specs, arrays, size = [], [], [], 0
        for args, kwargs in calls:
            mine = []
            try:
                enc_args = protocol.encode_value(list(args), mine, caps)
                enc_kwargs = [[str(k), protocol.encode_value(v, mine, caps)] for k, v in (kwargs or {}).items()]
            except protocol.ProtocolError as exc:
                raise WorkerError(f"cannot send these arguments: {exc}") from None
            nbytes = sum(a.nbytes for a in mine)
            if specs and (len(arrays) + len(mine) > caps.arrays or size + nbytes > caps.total_bytes // 2):
                chunks.append(self._chunk(name, specs, arrays))
                specs, arrays, size = [], [], 0
            shift = len(arrays)
            specs.append({"args": _shift(enc_args, shift), "kwargs": _shift(enc_kwargs, shift),
                          "arrays": [shift, shift + len(mine)]})
            arrays += mine
            size += nbytes
        if specs:
            chunks.append(self._chunk(name, specs, arrays))
        return chunks

    @staticmethod
    def _chunk(name, specs, arrays):
        return {"op": "call", "name": name, "calls": specs}, arrays, len(specs)

    def _result(self, name, index, n_inputs, started, left):
        """The reply to call `index` of the batch in flight (waiting at most `left` seconds)."""
        during = f"while running {name}"
        got = self._read(_deadline(started, left))
        seconds = time.monotonic() - started
        if got == "timeout":
            self._kill()
            return self._ended(Reply("timed out", message=f"took longer than {left:g} s", seconds=seconds))
        if got == "eof":
            return self._ended(Reply("crashed", message=self._death(during), seconds=seconds))
        if got == "garbage":
            self._kill()
            return self._ended(Reply("bad output", seconds=seconds,
                                     message=f"the worker sent an invalid reply ({self._garbage})"))
        header, blobs = got
        status = header.get("status")
        has_value = header.get("has_value") is True
        if (header.get("op") != "result" or header.get("index") != index or status not in STATUSES
                or len(blobs) != n_inputs + has_value or has_value != (status == "ok")):
            self._kill()
            return self._ended(Reply("bad output", message="the worker sent an invalid reply", seconds=seconds))
        return Reply(status, value=blobs[0] if has_value else None, inputs_after=blobs[has_value:],
                     message=" ".join(str(header.get("message", "")).split())[:500],
                     stdout=str(header.get("stdout", ""))[:1 << 20], seconds=seconds)

    def _ended(self, reply):
        self.alive = False
        return reply

    def _done(self, deadline):
        """Read the "done" frame that closes a batch; a worker that does not send it is killed."""
        got = self._read(deadline)
        if not (isinstance(got, tuple) and got[0].get("op") == "done"):
            self._kill()

    def _stop(self):
        """Stop the batch in flight: the worker ends it after its current call; drop its answers."""
        deadline = time.monotonic() + self.STOP_GRACE
        try:
            self._send({"op": "stop"}, [], deadline)
        except OSError:
            self._kill()
            return
        while True:
            got = self._read(deadline)
            if not isinstance(got, tuple) or got[0].get("op") not in ("result", "done"):
                self._kill()  # still busy (or broken): a fresh worker is cheaper than waiting
                return
            if got[0]["op"] == "done":
                return


def _deadline(start, left):
    """`start` + `left` seconds (None: no deadline)."""
    return None if left == float("inf") else start + max(left, 0.0)


def _shift(tree, by):
    """An argument tree with its array indices moved by `by` (a call's place in its frame)."""
    if isinstance(tree, list):
        return [_shift(v, by) for v in tree]
    if isinstance(tree, dict):
        if tree.get("$") == "a":
            return {"$": "a", "i": tree["i"] + by}
        return {"$": tree["$"], "v": _shift(tree["v"], by)}
    return tree


# ------------------------------------------------------------------ fork servers

def _worker_argv(namespaces):
    """The command that starts ``worker.py`` (its JSON configuration goes last)."""
    argv = [_unshare(), "--net", "--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--"] if namespaces else []
    return argv + [_interpreter(), "-I", "-S", "-B", _WORKER_PY]


def _jail_cfg(hide, root, tmp_bytes):
    """What `jail.build_root` needs to build the minimal root in the empty folder ``root``."""
    return {"root": root, "binds": _binds(), "numpy": _numpy_dirs(),
            "hide": sorted(set(_kit_dirs()) | set(hide)), "tmp_bytes": tmp_bytes}


FORK_SERVER = True   # False: every worker is a fresh interpreter (tests compare both)
_SERVERS = {}        # (level, hide) -> ForkServer, or the reason there is none
MAX_FORK_SERVERS = 4


def _fork_server(level, hide):
    """This process's fork server for ``level`` (started on first use), or None.

    None when `FORK_SERVER` is off, when part of Python lives under /tmp (each forked worker
    mounts an empty /tmp over it), or when the server cannot start here: then workers are
    fresh interpreters, confined the same way, only slower to start.
    """
    namespaces = _level_parts(level)[0]
    if not FORK_SERVER or (namespaces and any(p == "/tmp" or p.startswith("/tmp/") for p in _binds())):
        return None
    key = (level, hide)
    server = _SERVERS.get(key)
    if isinstance(server, forkserver.ForkServer):
        if server.alive:
            return server
        _drop_fork_server(server)   # died (out of memory?): a new one below
    elif isinstance(server, str):
        return None
    if not _SERVERS:
        atexit.register(close_fork_servers)
    while len(_SERVERS) >= MAX_FORK_SERVERS:   # tests hide many folders; a batch uses one server
        old = _SERVERS.pop(next(iter(_SERVERS)))
        if isinstance(old, forkserver.ForkServer):
            old.close()
            shutil.rmtree(old.tmp, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="dlgrade-forkserver-")
    cfg = {"jail": namespaces, "numpy_path": pyroot.NUMPY_HOME}
    if namespaces:
        os.mkdir(os.path.join(tmp, "root"))
        cfg.update(_jail_cfg(hide, os.path.join(tmp, "root"), 1 << 20))
        home, cwd = "/tmp", tmp
    else:
        cfg["root"] = _shared_root()
        home, cwd = "/", "/"
    try:
        server = forkserver.ForkServer(_worker_argv(namespaces), cfg, env=_env(home), cwd=cwd,
                                       stderr_path=os.path.join(tmp, "stderr"))
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _SERVERS[key] = f"{exc}"
        return None
    server.tmp = tmp
    _SERVERS[key] = server
    return server


def _drop_fork_server(server):
    """Stop `server`, remove its folder, forget it (the next worker gets a new one)."""
    for key, known in list(_SERVERS.items()):
        if known is server:
            del _SERVERS[key]
    server.close()
    shutil.rmtree(server.tmp, ignore_errors=True)


def close_fork_servers():
    """Stop this process's fork servers (their workers die with them)."""
    for key, server in list(_SERVERS.items()):
        if isinstance(server, forkserver.ForkServer):
            server.close()
            shutil.rmtree(server.tmp, ignore_errors=True)
        del _SERVERS[key]


# ------------------------------------------------------------------ levels

def _level_parts(level):
    """``(namespaces, cgroup)``: what the level is made of."""
    return level.startswith("namespaces+"), not level.endswith("-nocgroup")


@functools.lru_cache(maxsize=None)
def _cgroups():
    """``(cgroup.Layout, None)`` or ``(None, why)``; stale worker cgroups swept on first use."""
    layout, why = cgroup.detect()
    if layout is not None:
        cgroup.sweep(layout)
    return layout, why


_ROOT = {}   # the chroot of the uid levels: {"path": ..., "owned": bool}


def _shared_root():
    """The uid levels' copied root: the batch's (see `pin_level`), else built once per process."""
    if "path" not in _ROOT:
        try:
            _ROOT.update(path=pyroot.build(_interpreter(), _numpy_dirs()), owned=True)
        except OSError as exc:
            raise WorkerError(f"cannot build the private copy of Python for the uid level: {exc}") from None
        atexit.register(release_root)
    return _ROOT["path"]


def release_root():
    """Remove the copied root if this process built it."""
    if _ROOT.pop("owned", False):
        pyroot.remove(_ROOT.pop("path"))
    _ROOT.pop("path", None)


def sweep_worker_files(uids=None, places=("/dev/shm", "/tmp", "/var/tmp")):
    """Remove files and folders owned by worker uids (all of them, or `uids`) from shared temp places.

    The jail shows none of these places to a worker, so this finds something only if a
    level was weaker than it claims: it is the last line, not the first.
    """
    wanted = (lambda u: u in uids) if uids is not None else (lambda u: _UID_BASE <= u < _UID_BASE + _UID_SPAN)
    removed = []
    for place in places:
        try:
            entries = list(os.scandir(place))
        except OSError:
            continue
        for entry in entries:
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if wanted(owner):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        continue
                removed.append(entry.path)
    return removed


_IPC_TABLES = (("shm", "shmid", "shmctl"), ("sem", "semid", "semctl"), ("msg", "msqid", "msgctl"))


def sweep_worker_ipc(uids=None):
    """Remove System V IPC objects (shared memory, semaphores, message queues) of worker uids.

    Only the uid levels share the grader's IPC namespace, and their filter refuses
    these calls: like `sweep_worker_files`, the last line. Reads /proc/sysvipc/*
    (objects of the grader's IPC namespace; owner ``uid`` or creator ``cuid``) and
    removes with IPC_RMID. Returns ``["shm 123", ...]``, what it removed.
    """
    import ctypes
    wanted = (lambda u: u in uids) if uids is not None else (lambda u: _UID_BASE <= u < _UID_BASE + _UID_SPAN)
    libc = ctypes.CDLL(None, use_errno=True)
    removed = []
    for kind, id_column, ctl in _IPC_TABLES:
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                header, *rows = [line.split() for line in f]
        except (OSError, ValueError):
            continue
        at = {name: header.index(name) for name in (id_column, "uid", "cuid")}
        for row in rows:
            try:
                ident, owners = int(row[at[id_column]]), (int(row[at["uid"]]), int(row[at["cuid"]]))
            except (IndexError, ValueError):
                continue
            if any(wanted(u) for u in owners):
                args = (ident, 0, 0) if kind == "sem" else (ident, 0, None)   # IPC_RMID = 0
                if getattr(libc, ctl)(*args) == 0:
                    removed.append(f"{kind} {ident}")
    return removed


_PROBE = '''
import os, socket
import numpy as np

def probe(paths):
    seen = sum(os.path.exists(p) for p in paths)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        inet = 1
    except OSError:
        inet = 0
    try:
        os.unshare(0x10000000)   # CLONE_NEWUSER (Python 3.12+)
        userns = 1
    except AttributeError:
        import ctypes
        userns = int(ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0)
    except OSError:
        userns = 0
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
        unix = 1
    except OSError:
        unix = 0
    return np.array([os.getuid(), seen, inet, userns, os.path.exists("/proc/1/cmdline"), unix])
'''


def _probe(level):
    """Start a real worker at `level` and check it delivers what the level promises."""
    with Worker([("probe", _PROBE)], Limits(startup_timeout=20), load_timeout=20,
                load_retries=0, isolation=level) as w:
        import autograder  # its files must be out of sight at every level
        paths = [os.path.realpath(autograder.__file__), _WORKER_PY]
        reply = w.call("probe", (paths,), timeout=20)
        if reply.status != "ok":
            raise WorkerError(f"probe call failed: {reply.status} {reply.message}")
        uid, seen, inet, userns, host_proc, unix = (int(v) for v in reply.value)
        if uid < _UID_BASE:
            raise WorkerError(f"{level}: still uid {uid}")
        if seen:
            raise WorkerError(f"{level}: the kit is visible")
        if inet or userns or (unix and not _level_parts(level)[0]):
            raise WorkerError(f"{level}: the system-call filter is not in force")
        if host_proc and not _level_parts(level)[0]:
            raise WorkerError(f"{level}: the host's processes are visible")


class NoIsolation(WorkerError):
    """No level can be had here; ``problems`` says why, per level."""

    def __init__(self, problems):
        self.problems = problems
        reasons = list(dict.fromkeys(problems.values()))
        detail = (reasons[0] if len(reasons) == 1 else
                  "; ".join(f"{level}: {why}" for level, why in problems.items()))
        super().__init__(f"student code cannot be isolated here: {detail}")


def _candidates():
    """``{level: None or why it cannot work}`` from cheap checks, before any probe."""
    why = {}
    root = None if os.geteuid() == 0 else "needs root (each worker runs as a uid of its own)"
    try:
        seccomp.filter_bpf()
        filt = None
    except seccomp.SeccompUnavailable as exc:
        filt = str(exc)
    layout, no_cgroup = _cgroups() if root is None else (None, root)
    for level in LEVELS:
        namespaces, with_cgroup = _level_parts(level)
        why[level] = (root or filt or (namespaces and not _unshare() and "no unshare command")
                      or (with_cgroup and layout is None and no_cgroup) or None)
    return why


WEAKER_BECAUSE = {}   # level -> why it could not be had, for the levels stronger than the one found


@functools.lru_cache(maxsize=None)
def _detect():
    problems = {}
    for level, why in _candidates().items():
        if why is None:
            try:
                _probe(level)
                WEAKER_BECAUSE.update(problems)
                return level
            except (WorkerError, OSError, ValueError) as exc:
                why = str(exc)
        problems[level] = why
    raise NoIsolation(problems)


_PINNED = []


def pin_level(level, root=None):
    """Use `level` in this process from now on, without probing (the batch's parent decided it).

    `root`: the parent's copied root for the uid levels (shared, not removed here).
    """
    if level not in LEVELS:
        raise WorkerError(f"unknown isolation level {level!r}")
    _PINNED[:] = [level]
    if root:
        _ROOT.update(path=root, owned=False)


def isolation_level():
    """The level this process uses: the pinned one, else the strongest that works (probed once).

    Raises `NoIsolation` when no level works (e.g. not root).
    """
    return _PINNED[0] if _PINNED else _detect()


def batch_root(level):
    """Build (once) and return the copied root a batch at `level` shares with its pool processes."""
    return None if _level_parts(level)[0] else _shared_root()


def probe_problems():
    """For diagnostics: why each level works (None) or not (re-probes)."""
    out = {}
    for level, why in _candidates().items():
        if why is None:
            try:
                _probe(level)
            except (WorkerError, OSError, ValueError) as exc:
                why = str(exc)
        out[level] = why
    return out
