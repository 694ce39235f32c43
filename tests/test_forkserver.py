"""The fork server (sandbox/zygote.py, sandbox/forkserver.py): workers forked from one
interpreter that imported NumPy once are confined exactly like fresh ones, and share
nothing with each other or with the server."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from autograder.sandbox import Limits, SandboxFailure, Worker, forkserver, launch

# Every level this machine can run (all need root).
LEVELS = [level for level, why in launch._candidates().items() if why is None]
pytestmark = pytest.mark.skipif(not LEVELS, reason="no isolation level works here (not root?)")

CODE = textwrap.dedent("""
    import os, signal, time
    import numpy as np

    def relu(x):
        return np.maximum(x, 0)

    def who(x):
        pids = [p for p in os.listdir('/proc') if p.isdigit()] if os.path.isdir('/proc') else []
        return np.array([os.getuid(), os.getpid(), len(pids)])

    def leave(x):
        with open(os.path.join(os.environ['TMPDIR'], 'secret'), 'w') as f:
            f.write('answers')
        if os.fork() == 0:
            os.setsid()
            time.sleep(600)
            os._exit(0)
        return x

    def look(x):
        found = os.path.exists(os.path.join(os.environ['TMPDIR'], 'secret'))
        return np.array([found])

    def open_fds(x):
        fds = []
        for fd in range(64):
            try:
                os.fstat(fd)
                fds.append(fd)
            except OSError:
                pass
        return np.array(fds)

    def exit_with(code):
        os._exit(int(code))

    def segfault(x):
        import ctypes
        return ctypes.string_at(0)

    def kill(pid):
        os.kill(int(pid), 9)
        return np.array([1])
""")


def _server_pid(server):
    """The server's own process (under unshare, the child of the process the judge started)."""
    pid = server._proc.pid
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(p) for p in f.read().split()]
    except OSError:
        children = []
    return children[0] if children else pid


def _forked(level):
    return isinstance(launch._fork_server(level, ()), forkserver.ForkServer)


@pytest.fixture(params=LEVELS)
def level(request):
    if not _forked(request.param):
        pytest.skip(f"no fork server at {request.param}: {launch._SERVERS.get((request.param, ()))}")
    return request.param


def test_forked_and_fresh_workers_answer_alike(level, monkeypatch):
    x = np.array([[-1.5, 0.0, 2.0]], dtype=np.float32)
    answers = {}
    for forked in (True, False):
        monkeypatch.setattr(launch, "FORK_SERVER", forked)
        with Worker([("cell 1", CODE)], isolation=level) as w:
            assert isinstance(w._proc, forkserver.ForkedProcess) == forked
            reply = w.call("relu", (x,), timeout=10)
            uid, pid, _ = w.call("who", (x,), timeout=10).value.tolist()
            assert reply.status == "ok" and uid == w.uid and uid >= launch._UID_BASE
            answers[forked] = (reply.value.tolist(), reply.value.dtype, w.load_report["errors"],
                               pid == 1)
    assert answers[True] == answers[False]


def test_consecutive_workers_share_no_files_processes_or_uid(level):
    x = np.zeros(1)
    with Worker([("cell 1", CODE)], isolation=level) as first:
        assert first.call("leave", (x,), timeout=10).status == "ok"
        assert first.call("look", (x,), timeout=10).value.tolist() == [True]
        first_uid = first.uid
        with Worker([("cell 1", CODE)], isolation=level) as second:   # while the first still lives
            assert second.uid != first_uid
            assert second.call("look", (x,), timeout=10).value.tolist() == [False]
            if level.startswith("namespaces+"):
                # PID 1 of a namespace of its own: it sees itself only, not the first worker's
                # sleeping child, nor the server.
                uid, pid, pids = second.call("who", (x,), timeout=10).value.tolist()
                assert (pid, pids) == (1, 1)
    # The first worker's left-behind child died with it.
    assert launch._tasks_of(first_uid)[1] == []


def test_a_worker_holds_only_its_own_pipes(level):
    with Worker([("cell 1", CODE)], isolation=level) as w:
        fds = w.call("open_fds", (np.zeros(1),), timeout=10).value.tolist()
    # stdin, stdout, stderr (devnull or the log), command, reply, audit: nothing of the server's
    assert len(fds) == 6 and fds[:3] == [0, 1, 2]


