"""The sandbox: round trips, stubs, crashes, hangs and hostile code.

Every level runs student code as a uid of its own (so the tests need root, as on the
dev machine and in CI); each level is forced in turn and must hide the kit, refuse new
namespaces and stay off the grader's uid.
"""

import errno
import os
import socket
import sys
import textwrap
import time

import numpy as np
import pytest

import autograder
from autograder.sandbox import LEVEL_NOTES, LEVELS, Limits, Worker, WorkerError, isolation_level, launch, protocol

LEVEL = isolation_level()
STRONG = LEVEL.startswith("namespaces+")
KIT_FILE = os.path.realpath(autograder.__file__)
REPO = os.path.dirname(os.path.dirname(KIT_FILE))

HOSTILE = textwrap.dedent('''
    import os, sys, time, socket, threading
    import numpy as np

    def relu(x):
        return np.maximum(x, 0)

    def echo(*args, **kwargs):
        return np.array([len(args), len(kwargs)])

    def shapes(x, weights, scale=1.0, pair=(1, 2)):
        return np.array([x.ndim, len(weights), weights[2].shape[0], scale, pair[0], pair[1]], dtype=float)

    def stub_dots(x):
        ...

    def stub_pass(x):
        pass

    def stub_returns_dots(x):
        return ...

    def stub_raise(x):
        raise NotImplementedError("TODO")

    def value_error(x):
        raise ValueError("shapes (4,9) and (3,2)\\n not aligned")

    def exit0(x):
        os._exit(0)

    def sysexit(x):
        sys.exit(3)

    def interrupt(x):
        raise KeyboardInterrupt

    def segfault(x):
        import ctypes
        return ctypes.string_at(0)

    def recurse(x):
        return recurse(x)

    def spin(x):
        while True:
            pass

    def fork_bomb(x):
        while True:
            os.fork()

    def fork_and_hang(x):
        if os.fork() == 0:
            time.sleep(1000)
        while True:
            pass

    def leave_children(x):
        if os.fork() == 0:
            time.sleep(1000)
        threading.Thread(target=time.sleep, args=(1000,), daemon=False).start()
        return x

    def flood(x):
        chunk = "x" * (1 << 20)
        for _ in range(1024):       # 1 GiB through print
            print(chunk)
        os.write(1, b"y" * (1 << 26))   # and 64 MiB straight to fd 1
        return x

    def hog(x):
        keep = []
        while True:
            keep.append(np.ones(1 << 24))  # 128 MiB at a time, touched

    def huge(x):
        return np.zeros((1 << 16, 1 << 16))  # 32 GiB: refused by RLIMIT_AS

    def read_kit(path):
        with open(path) as f:
            return np.array([len(f.read())])

    def import_kit(x):
        import reference
        return reference.relu(x)

    def connect(port):
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"hello")
        return np.array([1])

    def write_outside(path):
        with open(path, "w") as f:
            f.write("pwned")
        return np.array([1])

    def write_here(x):
        with open("scratch.txt", "w") as f:
            f.write("fine")
        return np.array([os.path.getsize("scratch.txt")])

    def big_file(x):
        with open("big.bin", "wb") as f:
            f.write(b"0" * (64 << 20))
        return x

    def escape_chroot(path):
        # Classic escape: a new user namespace gives CAP_SYS_CHROOT back, then chroot("..")
        # upwards. After pivot_root there is no host file system above to climb to.
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(0x10000000)  # CLONE_NEWUSER; may also simply be refused
        os.makedirs("/tmp/jail", exist_ok=True)
        os.chroot("/tmp/jail")
        for _ in range(40):
            os.chdir("..")
        os.chroot(".")
        with open(path) as f:
            return np.array([len(f.read())])

    def who(x):
        return np.array([os.getuid(), os.getgid()])

    def cheat(x):
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None

        class Liar(np.ndarray):
            def __eq__(self, other):
                return True
            def tobytes(self, *a, **k):
                return b"\\0" * 8
            def __array__(self, *a, **k):
                return np.zeros(3)
        return np.asarray(x * 2).view(Liar)

    def modify(x, weights, k=None):
        x[0] = 99.0
        weights[1][...] = -1
        k += 1
        return x

    def late_import(x):
        try:
            import scipy.signal
        except ImportError:
            pass
        return x

    def sneaky_import(x):
        import importlib
        return importlib.import_module("tensorflow").constant(x).numpy()

    def uses_plt(x):
        plt.plot(x)
        return x

    def returns_list(x):
        return [1, 2, 3]

    def returns_float(x):
        return 1.5

    def returns_scalar(x):
        return np.float32(2.5)

    def returns_object(x):
        return np.array([1, "a"], dtype=object)

    def returns_strings(x):
        return np.array(["a", "b"])

    def returns_complex(x):
        return x + 1j

    def returns_big(x):
        return np.zeros(1 << 21)
''')


@pytest.fixture(scope="module")
def box():
    """One shared worker for the calls that do not kill it (restarted if one does)."""
    holder = {}

    def get():
        w = holder.get("w")
        if w is None or not w.alive:
            w = holder["w"] = Worker([("cell 1", HOSTILE)])
        return w

    yield get
    if holder.get("w"):
        holder["w"].close()


def _pids_of_uid(uid):
    return launch._tasks_of(uid)[1]


def _pids_in_group(pgid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry))
    return pids


# ------------------------------------------------------------------ detection

def test_detected_level_is_the_strongest_available():
    assert LEVEL in LEVELS and set(LEVEL_NOTES) == set(LEVELS)
    if os.geteuid() == 0 and launch._unshare():
        # Root with util-linux here and in CI: anything weaker means detection regressed.
        assert LEVEL == "namespaces+uid", launch.probe_problems()
    assert isolation_level() is LEVEL  # cached


@pytest.mark.parametrize("level", LEVELS[1:])
def test_weaker_levels_still_isolate_when_forced(level):
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    with Worker([("cell 1", HOSTILE)], isolation=level) as w:
        assert w.isolation == level
        r = w.call("relu", (x,), timeout=10)
        assert r.status == "ok" and r.value.dtype == np.float32
        np.testing.assert_array_equal(r.value, np.maximum(x, 0))
        # every level hides the kit (namespaces: not mounted; uid levels: chroot into a copy)
        assert w.call("read_kit", (KIT_FILE,), timeout=10).status == "crashed"
        assert w.call("who", (np.zeros(1),), timeout=10).value[0] >= launch._UID_BASE


def test_worker_refuses_to_run_without_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(WorkerError, match="needs root"):
        Worker([("cell 1", "x = 1")], isolation=LEVEL)


# ------------------------------------------------------------------ normal use

def test_round_trip_values_dtypes_and_arguments(box):
    w = box()
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3))
    r = w.call("relu", (x,), timeout=10)
    assert r.status == "ok" and r.message == ""
    assert type(r.value) is np.ndarray and r.value.dtype == np.float64
    np.testing.assert_array_equal(r.value, np.maximum(x, 0))
    assert r.seconds > 0
    weights = [np.ones((3, 3, 3, 4)), np.zeros(4), np.ones((7, 2)), np.zeros(2)]
    r = w.call("shapes", (x, weights), {"scale": np.float32(0.5), "pair": (np.int64(3), 4)}, timeout=10)
    assert r.status == "ok"
    np.testing.assert_array_equal(r.value, [4, 4, 7, 0.5, 3, 4])
    # inputs_after: arrays in order of appearance, args first (depth first), then kwargs.
    assert [a.shape for a in r.inputs_after] == [x.shape] + [a.shape for a in weights]
    ints = w.call("relu", (np.array([[-2, 3]], dtype=np.int32),), timeout=10)
    assert ints.value.dtype == np.int32 and ints.value.tolist() == [[0, 3]]
    assert w.call("echo", (1, "same", None, [1.5]), {"a": 1}, timeout=10).value.tolist() == [4, 1]


def test_load_report_statement_by_statement():
    cells = [("cell 1", "import numpy as np\nimport matplotlib.pyplot as plt\nprint('hi')\n"),
             ("cell 2", "def broken(:\n    pass\n"),
             ("cell 3", "x = 1 / 0\ndef relu(x):\n    return np.maximum(x, 0)\nimport scipy\n"),
             ("cell 4", "from sklearn.metrics import accuracy_score as acc\nimport sys\nsys.exit(0)\ny = 2\n"),
             ("cell 5", "x = 1\0\n"), ("cell 6", "(" * 300 + ")" * 300 + "\n")]
    with Worker(cells) as w:
        rep = w.load_report
        assert rep["defined"] == ["relu"]
        assert rep["blocked_imports"] == ["matplotlib", "scipy", "sklearn"]
        assert rep["stdout"] == "hi\n"
        assert rep["fatal"] is None
        where = [e["where"] for e in rep["errors"]]
        assert where == ["cell 1, line 2", "cell 2, line 1", "cell 3, line 1", "cell 3, line 4",
                         "cell 4, line 1", "cell 4, line 3", "cell 5, line 1", "cell 6, line 1"]
        assert all(e["message"].endswith("line 1 skipped") for e in rep["errors"][-2:])
        assert rep["errors"][0]["message"] == ("ModuleNotFoundError: matplotlib is not available while "
                                              "grading: use NumPy and the standard library only")
        assert rep["errors"][1]["message"].startswith("SyntaxError:")
        assert rep["errors"][2]["message"] == "ZeroDivisionError: division by zero"
        # Statements after a failing one still ran (y = 2 after sys.exit).
        assert w.call("relu", (np.array([-1.0, 1.0]),), timeout=10).value.tolist() == [0.0, 1.0]