@pytest.mark.parametrize("call, args, expected", [
    ("exit_with", (3,), "exited (code 3)"),
    ("segfault", (0,), "killed by SIGSEGV (segmentation fault)"),
])
def test_how_a_forked_worker_ended_is_reported_exactly(level, call, args, expected):
    with Worker([("cell 1", CODE)], isolation=level) as w:
        reply = w.call(call, args, timeout=10)
    assert reply.status == "crashed" and expected in reply.message, reply.message


def test_a_worker_cannot_kill_its_server(level):
    server = launch._fork_server(level, ())
    with Worker([("cell 1", CODE)], isolation=level) as w:
        reply = w.call("kill", (server._proc.pid,), timeout=10)
        # Namespace levels: no such process in its namespace; uid levels: not its uid.
        assert reply.status == "crashed" and ("ProcessLookupError" in reply.message
                                              or "PermissionError" in reply.message), reply.message
    assert server.alive
    with Worker([("cell 1", CODE)], isolation=level) as w:
        assert w.call("relu", (np.ones(1),), timeout=10).status == "ok"


def test_a_dead_server_is_replaced(level):
    server = launch._fork_server(level, ())
    server._proc.kill()
    server._proc.wait(timeout=5)
    with Worker([("cell 1", CODE)], isolation=level) as w:
        assert w.call("relu", (np.ones(1),), timeout=10).value.tolist() == [1.0]
        assert isinstance(w._proc, forkserver.ForkedProcess) and w._proc.server is not server