# ------------------------------------------------------------------ not implemented / bad output

@pytest.mark.parametrize("name, needle", [("missing", "is not defined"), ("stub_dots", "None"),
                                          ("stub_returns_dots", "Ellipsis"), ("stub_pass", "None"),
                                          ("stub_raise", "NotImplementedError")])
def test_not_implemented_variants(box, name, needle):
    r = box().call(name, (np.zeros(3),), timeout=10)
    assert r.status == "not implemented" and needle in r.message and r.value is None


@pytest.mark.parametrize("name, needle", [
    ("returns_list", "returned a list, expected a NumPy array"),
    ("returns_float", "returned a float, expected a NumPy array"),
    ("returns_object", "dtype object"),
    ("returns_strings", "dtype <U1"),
    ("returns_complex", "dtype complex128"),
])
def test_bad_outputs(box, name, needle):
    r = box().call(name, (np.zeros(3),), timeout=10)
    assert r.status == "bad output" and needle in r.message and r.value is None


def test_numpy_scalar_is_a_0d_array_and_size_caps_apply():
    with Worker([("cell 1", HOSTILE)], Limits(array_elements=1 << 20)) as w:
        r = w.call("returns_scalar", (np.zeros(1),), timeout=10)
        assert r.status == "ok" and r.value.shape == () and r.value.dtype == np.float32 and r.value == 2.5
        r = w.call("returns_big", (np.zeros(1),), timeout=10)
        assert r.status == "bad output" and "too large" in r.message
        assert w.alive


# ------------------------------------------------------------------ crashes

@pytest.mark.parametrize("name, needle, survives", [
    ("value_error", "ValueError: shapes (4,9) and (3,2) not aligned", True),
    ("sysexit", "SystemExit: sysexit called sys.exit(3)", True),
    ("interrupt", "KeyboardInterrupt", True),
    ("recurse", "RecursionError: maximum recursion depth exceeded", True),
    ("exit0", "the worker process exited (code 0) while running exit0", False),
    ("segfault", "the worker process was killed by SIGSEGV (segmentation fault) while running segfault", False),
])
def test_crash_variants(box, name, needle, survives):
    w = box()
    r = w.call(name, (np.zeros(3),), timeout=10)
    assert r.status == "crashed" and r.value is None
    assert needle in r.message and "\n" not in r.message
    assert w.alive is survives
    if not survives:
        with pytest.raises(WorkerError):
            w.call("relu", (np.zeros(3),))


def test_memory_hog_crashes_and_grading_goes_on():
    with Worker([("cell 1", HOSTILE)], Limits(memory_bytes=1 << 30)) as w:
        r = w.call("huge", (np.zeros(1),), timeout=20)
        assert r.status == "crashed" and r.message.startswith("MemoryError")
        r = w.call("hog", (np.zeros(1),), timeout=20)
        assert r.status == "crashed" and r.message.startswith("MemoryError")
        assert w.call("relu", (np.array([-1.0]),), timeout=10).value.tolist() == [0.0]


def test_cpu_limit_kills_the_worker():
    with Worker([("cell 1", HOSTILE)], Limits(cpu_seconds=1)) as w:
        r = w.call("spin", (np.zeros(1),), timeout=20)
        assert r.status == "crashed" and "SIGXCPU" in r.message and "CPU time limit of 1 s" in r.message
        assert not w.alive


# ------------------------------------------------------------------ hangs and process trees

def test_infinite_loop_times_out_and_a_fresh_worker_works():
    w = Worker([("cell 1", HOSTILE)])
    start = time.monotonic()
    r = w.call("spin", (np.zeros(1),), timeout=1.0)
    assert r.status == "timed out" and r.message == "took longer than 1 s"
    assert time.monotonic() - start < 6 and not w.alive
    w.close()
    w.close()  # idempotent
    with Worker([("cell 1", HOSTILE)]) as fresh:
        assert fresh.call("relu", (np.array([-2.0, 2.0]),), timeout=10).value.tolist() == [0.0, 2.0]


def _assert_tree_gone(w, uid, pgid):
    w.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (_pids_in_group(pgid) or (uid and _pids_of_uid(uid))):
        time.sleep(0.05)
    assert _pids_in_group(pgid) == []
    if uid:
        assert _pids_of_uid(uid) == []


def _worker_uid(w):
    return w.uid if LEVEL == "namespaces+uid" else None


def test_fork_bomb_is_contained_and_leaves_nothing_behind():
    if LEVEL == "rlimits" and os.geteuid() == 0:
        pytest.skip("root without namespaces: RLIMIT_NPROC does not apply to root")
    w = Worker([("cell 1", HOSTILE)], Limits(processes=16))
    uid, pgid = _worker_uid(w), w._proc.pid
    r = w.call("fork_bomb", (np.zeros(1),), timeout=5)
    assert r.status in ("crashed", "timed out")
    if r.status == "crashed":
        assert "BlockingIOError" in r.message
        # The forked children never answered in the parent's place: the pipe is still in sync.
        assert w.call("relu", (np.array([-1.0]),), timeout=10).value.tolist() == [0.0]
    _assert_tree_gone(w, uid, pgid)


def test_children_and_threads_left_behind_die_with_the_worker():
    w = Worker([("cell 1", HOSTILE)])
    uid, pgid = _worker_uid(w), w._proc.pid
    r = w.call("leave_children", (np.ones(2),), timeout=10)
    assert r.status == "ok"
    if uid:
        assert len(_pids_of_uid(uid)) >= 2  # the worker and its sleeping child
    _assert_tree_gone(w, uid, pgid)


def test_timeout_kills_the_whole_tree():
    w = Worker([("cell 1", HOSTILE)])
    uid, pgid = _worker_uid(w), w._proc.pid
    r = w.call("fork_and_hang", (np.zeros(1),), timeout=1.0)
    assert r.status == "timed out" and not w.alive
    _assert_tree_gone(w, uid, pgid)


def test_printing_gigabytes_is_capped_and_does_not_hang(box):
    w = box()
    start = time.monotonic()
    r = w.call("flood", (np.ones(2),), timeout=30)
    assert r.status == "ok" and time.monotonic() - start < 30
    assert len(r.stdout) < (64 << 10) + 200
    assert r.stdout.endswith(f"[{1024 * ((1 << 20) + 1) - (64 << 10)} more characters of output dropped]")


def test_load_hang_and_exit_are_skipped_and_the_rest_is_graded():
    cells = [("cell 1", "import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)\n"),
             ("cell 2", "import os\nos._exit(0)\n"),
             ("cell 3", "while True:\n    pass\n"),
             ("cell 4", "def flatten(x):\n    return x.reshape(len(x), -1)\n")]
    start = time.monotonic()
    with Worker(cells, load_timeout=1.0) as w:
        rep = w.load_report
        assert rep["fatal"] is None and rep["defined"] == ["relu", "flatten"]
        assert {"where": "cell 2, line 2", "binds": [],
                "message": "this statement ended the worker process while loading; it was skipped"} in rep["errors"]
        assert {"where": "cell 3, line 1", "binds": [],
                "message": "still running when the loading time (1 s, --load-timeout) ran out: "
                           "stopped and skipped"} in rep["errors"]
        assert w.call("flatten", (np.zeros((2, 3, 4)),), timeout=10).value.shape == (2, 12)
    assert time.monotonic() - start < 15


def test_load_that_never_finishes_is_fatal(monkeypatch):
    # Code that swallows the worker's own stop is killed LOAD_MARGIN after the budget.
    monkeypatch.setattr(Worker, "LOAD_MARGIN", 0.5)
    stubborn = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n"
    cells = [("cell 1", stubborn), ("cell 2", stubborn)]
    w = Worker(cells, load_timeout=0.5, load_retries=1)
    assert not w.alive and w.load_report["defined"] == []
    assert w.load_report["fatal"] == ("the code could not be loaded: it did not stop when the loading time "
                                      "(0.5 s) ran out")
    with pytest.raises(WorkerError):
        w.call("relu", (np.zeros(1),))
    w.close()


# ------------------------------------------------------------------ isolation

def test_worker_runs_as_its_own_uid(box):
    uid, gid = box().call("who", (np.zeros(1),), timeout=10).value.tolist()
    if LEVEL == "namespaces+uid":
        assert uid >= launch._UID_BASE and gid == uid and uid != os.getuid()


def test_kit_files_are_out_of_reach(box):
    w = box()
    r = w.call("import_kit", (np.zeros(1),), timeout=10)
    assert r.status == "policy violation" and "reference" in r.message
    for path in (KIT_FILE, os.path.join(REPO, "reference", "__init__.py"), launch._WORKER_PY):
        r = w.call("read_kit", (path,), timeout=10)
        if STRONG:
            assert r.status == "crashed" and "FileNotFoundError" in r.message
        else:
            assert r.status == "ok"  # rlimits only: documented gap, the files stay readable


def test_chroot_escape_finds_nothing(box):
    r = box().call("escape_chroot", (KIT_FILE,), timeout=10)
    if STRONG:
        assert r.status == "crashed" and ("FileNotFoundError" in r.message or "PermissionError" in r.message)
    else:
        assert r.status == "crashed"  # rlimits only: no root, chroot is refused outright