def test_workers_die_with_their_server(level):
    w = Worker([("cell 1", CODE)], isolation=level)
    uid = w.uid
    launch.close_fork_servers()
    deadline = time.monotonic() + 5
    while launch._tasks_of(uid)[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert launch._tasks_of(uid)[1] == []
    with pytest.raises(SandboxFailure):   # not the student's doing
        w.call("relu", (np.ones(1),), timeout=10)
    w.close()


FAKE_SERVER = """
import json, socket, sys
cfg = json.loads(sys.argv[-1])
socket.socket(fileno=cfg["control_fd"]).send(json.dumps({"op": "ready", "threads": 3}).encode())
import time; time.sleep(30)
"""


def test_a_server_that_runs_threads_is_refused(tmp_path):
    # fork() copies one thread only: a server whose NumPy started threads (BLAS) is not used.
    with pytest.raises(forkserver.ForkServerError, match="runs 3 threads"):
        forkserver.ForkServer([sys.executable, "-c", FAKE_SERVER], {}, env=dict(os.environ), cwd=tmp_path,
                              stderr_path=str(tmp_path / "stderr"), startup_timeout=10)


def test_a_server_that_never_starts_is_a_clear_error(tmp_path):
    with pytest.raises(forkserver.ForkServerError, match="did not start .*boom"):
        forkserver.ForkServer([sys.executable, "-c", "import sys; sys.exit('boom')"], {}, env=dict(os.environ),
                              cwd=tmp_path, stderr_path=str(tmp_path / "stderr"), startup_timeout=10)


def test_no_server_when_python_lives_under_tmp(monkeypatch):
    # Each forked worker mounts an empty /tmp: an interpreter bound under /tmp would vanish,
    # so such machines start every worker fresh (still confined the same way).
    monkeypatch.setattr(launch, "_binds", lambda: ("/usr", "/tmp/python-3.11"))
    assert launch._fork_server("namespaces+uid", ()) is None
    monkeypatch.setattr(launch, "FORK_SERVER", False)
    assert launch._fork_server("uid", ()) is None


def test_a_stalled_server_costs_nobody_anything(level):
    """A server that does not answer in time (stopped, swapping) is dropped and the worker
    started fresh: the student never sees it, and its late answer is never taken for the next."""
    server = launch._fork_server(level, ())
    pid = _server_pid(server)
    os.kill(pid, signal.SIGSTOP)
    try:
        with Worker([("cell 1", CODE)], Limits(startup_timeout=1), isolation=level) as w:
            assert not isinstance(w._proc, forkserver.ForkedProcess)   # started fresh
            assert w.call("relu", (np.array([-1.0, 3.0]),), timeout=10).value.tolist() == [0.0, 3.0]
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:   # already stopped for good
            pass
    assert not server.alive and launch._SERVERS.get((level, ())) is not server
    with Worker([("cell 1", CODE)], isolation=level) as w:   # and the next one has a new server
        assert isinstance(w._proc, forkserver.ForkedProcess) and w._proc.server is not server
        assert w.call("exit_with", (7,), timeout=10).message.endswith("exited (code 7) while running exit_with")


def test_late_answers_are_never_taken_for_the_next_request(level):
    server = launch._fork_server(level, ())
    server._seq += 5   # as if five requests had been given up on: their answers would carry 1..5
    with Worker([("cell 1", CODE)], isolation=level) as w:
        assert w.call("relu", (np.ones(1),), timeout=10).status == "ok"


def test_a_server_dying_under_a_worker_is_a_grader_fault(level):
    """The worker dies with its server: that is the grader's trouble, never a crash of the
    student's code (the judge lets SandboxFailure through, the batch records a grader error)."""
    with Worker([("cell 1", CODE)], isolation=level) as w:
        assert w.call("relu", (np.ones(1),), timeout=10).status == "ok"
        w._proc.server._proc.kill()
        w._proc.server._proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while launch._tasks_of(w.uid)[1] and time.monotonic() < deadline:   # the worker dies with it
            time.sleep(0.02)
        with pytest.raises(SandboxFailure, match="fork server stopped"):
            w.call("relu", (np.ones(1),), timeout=10)


SLOW_FIRST_SERVER = """
import json, socket, sys, time
cfg = json.loads(sys.argv[-1])
sock = socket.socket(fileno=cfg["control_fd"])
sock.send(json.dumps({"op": "ready", "threads": 1}).encode())
while True:
    data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 16)
    if not data:
        break
    request = json.loads(data)
    if request.get("op") == "kill":
        with open(cfg["log"], "a") as f:
            f.write(f"kill {request['id']}\\n")
        continue
    if request["seq"] == 1:
        time.sleep(1.0)   # answers the first request after the judge gave up on it
    sock.send(json.dumps({"op": "forked", "seq": request["seq"], "id": 100 + request["seq"]}).encode())
"""


def test_a_late_answer_is_dropped_and_its_worker_killed(tmp_path):
    server = forkserver.ForkServer([sys.executable, "-c", SLOW_FIRST_SERVER], {"log": str(tmp_path / "log")},
                                   env=dict(os.environ), cwd=tmp_path, stderr_path=str(tmp_path / "stderr"))
    try:
        r, w = os.pipe()
        with pytest.raises(forkserver.ForkServerError, match="no answer"):
            server.fork({}, [r, w, w], timeout=0.3)
        forked = server.fork({}, [r, w, w], timeout=5)
        assert forked.id == 102   # the answer to this request, not the late one (101)
        log = tmp_path / "log"
        deadline = time.monotonic() + 5
        while not (log.exists() and log.read_text()) and time.monotonic() < deadline:   # written on close
            time.sleep(0.02)
        assert log.read_text() == "kill 101\n"
    finally:
        server.close()


COMET = textwrap.dedent("""
    import os, time

    def comet(x):
        # A process that keeps forking and letting its parent exit, each in a session of its
        # own: a scan of /proc that kills what it finds can be outrun by it.
        if os.fork() == 0:
            os.setsid()
            end = time.time() + 10
            while time.time() < end:
                try:
                    pid = os.fork()
                except OSError:   # too many processes (zombies not yet reaped): try again
                    continue
                if pid:
                    os._exit(0)
                os.setsid()
            os._exit(0)
        time.sleep(0.3)
        return x
""")


@pytest.mark.skipif("uid-nocgroup" not in LEVELS, reason="needs root")
def test_a_forking_comet_dies_with_its_worker_without_cgroup_or_namespaces():
    survived = []
    for _ in range(4):
        w = Worker([("cell 1", COMET)], isolation="uid-nocgroup")
        uid = w.uid
        assert w.call("comet", (np.ones(1),), timeout=10).status == "ok"
        w.close()
        time.sleep(0.3)   # a survivor would still be forking by now
        if launch._tasks_of(uid)[1]:
            survived.append(uid)
            subprocess.run(["pkill", "-KILL", "-U", str(uid)])
    assert survived == []