def test_killed_worker_is_reported_as_killed(box):
    w = box()
    assert w.call("relu", (np.zeros(1),), timeout=10).status == "ok"
    if isinstance(w._proc, launch.forkserver.ForkedProcess):
        target = w._proc.pid   # the worker itself (found by its uid)
    else:   # under unshare, the worker is its child
        with open(f"/proc/{w._proc.pid}/task/{w._proc.pid}/children") as f:
            kids = [int(p) for p in f.read().split()]
        target = kids[0] if STRONG else w._proc.pid  # what the OOM killer would hit
    os.kill(target, 9)
    r = w.call("relu", (np.zeros(1),), timeout=10)
    assert r.status == "crashed" and "killed by SIGKILL" in r.message and not w.alive


def test_network_is_unreachable():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        with Worker([("cell 1", HOSTILE)]) as w:
            r = w.call("connect", (port,), timeout=10)
        if STRONG:
            assert r.status == "crashed" and "Error" in r.message
            with pytest.raises(OSError):
                listener.accept()  # nobody came
        else:
            assert r.status == "ok"  # rlimits only: documented gap
    finally:
        listener.close()


def test_files_outside_the_temp_dir_cannot_be_written(box, tmp_path):
    w = box()
    assert w.call("write_here", (np.zeros(1),), timeout=10).value.tolist() == [4]
    targets = [os.path.join(REPO, "pwned.txt"), str(tmp_path / "pwned.txt"), "/pwned.txt", "/usr/pwned.txt"]
    for target in targets:
        r = w.call("write_outside", (target,), timeout=10)
        if STRONG or os.geteuid() != 0:
            assert r.status == "crashed" and "Error" in r.message, target
        assert not os.path.exists(target) or not STRONG
    r = w.call("big_file", (np.zeros(1),), timeout=10)
    assert r.status == "crashed" and "File too large" in r.message and w.alive


def test_patching_numpy_changes_nothing_the_judge_sees(box):
    w = box()
    x = np.arange(3.0)
    r = w.call("cheat", (x,), timeout=10)
    assert r.status == "ok" and type(r.value) is np.ndarray
    np.testing.assert_array_equal(r.value, x * 2)  # the real data, not the subclass's stories
    assert not np.allclose(r.value, x)
    r = w.call("relu", (np.array([-1.0, 1.0]),), timeout=10)  # the worker's own I/O still honest
    assert r.status == "ok" and r.value.tolist() == [0.0, 1.0]


def test_blocked_imports_are_policy_violations():
    cells = [("cell 1", HOSTILE + "\nimport matplotlib.pyplot as plt\n")]
    with Worker(cells) as w:
        assert w.load_report["blocked_imports"] == ["matplotlib"]
        r = w.call("late_import", (np.zeros(1),), timeout=10)  # even when the ImportError is caught
        assert r.status == "policy violation"
        assert r.message == ("late_import tried to import scipy, which is not available while grading: "
                             "use NumPy and the standard library only")
        r = w.call("sneaky_import", (np.zeros(1),), timeout=10)
        assert r.status == "policy violation" and "tensorflow" in r.message
        r = w.call("uses_plt", (np.zeros(1),), timeout=10)
        assert r.status == "policy violation" and "'plt' from matplotlib" in r.message
        assert w.call("relu", (np.array([-1.0]),), timeout=10).status == "ok"


def test_inputs_after_reflects_in_place_modification(box):
    w = box()
    x, weights = np.zeros(3), [np.ones(2), np.ones(2)]
    r = w.call("modify", (x, weights), {"k": np.zeros(2)}, timeout=10)
    assert r.status == "ok"
    after_x, after_w0, after_w1, after_k = r.inputs_after
    assert after_x.tolist() == [99.0, 0.0, 0.0] and after_w0.tolist() == [1.0, 1.0]
    assert after_w1.tolist() == [-1.0, -1.0] and after_k.tolist() == [1.0, 1.0]
    assert x.tolist() == [0.0, 0.0, 0.0]  # the judge's own copies are untouched


def test_startup_and_round_trip_are_fast():
    start = time.monotonic()
    w = Worker([("cell 1", HOSTILE)])
    startup = time.monotonic() - start
    x = np.ones((2, 8, 8, 3))
    start = time.monotonic()
    for _ in range(50):
        assert w.call("relu", (x,), timeout=10).status == "ok"
    per_call = (time.monotonic() - start) / 50
    w.close()
    # Measured here: ~0.2 s and ~1 ms. Loose bounds for a busy 2-core CI machine.
    assert startup < 3.0 and per_call < 0.05


# ------------------------------------------------------------------ protocol
# (the wire protocol and batched calls: tests/test_protocol.py)


def test_worker_imports_only_numpy_and_stdlib():
    import ast
    allowed = set(sys.stdlib_module_names) | {"numpy"}
    here = os.path.dirname(launch._WORKER_PY)
    for name in ("worker.py", "protocol.py", "jail.py"):
        with open(os.path.join(here, name)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{name}: relative import"
                mods = [node.module]
            else:
                continue
            assert all(m.partition(".")[0] in allowed for m in mods), (name, mods)


# ------------------------------------------------------------------ per-worker limits (issue 9)

TREE_HOG = textwrap.dedent('''
    import os, time
    import numpy as np

    def hog(n, mib):
        """Fork n children one after another, each holding mib MiB; how many are still alive."""
        pids = []
        for _ in range(int(n)):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                block = np.ones(int(mib) << 17)   # mib MiB, touched
                os.write(w, b"1")
                time.sleep(30)
                os._exit(0)
            os.close(w)
            os.read(r, 1)   # b"1" once it holds its memory, b"" if it was killed first
            os.close(r)
            pids.append(pid)
        time.sleep(0.5)
        alive = 0
        for pid in pids:
            try:
                alive += os.waitpid(pid, os.WNOHANG)[0] == 0
            except ChildProcessError:
                pass
        return np.array([alive])

    def userns(x):
        import ctypes, subprocess
        libc = ctypes.CDLL(None, use_errno=True)
        direct = libc.unshare(0x10000000)          # CLONE_NEWUSER
        err = ctypes.get_errno()
        try:
            tool = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True).returncode
        except OSError:
            tool = -1
        return np.array([direct, err, tool])
''')


@pytest.mark.skipif(not launch._level_parts(LEVEL)[1], reason="no cgroups at this level")
def test_process_tree_cannot_hold_more_than_its_memory_limit():
    limit = 512 << 20
    with Worker([("cell 1", TREE_HOG)], Limits(memory_bytes=limit)) as w:
        reply = w.call("hog", (6, 200), timeout=60)   # 6 x 200 MiB = 1.2 GiB asked for
        peak = w._cgroup.peak_memory()
        assert peak is not None and peak <= limit, (peak, limit)
        # the tree got at most what the limit allows: some children (or the worker) were killed
        if reply.status == "ok":
            assert int(reply.value[0]) * (200 << 20) <= limit, (w.isolation, w._cgroup.folders, peak)
        else:
            assert reply.status == "crashed" and "memory" in reply.message


@pytest.mark.parametrize("level", LEVELS)
def test_no_user_namespace_inside_the_jail(level):
    with Worker([("cell 1", TREE_HOG)], isolation=level) as w:
        reply = w.call("userns", (np.zeros(1),), timeout=30)
        assert reply.status == "ok", reply.message
        direct, err, tool = (int(v) for v in reply.value)
        assert direct == -1 and err == 1 and tool != 0   # EPERM from the filter; the tool fails too
        assert "started a process (subprocess)" in w.integrity


INTEGRITY = textwrap.dedent('''
    import os, sys
    import numpy as np

    def honest(x):
        return np.maximum(x, 0)

    def snoops(x):
        try:
            open("/etc/passwd")
        except OSError:
            pass
        sys._getframe(1)
        np.allclose = lambda *a, **k: True
        return x

    def forks_then_hangs(x):
        if os.fork() == 0:
            import socket
            try:
                socket.socket()
            except OSError:
                pass
            os._exit(0)
        while True:
            pass
''')


def test_integrity_notes_attempts_even_when_the_call_times_out():
    with Worker([("cell 1", INTEGRITY)]) as w:
        assert w.call("honest", (np.ones(3),), timeout=10).status == "ok"
        assert w.integrity == set()   # honest code, NumPy and the stdlib note nothing
        assert w.call("snoops", (np.ones(3),), timeout=10).status == "ok"
        assert {"tried to open /etc/passwd", "walked the call stack (sys._getframe)",
                "patched numpy.allclose"} <= w.integrity
        assert w.call("forks_then_hangs", (np.ones(3),), timeout=2).status == "timed out"
        assert {"forked a process (os.fork)", "opened a socket"} <= w.integrity   # the child's too


# ------------------------------------------------------------------ uid levels: host IPC and sockets

HOST_REACH = textwrap.dedent('''
    import ctypes, errno, socket
    import numpy as np

    def sysv(x):
        libc = ctypes.CDLL(None, use_errno=True)
        got = []
        for make in (lambda: libc.shmget(0, 1 << 20, 0o1600), lambda: libc.semget(0, 1, 0o1600),
                     lambda: libc.msgget(0, 0o1600)):   # IPC_PRIVATE, IPC_CREAT | 0600
            got += [make(), ctypes.get_errno()]
        return np.array(got)

    def unix(name):
        out = []
        for family, kind in ((socket.AF_UNIX, socket.SOCK_STREAM), (socket.AF_UNIX, socket.SOCK_DGRAM)):
            try:
                s = socket.socket(family, kind)
                s.settimeout(1)
                s.connect("\\0" + str(name))
                out.append(s.recv(64).decode())
            except OSError as exc:
                out.append(type(exc).__name__)
        try:
            socket.socketpair()
            out.append("socketpair")
        except OSError as exc:
            out.append(type(exc).__name__)
        raise RuntimeError("SOCKETS " + " ".join(out))
''')


def _ipc_of(uid):
    """System V objects of `uid` in this IPC namespace, as ["shm 12", ...]."""
    found = []
    for kind, column, _ in launch._IPC_TABLES:
        with open(f"/proc/sysvipc/{kind}") as f:
            header, *rows = [line.split() for line in f]
        for row in rows:
            if uid in (int(row[header.index("uid")]), int(row[header.index("cuid")])):
                found.append(f"{kind} {row[header.index(column)]}")
    return found


def _make_ipc_as(uid):
    """Fork, become `uid`, make one segment, semaphore set and message queue, and leave them."""
    pid = os.fork()
    if pid == 0:
        try:
            import ctypes
            libc = ctypes.CDLL(None)
            os.setgid(uid)
            os.setuid(uid)
            ok = (libc.shmget(0, 1 << 20, 0o1600) >= 0 and libc.semget(0, 1, 0o1600) >= 0
                  and libc.msgget(0, 0o1600) >= 0)
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    assert os.waitpid(pid, 0)[1] == 0


@pytest.mark.parametrize("level", ["uid", "uid-nocgroup"])
def test_uid_levels_refuse_host_ipc_and_sockets_and_sweep_what_is_left(level):
    name = f"dlgrade-test-{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)   # an abstract name on the host, as a host service (D-Bus) has
    listener.listen(1)
    listener.settimeout(0.2)
    try:
        with Worker([("cell 1", HOST_REACH)], isolation=level) as w:
            uid = w.uid
            made = w.call("sysv", (np.zeros(1),), timeout=10)
            assert made.status == "ok", made.message
            assert made.value.tolist() == [-1, errno.EPERM] * 3   # the filter refused all three
            r = w.call("unix", (name,), timeout=10)
            assert r.status == "crashed" and "SOCKETS PermissionError PermissionError PermissionError" in r.message
            with pytest.raises(OSError):
                listener.accept()   # nobody came
            assert {"opened a socket", "used ctypes"} <= w.integrity
            assert not _ipc_of(uid)
            _make_ipc_as(uid)   # as if the filter had let them through: close() must remove them
            assert len(_ipc_of(uid)) == 3
        assert not _ipc_of(uid), "System V objects of the worker's uid outlived it"
    finally:
        listener.close()


def test_namespace_level_keeps_unix_sockets_and_ipc_private():
    # its IPC and network namespaces are its own: socketpair works, nothing reaches the host
    with Worker([("cell 1", HOST_REACH)], isolation="namespaces+uid") as w:
        made = w.call("sysv", (np.zeros(1),), timeout=10)
        assert made.status == "ok" and all(v >= 0 for v in made.value[::2]), made.value
        assert not _ipc_of(w.uid)   # they live in the worker's own IPC namespace
        r = w.call("unix", ("dlgrade-nobody-listens",), timeout=10)
        assert r.status == "crashed" and "ConnectionRefusedError" in r.message and "socketpair" in r.message


def test_sweep_worker_ipc_removes_only_the_given_uids():
    mine, other = launch._UID_BASE + launch._UID_SPAN - 1, launch._UID_BASE + launch._UID_SPAN - 2
    _make_ipc_as(mine)
    _make_ipc_as(other)
    try:
        before = _ipc_of(mine)
        assert len(before) == 3
        assert sorted(launch.sweep_worker_ipc(uids=(mine,))) == sorted(before)
        assert not _ipc_of(mine) and len(_ipc_of(other)) == 3
    finally:
        launch.sweep_worker_ipc(uids=(mine, other))
    assert not _ipc_of(other)


# A week-8 lab file as students write them: NumPy's lazily loaded submodules (random, testing,
# lib.stride_tricks, linalg), its global settings, and the stdlib helpers labs use.
HONEST_IDIOMS = textwrap.dedent('''
    """Week 8 lab: dense layers."""
    from __future__ import annotations
    import functools, itertools, math, time, warnings
    from dataclasses import dataclass, field
    from typing import List, NamedTuple, Optional
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    np.set_printoptions(precision=4, suppress=True)
    np.random.seed(0)
    RNG = np.random.default_rng(0)

    @dataclass
    class Layer:
        units: int
        weights: List[np.ndarray] = field(default_factory=list)

    class Shape(NamedTuple):
        rows: int
        cols: int

    @functools.lru_cache(maxsize=None)
    def fan_in(n: int) -> float:
        return math.sqrt(2.0 / n)

    def relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def dense(x, w, b, activation: Optional[str] = None):
        start = time.perf_counter()
        out = np.einsum("ni,ij->nj", x, w) + b
        if activation == "relu":
            out = relu(out)
        print(f"dense took {time.perf_counter() - start:.1e} s", Shape(*out.shape), Layer(4))
        return out

    def softmax(x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)

    def self_check(x):
        """What students leave in the file: checks of their own functions."""
        w = RNG.standard_normal((x.shape[1], 4)) * fan_in(x.shape[1])
        out = dense(x, w, np.zeros(4), "relu")
        np.testing.assert_allclose(softmax(out).sum(axis=1), 1.0, rtol=1e-6)
        windows = sliding_window_view(np.pad(x[0], 1), 3)
        norms = np.linalg.norm(windows, axis=1) + np.linalg.svd(np.random.randn(3, 3), compute_uv=False).sum()
        pairs = list(itertools.combinations(range(3), 2))
        warnings.warn(f"{len(pairs)} pairs checked")
        return norms + np.fft.fft(x[0]).real.sum() * 0
''')

SUBMODULE_TAMPERING = textwrap.dedent('''
    import sys, types
    import numpy as np

    def tamper(x):
        import numpy.random
        np.random = types.ModuleType("numpy.random")         # a loaded submodule replaced
        np.fft = types.SimpleNamespace(fft=lambda a: a)      # one not loaded yet, faked
        fake = types.ModuleType("numpy.polynomial")          # faked in sys.modules too
        sys.modules["numpy.polynomial"] = np.polynomial = fake
        np.testing                                           # a genuine lazy load: silent
        np.helper = len
        np.linalg.norm = lambda *a, **k: 0.0
        sys.path.append("/etc")                              # widens nothing
        try:
            open("/etc/passwd")
        except OSError:
            pass
        return x
''')


def test_integrity_is_silent_for_honest_lab_idioms():
    with Worker([("cell 1", HONEST_IDIOMS)]) as w:
        x = np.arange(12.0).reshape(3, 4) - 5
        for name, args in (("relu", (x,)), ("softmax", (x,)), ("self_check", (x,)),
                           ("dense", (x, np.ones((4, 2)), np.zeros(2)))):
            reply = w.call(name, args, timeout=30)
            assert reply.status == "ok", (name, reply.message)
        assert "dense took" in reply.stdout
        assert w.integrity == set()


def test_integrity_tells_numpy_submodules_loaded_by_numpy_from_replaced_ones():
    with Worker([("cell 1", SUBMODULE_TAMPERING)]) as w:
        assert w.call("tamper", (np.ones(3),), timeout=30).status == "ok"
        assert w.integrity == {"patched numpy.random", "added numpy.fft", "patched numpy.polynomial",
                               "added numpy.helper", "patched numpy.linalg.norm", "tried to open /etc/passwd"}


LATE_PATCH = textwrap.dedent('''
    import numpy as np

    def relu(x):
        return np.maximum(x, 0)

    def lazy(x):
        np.testing                      # NumPy's own lazy load: silent, and the namespace changes
        return x

    def patch(x):
        np.linalg.norm = lambda *a, **k: 0.0
        return x

    def add(x):
        np.helper = len
        return x
''')


def test_integrity_notes_patches_made_after_clean_calls():
    """The after-call check skips numpy's namespaces when nothing in them changed since the
    last check (audit.Recorder._unchanged): a change after many clean calls, or after NumPy
    itself changed its namespace, is still noted, each exactly once."""
    with Worker([("cell 1", LATE_PATCH)]) as w:
        x = np.ones(3)
        for name in ("relu", "relu", "lazy", "relu"):
            assert w.call(name, (x,), timeout=30).status == "ok"
        assert w.integrity == set()
        assert w.call("patch", (x,), timeout=30).status == "ok"
        assert w.integrity == {"patched numpy.linalg.norm"}
        for name in ("relu", "add", "relu"):
            assert w.call(name, (x,), timeout=30).status == "ok"
        assert w.integrity == {"patched numpy.linalg.norm", "added numpy.helper"}


CLASS_SWAP = textwrap.dedent('''
    import types
    import numpy as np

    class Liar(types.ModuleType):
        def __getattribute__(self, name):
            if name == "array_equal":
                return lambda *a, **k: True
            return super().__getattribute__(name)

    def relu(x):
        return np.maximum(x, 0)

    def swap(x):
        np.__class__ = Liar      # every np.<name> now goes through Liar
        return x
''')


def test_integrity_notes_a_replaced_numpy_module_class():
    with Worker([("cell 1", CLASS_SWAP)]) as w:
        x = np.ones(3)
        assert w.call("relu", (x,), timeout=30).status == "ok"
        assert w.integrity == set()
        assert w.call("swap", (x,), timeout=30).status == "ok"
        assert w.integrity == {"replaced numpy's module class"}
