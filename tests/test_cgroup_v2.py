"""cgroup.py against simulated cgroup hierarchies (v2, v1, hybrid): the code paths the
project's own machines (hybrid: v1 controllers, a controller-less v2) never run.

`Kernel` lays a temporary folder out as cgroupfs mounts and plays the kernel's part for
the calls cgroup.py makes (its `_read`/`_write`, and os.mkdir/os.rmdir under the fake
mounts): a new folder gets the interface files its parent's controllers give it, writes
are checked as the kernel checks them, and the rules cgroup.py relies on are enforced.
Its rules and file formats are those of the kernel's documentation:

- Documentation/admin-guide/cgroup-v2.rst: cgroup.controllers / cgroup.subtree_control
  ("+cpu +memory", only controllers listed in cgroup.controllers: else ENOENT); the "no
  internal process constraint" (a non-root cgroup with processes cannot enable
  controllers, EBUSY; nor can a process join a non-root cgroup that enabled some: "the
  cgroup must create children and transfer all its processes to the children before
  enabling controllers"); the root cgroup is exempt; cgroup.procs lists live processes
  (zombies not), writing a PID moves that process; cgroup.kill ("The only allowed value is
  "1"", kills the cgroup and its descendants with SIGKILL, exists in non-root cgroups,
  Linux >= 5.14); cgroup.freeze (Linux >= 5.2: "Processes in the frozen cgroup can be
  killed by a fatal signal"); memory.max / memory.swap.max ("max" or bytes, the latter
  only with swap accounting); memory.events (flat keys low/high/max/oom/oom_kill,
  hierarchical); memory.peak (Linux >= 5.19); pids.max ("max" or a number); cpu.max
  ("$MAX $PERIOD", default "max 100000", microseconds; one number updates $MAX only);
  cpu.weight [1, 10000], default 100; rmdir of a cgroup with live processes or children
  fails (EBUSY).
- Documentation/admin-guide/cgroup-v1/memory.rst and pids.rst, scheduler/sched-bwc.rst:
  memory.limit_in_bytes, memory.memsw.limit_in_bytes (>= the former), memory.oom_control
  (oom_kill line), memory.failcnt, memory.max_usage_in_bytes, pids.max,
  cpu.cfs_period_us (1 ms .. 1 s), cpu.cfs_quota_us (-1 or >= 1 ms).
- proc(5): /proc/self/mountinfo field 4 is the root of the mount within its hierarchy.

A simulation is not a kernel: it says nothing about real accounting, real OOM kills or
timing; it checks that cgroup.py writes what the documentation asks and reads what it
says, and that it places processes where the kernel allows them. Processes in it are real
(`sleep`), so kills are real. About 1 s.
"""
import errno
import os
import signal
import socket
import subprocess
import time

import pytest

from autograder.sandbox import cgroup

ORDER = ("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc")   # the kernel's print order
GiB = 1 << 30


def _err(code, path):
    return OSError(code, os.strerror(code), path)


def _number(low=0, high=1 << 63, special=("max",)):
    """A write handler for a single-value file: `special` words or an integer in [low, high]."""
    def check(kernel, folder, path, text):
        if text not in special and not (text.lstrip("-").isdigit() and low <= int(text) <= high):
            raise _err(errno.EINVAL, path)
        kernel._put(path, text + "\n")
    return check


class Kernel:
    """cgroupfs mounts under `tmp`/sys/fs/cgroup and this process's /proc/self (mountinfo, cgroup).

    release: (major, minor) of the simulated kernel (cgroup.kill from 5.14, memory.peak from
    5.19, cgroup.freeze from 5.2); swap: swap accounting on (memory.swap.max,
    memory.memsw.limit_in_bytes exist); read_only: the mounts are read-only (a container's).
    """

    def __init__(self, tmp, release=(6, 8), swap=True, read_only=False):
        self.base = os.path.join(tmp, "sys", "fs", "cgroup")
        self.proc = os.path.join(tmp, "proc")
        os.makedirs(self.base)
        os.makedirs(self.proc)
        self.release, self.swap, self.read_only = release, swap, read_only
        self.mounts = []          # (point, "cgroup2" | "cgroup", options, root in hierarchy)
        self.members = {}         # cgroup folder -> set of pids
        self.children = {}        # pid -> Popen (processes this test started)
        self.log = []             # (path, text) of every accepted write
        self.own = {}             # hierarchy point -> folder of this process's cgroup
        self.namespaced = set()   # v2 mount points that are a cgroup namespace's root
        self._real_mkdir, self._real_rmdir, self._os_kill = os.mkdir, os.rmdir, os.kill

    # ---------------------------------------------------------------- set-up
    def mount_v2(self, point="", controllers=("cpu", "io", "memory", "pids"), root="/", namespace=False):
        """`namespace`: mounted in a container's own cgroup namespace: its root is the
        container's cgroup, a non-root cgroup for the kernel's rules, though it reads as "/"."""
        point = os.path.join(self.base, point) if point else self.base
        os.makedirs(point, exist_ok=True)
        self.mounts.append((point, "cgroup2", "rw", root))
        if namespace:
            self.namespaced.add(point)
        self._files(point, {"cgroup.controllers": " ".join(c for c in ORDER if c in controllers),
                            "cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.type": "domain"})
        self.members[point] = set()
        return point

    def mount_v1(self, controller, root="/"):
        point = os.path.join(self.base, controller)
        os.makedirs(point)
        self.mounts.append((point, "cgroup", f"rw,{controller}", root))
        self._files(point, {"cgroup.procs": "", "tasks": ""})
        self.members[point] = set()
        return point

    def make(self, point, rel):
        """mkdir -p of cgroup `rel` (like "a/b") in the hierarchy at `point`, through the kernel."""
        folder = point
        for part in rel.split("/"):
            folder = os.path.join(folder, part)
            if not os.path.isdir(folder):
                self.mkdir(folder)
        return folder

    def place(self, pid, folder):
        """Put a process in a cgroup as the system did before the grader started (no checks)."""
        point = self._point(folder)
        for f in self.members:
            if self._point(f) == point:
                self.members[f].discard(pid)
        self.members[folder].add(pid)
        if pid == os.getpid():
            self.own[point] = folder
            self._proc_files()

    def spawn(self, folder):
        """A real process (sleep) placed in `folder`."""
        p = subprocess.Popen(["sleep", "60"])
        self.children[p.pid] = p
        self.place(p.pid, folder)
        return p

    def enable(self, folder, *controllers):
        """What the system (systemd, the parent) enabled before the grader started."""
        self.write(os.path.join(folder, "cgroup.subtree_control"), " ".join(f"+{c}" for c in controllers))
        self.log.clear()

    def oom(self, folder, killed=True):
        """The kernel met the memory limit of `folder` (and OOM-killed a process if `killed`)."""
        v2 = self._v2(folder)
        f = folder
        while True:
            if v2:   # memory.events is hierarchical: ancestors count it too
                path = os.path.join(f, "memory.events")
                if os.path.exists(path):
                    ev = dict(line.split() for line in self._real_read(path).splitlines())
                    ev["max"] = str(int(ev["max"]) + 1)
                    ev["oom"] = str(int(ev["oom"]) + 1)
                    ev["oom_kill"] = str(int(ev["oom_kill"]) + killed)
                    self._put(path, "".join(f"{k} {v}\n" for k, v in ev.items()))
            else:
                ctl = dict(line.split() for line in self._real_read(os.path.join(f, "memory.oom_control")).splitlines())
                ctl["oom_kill"] = str(int(ctl["oom_kill"]) + killed)
                self._put(os.path.join(f, "memory.oom_control"), "".join(f"{k} {v}\n" for k, v in ctl.items()))
                fail = os.path.join(f, "memory.failcnt")
                self._put(fail, f"{int(self._real_read(fail)) + 1}\n")
                return
            if f == self._point(f):
                return
            f = os.path.dirname(f)

    def install(self, monkeypatch):
        real_mkdir, real_rmdir = os.mkdir, os.rmdir
        monkeypatch.setattr(cgroup, "_read", self.read)
        monkeypatch.setattr(cgroup, "_write", self.write)
        monkeypatch.setattr(os, "mkdir", lambda p, mode=0o777, **kw: self.mkdir(p) if self._point(p) else real_mkdir(p, mode, **kw))
        monkeypatch.setattr(os, "rmdir", lambda p, **kw: self.rmdir(p) if self._point(p) else real_rmdir(p, **kw))
        self._proc_files()

    def stop(self):
        for p in self.children.values():
            if p.poll() is None:
                p.kill()
            p.wait()

    # ---------------------------------------------------------------- the kernel's part
    def read(self, path):
        if not self._point(path):
            return self._real_read(path)
        name = os.path.basename(path)
        if name in ("cgroup.procs", "tasks"):
            if not os.path.exists(path):
                raise _err(errno.ENOENT, path)
            return "".join(f"{pid}\n" for pid in sorted(self._live(os.path.dirname(path))))
        if name == "cgroup.kill":
            raise _err(errno.EACCES, path)   # write-only
        return self._real_read(path)

    def write(self, path, text):
        if not self._point(path):
            with open(path, "w") as f:
                f.write(text)
            return
        if not os.path.exists(path):   # cgroupfs cannot create files
            raise _err(errno.EACCES, path)
        if self.read_only:
            raise _err(errno.EROFS, path)
        folder, name = os.path.split(path)
        handler = (self._write_v2 if self._v2(folder) else self._write_v1).get(name)
        if handler is None:
            raise _err(errno.EACCES, path)   # a read-only file
        handler(self, folder, path, text.strip())
        self.log.append((path, text))

    def mkdir(self, path):
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            raise _err(errno.ENOENT, path)
        if os.path.exists(path):
            raise _err(errno.EEXIST, path)
        if self.read_only:
            raise _err(errno.EROFS, path)
        self._real_mkdir(path)
        self.members[path] = set()
        if self._v2(path):
            files = {"cgroup.controllers": self._real_read(os.path.join(parent, "cgroup.subtree_control")).strip(),
                     "cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.type": "domain",
                     "cgroup.events": "populated 0\nfrozen 0"}
            if self.release >= (5, 2):
                files["cgroup.freeze"] = "0"
            if self.release >= (5, 14):
                files["cgroup.kill"] = ""
            self._files(path, files)
            self._controller_files(path)
        else:
            c = self._controller_v1(path)
            files = {"cgroup.procs": "", "tasks": "", "notify_on_release": "0"}
            if c == "memory":
                files.update({"memory.limit_in_bytes": "9223372036854771712", "memory.usage_in_bytes": "0",
                              "memory.max_usage_in_bytes": "0", "memory.failcnt": "0",
                              "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0"})
                if self.swap:
                    files["memory.memsw.limit_in_bytes"] = "9223372036854771712"
            elif c == "pids":
                files.update({"pids.max": "max", "pids.current": "0"})
            elif c == "cpu":
                files.update({"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.shares": "1024"})
            self._files(path, files)

    def rmdir(self, path):
        if not os.path.isdir(path):
            raise _err(errno.ENOENT, path)
        if any(os.path.isdir(os.path.join(path, n)) for n in os.listdir(path)) or self._live(path):
            raise _err(errno.EBUSY, path)
        for name in os.listdir(path):   # the interface files go with the cgroup
            os.unlink(os.path.join(path, name))
        self._real_rmdir(path)
        del self.members[path]

    # v2 interface files
    def _subtree_control(self, folder, path, text):
        offered = self._real_read(os.path.join(folder, "cgroup.controllers")).split()
        now = set(self._real_read(path).split())
        want = set(now)
        for token in text.split():
            if token[:1] not in "+-" or token[1:] not in offered:
                raise _err(errno.ENOENT if token[:1] in "+-" else errno.EINVAL, path)
            (want.add if token[0] == "+" else want.discard)(token[1:])
        if want - now and not self._root(folder) and self._live(folder):
            raise _err(errno.EBUSY, path)   # no internal process constraint (root exempt)
        for child in self._subfolders(folder):
            if now - want & set(self._real_read(os.path.join(child, "cgroup.subtree_control")).split()):
                raise _err(errno.EBUSY, path)   # a child still uses a controller being disabled
        self._put(path, " ".join(c for c in ORDER if c in want) + "\n")
        for child in self._subfolders(folder):   # enabling creates the files in the children
            self._put(os.path.join(child, "cgroup.controllers"), " ".join(c for c in ORDER if c in want) + "\n")
            self._controller_files(child)

    def _procs(self, folder, path, text):
        pid = int(text) or os.getpid()   # "0": the writing process
        if not self._alive(pid):
            raise _err(errno.ESRCH, path)
        if self._v2(folder) and not self._root(folder) and \
                self._real_read(os.path.join(folder, "cgroup.subtree_control")).split():
            raise _err(errno.EBUSY, path)   # no internal process constraint
        self.place(pid, folder)

    def _kill(self, folder, path, text):
        if text != "1":
            raise _err(errno.EINVAL, path)
        for f in [folder] + self._descendants(folder):
            for pid in self._live(f):
                self._os_kill(pid, signal.SIGKILL)

    def _freeze(self, folder, path, text):
        if text not in ("0", "1"):
            raise _err(errno.EINVAL, path)
        self._put(path, text + "\n")

    def _cpu_max(self, folder, path, text):
        old_max, old_period = self._real_read(path).split()
        parts = text.split()
        if not 1 <= len(parts) <= 2:
            raise _err(errno.EINVAL, path)
        new_max, period = parts[0], (parts[1] if len(parts) == 2 else old_period)
        if not period.isdigit() or not 1000 <= int(period) <= 1_000_000:
            raise _err(errno.EINVAL, path)   # period 1 ms .. 1 s
        if new_max != "max" and not (new_max.isdigit() and int(new_max) >= 1000):
            raise _err(errno.EINVAL, path)   # quota at least 1 ms
        self._put(path, f"{new_max} {period}\n")

    # v1 interface files
    def _memory_limit(self, folder, path, text):
        value = self._bytes(path, text)
        memsw = os.path.join(folder, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw) and value > int(self._real_read(memsw)):
            raise _err(errno.EINVAL, path)   # memory limit above memory+swap limit
        self._put(path, f"{value}\n")

    def _memsw_limit(self, folder, path, text):
        value = self._bytes(path, text)
        if value < int(self._real_read(os.path.join(folder, "memory.limit_in_bytes"))):
            raise _err(errno.EINVAL, path)
        self._put(path, f"{value}\n")

    def _bytes(self, path, text):
        if text == "-1":
            return 9223372036854771712
        if not text.isdigit():
            raise _err(errno.EINVAL, path)
        return int(text)

    _write_v2 = {"cgroup.subtree_control": _subtree_control, "cgroup.procs": _procs, "cgroup.kill": _kill,
                 "cgroup.freeze": _freeze, "memory.max": _number(), "memory.swap.max": _number(),
                 "memory.high": _number(), "pids.max": _number(), "cpu.max": _cpu_max,
                 "cpu.weight": _number(1, 10000, special=())}
    _write_v1 = {"cgroup.procs": _procs, "tasks": _procs, "memory.limit_in_bytes": _memory_limit,
                 "memory.memsw.limit_in_bytes": _memsw_limit, "pids.max": _number(),
                 "cpu.cfs_period_us": _number(1000, 1_000_000, special=()),
                 "cpu.cfs_quota_us": _number(1000, special=("-1",)), "cpu.shares": _number(2, special=())}

    # ---------------------------------------------------------------- helpers
    def _controller_files(self, folder):
        have = self._real_read(os.path.join(folder, "cgroup.controllers")).split()
        files = {}
        if "memory" in have:
            files.update({"memory.current": "0", "memory.max": "max", "memory.high": "max",
                          "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0"})
            if self.swap:
                files["memory.swap.max"] = "max"
            if self.release >= (5, 19):
                files["memory.peak"] = "0"
        if "pids" in have:
            files.update({"pids.max": "max", "pids.current": "0"})
        if "cpu" in have:
            files.update({"cpu.max": "max 100000", "cpu.weight": "100", "cpu.stat": "usage_usec 0"})
        self._files(folder, {k: v for k, v in files.items() if not os.path.exists(os.path.join(folder, k))})

    def _proc_files(self):
        lines, cg = [], []
        for i, (point, fstype, options, root) in enumerate(self.mounts):
            lines.append(f"{40 + i} 31 0:{40 + i} {root} {point} rw,relatime - {fstype} {fstype} {options}\n")
            own = self.own.get(point, point)
            rel = os.path.relpath(own, point)
            path = os.path.normpath(os.path.join(root, rel)) if rel != "." else root
            if fstype == "cgroup2":
                cg.append(f"0::{path}\n")
            else:
                cg.append(f"{len(self.mounts) - i}:{options.split(',')[-1]}:{path}\n")
        with open(os.path.join(self.proc, "mountinfo"), "w") as f:
            f.writelines(lines)
        with open(os.path.join(self.proc, "cgroup"), "w") as f:
            f.writelines(reversed(cg))

    def _point(self, path):
        path = os.path.normpath(path)
        return next((p for p, *_ in self.mounts if path == p or path.startswith(p + "/")), None)

    def _root(self, folder):
        """The hierarchy's real root cgroup (exempt from the no internal process constraint)."""
        return folder == self._point(folder) and folder not in self.namespaced

    def _v2(self, path):
        point = self._point(path)
        return any(p == point and t == "cgroup2" for p, t, *_ in self.mounts)

    def _controller_v1(self, path):
        point = self._point(path)
        return next(o.split(",")[-1] for p, t, o, _ in self.mounts if p == point)

    def _subfolders(self, folder):
        return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if os.path.isdir(os.path.join(folder, n))]

    def _descendants(self, folder):
        out = []
        for child in self._subfolders(folder):
            out += [child] + self._descendants(child)
        return out

    def _alive(self, pid):
        if pid in self.children:
            return self.children[pid].poll() is None
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def _live(self, folder):
        return {pid for pid in self.members.get(folder, ()) if self._alive(pid)}

    def _files(self, folder, files):
        for name, text in files.items():
            self._put(os.path.join(folder, name), text + "\n" if text else "")

    @staticmethod
    def _put(path, text):
        with open(path, "w") as f:
            f.write(text)

    @staticmethod
    def _real_read(path):
        with open(path) as f:
            return f.read()


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    made = []

    def make(**kw):
        k = Kernel(str(tmp_path / f"k{len(made)}"), **kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.stop()


def _start(k, monkeypatch):
    k.install(monkeypatch)
    return cgroup.detect(k.proc)


def _text(path):
    with open(path) as f:
        return f.read().strip()


def _delegated_scope(k, point, *extra_procs):
    """/system.slice/grade.scope, given memory, pids and cpu by its parents (as systemd does
    for Delegate=yes), holding this process (and `extra_procs`)."""
    k.enable(point, "cpu", "memory", "pids")
    k.enable(k.make(point, "system.slice"), "cpu", "memory", "pids")
    scope = k.make(point, "system.slice/grade.scope")
    k.place(os.getpid(), scope)
    return scope


def _worker(layout, uid=1999999990, **kw):
    limits = dict(memory_bytes=3 * GiB, tasks=32, cpus=1.0)
    limits.update(kw)
    return cgroup.WorkerCgroup(layout, f"{cgroup.PREFIX}{uid}", **limits)


def _dead(p, timeout=2.0):
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return p.returncode == -signal.SIGKILL


# ==================================================================== v2: detection

def test_v2_root_cgroup_is_used_directly(kernel, monkeypatch):
    """The root cgroup is exempt from the no-internal-process rule: the grader stays put."""
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    k.spawn(point)   # the rest of the system lives there too
    layout, why = _start(k, monkeypatch)
    assert why is None and layout.v2 == point and layout.tracker is None
    assert dict(layout.parents) == {"memory": point, "pids": point, "cpu": point}
    assert _text(os.path.join(point, "cgroup.subtree_control")) == "cpu memory pids"
    assert not os.path.exists(os.path.join(point, cgroup.GRADER_LEAF))
    assert os.getpid() in k._live(point)


def test_v2_grader_alone_in_a_delegated_cgroup_moves_into_a_leaf(kernel, monkeypatch):
    """systemd-run --scope -p Delegate=yes / a container holding only the grader: the cgroup
    may give controllers to children only once the grader left it, for a leaf of its own."""
    k = kernel()
    scope = _delegated_scope(k, k.mount_v2())
    layout, why = _start(k, monkeypatch)
    assert why is None and layout.v2 == scope and layout.folders() == [scope]
    leaf = os.path.join(scope, cgroup.GRADER_LEAF)
    assert k._live(leaf) == {os.getpid()} and not k._live(scope)
    assert _text(os.path.join(scope, "cgroup.subtree_control")) == "cpu memory pids"
    assert _text(os.path.join(k.proc, "cgroup")) == "0::/system.slice/grade.scope/dlgrade-grader"
    # A pool process (or a second call) now starts from the leaf: same layout, nothing moved.
    k.log.clear()
    assert cgroup.detect(k.proc) == (layout, None) and k.log == []
    # And a worker cgroup beside the leaf takes its limits and its process.
    w = _worker(layout)
    folder = os.path.join(scope, "dlgrade-1999999990")
    assert w.folders == [folder] and _text(os.path.join(folder, "pids.max")) == "32"
    p = k.spawn(leaf)   # started by the grader, it joins its cgroup first thing
    k.write(w.procs_files()[0], str(p.pid))
    assert w.pids() == {p.pid}
    w.remove()
    assert _dead(p) and not os.path.exists(folder)


def test_v2_grader_sharing_its_cgroup_moves_nothing_and_says_why(kernel, monkeypatch):
    """A login shell's session scope: other processes are not the grader's to move."""
    k = kernel()
    point = k.mount_v2()
    scope = _delegated_scope(k, point)
    k.spawn(scope)
    layout, why = _start(k, monkeypatch)
    assert layout is None
    assert "holds 1 other process" in why and "cgroup of its own" in why and scope in why, why
    assert k._live(scope) >= {os.getpid()}
    assert not os.path.exists(os.path.join(scope, cgroup.GRADER_LEAF))
    assert _text(os.path.join(scope, "cgroup.subtree_control")) == ""


def test_v2_controllers_not_delegated(kernel, monkeypatch):
    """The parent gives memory and pids but not cpu: no v2, and the reason names cpu."""
    k = kernel()
    point = k.mount_v2()
    k.enable(point, "cpu", "memory", "pids")
    k.enable(k.make(point, "user.slice"), "memory", "pids")
    scope = k.make(point, "user.slice/session-3.scope")
    k.place(os.getpid(), scope)
    layout, why = _start(k, monkeypatch)
    assert layout is None and "not given cpu" in why and "not delegated" in why, why
    assert k.log == [] and not os.path.exists(os.path.join(scope, cgroup.GRADER_LEAF))


@pytest.mark.parametrize("alone", [True, False])
def test_v2_container_with_its_own_cgroup_namespace(kernel, monkeypatch, alone):
    """docker run --cgroupns=private (the default on v2 hosts), cgroup2 mounted rw: the
    container's cgroup reads as "0::/" but is no root cgroup; the grader as the container's
    only process moves into a leaf, beside an init/shell it moves nothing."""
    k = kernel()
    point = k.mount_v2(namespace=True)
    k.place(os.getpid(), point)
    if not alone:
        k.spawn(point)
    assert _text(os.path.join(k.proc, "cgroup")) == "0::/"
    layout, why = _start(k, monkeypatch)
    leaf = os.path.join(point, cgroup.GRADER_LEAF)
    if alone:
        assert why is None and layout.v2 == point and k._live(leaf) == {os.getpid()}
        assert _text(os.path.join(point, "cgroup.subtree_control")) == "cpu memory pids"
    else:
        assert layout is None and "holds 1 other process" in why, why
        assert not os.path.exists(leaf) and os.getpid() in k._live(point)


def test_v2_read_only_mount(kernel, monkeypatch):
    """Docker's default cgroup2 mount is read-only: no v2, the reason says so."""
    k = kernel(read_only=True)
    point = k.mount_v2()
    k.place(os.getpid(), point)
    layout, why = _start(k, monkeypatch)
    assert layout is None and "Read-only file system" in why, why


# ==================================================================== v2: limits and files

@pytest.mark.parametrize("cpus, cpu_max", [(1.0, "100000 100000"), (0.5, "50000 100000"), (2, "200000 100000")])
def test_v2_limits(kernel, monkeypatch, cpus, cpu_max):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    layout, _ = _start(k, monkeypatch)
    w = _worker(layout, memory_bytes=3 * GiB, tasks=32, cpus=cpus)
    (folder,) = w.folders
    assert folder == os.path.join(point, "dlgrade-1999999990")
    assert _text(os.path.join(folder, "memory.max")) == str(3 * 1024 ** 3)
    assert _text(os.path.join(folder, "memory.swap.max")) == "0"
    assert _text(os.path.join(folder, "pids.max")) == "32"
    assert _text(os.path.join(folder, "cpu.max")) == cpu_max   # "$MAX $PERIOD" in microseconds
    assert _text(os.path.join(folder, "cpu.weight")) == "100"   # equal weight: the default
    w.remove()
    assert not os.path.exists(folder)


def test_v2_without_swap_accounting(kernel, monkeypatch):
    k = kernel(swap=False)
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    assert not os.path.exists(os.path.join(w.folders[0], "memory.swap.max"))
    assert _text(os.path.join(w.folders[0], "memory.max")) == str(3 * GiB)
    w.remove()


def test_v2_worker_joins_a_leaf(kernel, monkeypatch):
    """The worker writes "0" to its cgroup.procs (jail.join_cgroups): its cgroup enables no
    controller, so the kernel lets it in; the parent, which does, would refuse (EBUSY)."""
    k = kernel()
    scope = _delegated_scope(k, k.mount_v2())
    w = _worker(_start(k, monkeypatch)[0])
    assert w.procs_files() == [os.path.join(scope, "dlgrade-1999999990", "cgroup.procs")]
    assert _text(os.path.join(w.folders[0], "cgroup.subtree_control")) == ""
    p = k.spawn(os.path.join(scope, cgroup.GRADER_LEAF))
    with pytest.raises(OSError) as exc:   # the sim enforces the rule the code must respect
        k.write(os.path.join(scope, "cgroup.procs"), str(p.pid))
    assert exc.value.errno == errno.EBUSY
    k.write(w.procs_files()[0], str(p.pid))
    assert w.pids() == {p.pid}
    w.remove()
    assert _dead(p)


def test_v2_out_of_memory_reads_oom_kill(kernel, monkeypatch):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    assert w.out_of_memory() is False
    k.oom(w.folders[0], killed=False)   # the limit was hit (max, oom) but nothing was killed
    assert w.out_of_memory() is False
    k.oom(w.folders[0], killed=True)
    assert w.out_of_memory() is True
    w.remove()


def test_v2_peak_memory(kernel, monkeypatch):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    Kernel._put(os.path.join(w.folders[0], "memory.peak"), "536870912\n")
    assert w.peak_memory() == 512 << 20
    w.remove()
    old = kernel(release=(5, 15))   # memory.peak came with 5.19
    point = old.mount_v2("old")
    old.place(os.getpid(), point)
    old.install(monkeypatch)
    w = _worker(cgroup.detect(old.proc)[0])
    assert w.peak_memory() is None
    w.remove()


# ==================================================================== v2: kill, remove, sweep

def test_v2_kill_writes_cgroup_kill(kernel, monkeypatch):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    procs = [k.spawn(w.folders[0]) for _ in range(3)]
    assert w.kill() is True
    assert all(_dead(p) for p in procs)
    assert (os.path.join(w.folders[0], "cgroup.kill"), "1") in k.log


def test_v2_kill_without_cgroup_kill(kernel, monkeypatch):
    """Linux 5.2-5.13: no cgroup.kill; the tree is frozen, killed one by one, thawed."""
    k = kernel(release=(5, 10))
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    folder = w.folders[0]
    assert not os.path.exists(os.path.join(folder, "cgroup.kill"))
    procs = [k.spawn(folder) for _ in range(3)]
    assert w.kill() is True
    assert all(_dead(p) for p in procs)
    freezes = [t for path, t in k.log if path == os.path.join(folder, "cgroup.freeze")]
    assert freezes == ["1", "0"]
    w.remove()
    assert not os.path.exists(folder)


def test_v2_remove_kills_then_removes(kernel, monkeypatch):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    w = _worker(_start(k, monkeypatch)[0])
    folder = w.folders[0]
    p = k.spawn(folder)
    w.remove()
    assert _dead(p) and not os.path.exists(folder) and w.folders == []


def test_v2_stale_folder_of_a_recycled_uid_is_emptied_and_reused(kernel, monkeypatch):
    k = kernel()
    point = k.mount_v2()
    k.place(os.getpid(), point)
    layout, _ = _start(k, monkeypatch)
    stale = k.make(point, "dlgrade-1999999990")
    p = k.spawn(stale)
    w = _worker(layout)
    assert w.folders == [stale] and _dead(p)
    assert _text(os.path.join(stale, "pids.max")) == "32"
    w.remove()


def test_v2_sweep_removes_only_dead_graders_worker_cgroups(kernel, monkeypatch):
    k = kernel()
    scope = _delegated_scope(k, k.mount_v2())
    layout, _ = _start(k, monkeypatch)
    stale = k.make(scope, "dlgrade-1999999991")
    p = k.spawn(stale)
    live = k.make(scope, "dlgrade-1999999992")
    other = k.make(scope, "someone-else")
    lease = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lease.bind("\0dlgrade-uid-1999999992")   # a live grader holds this worker's uid
    try:
        assert cgroup.sweep(layout) == 1
    finally:
        lease.close()
    assert _dead(p) and not os.path.exists(stale)
    assert os.path.isdir(live) and os.path.isdir(other)
    assert os.path.isdir(os.path.join(scope, cgroup.GRADER_LEAF))   # the grader's own leaf stays


# ==================================================================== v1 and hybrid, the same way

def _v1(k, own="/"):
    points = {c: k.mount_v1(c) for c in ("cpu", "memory", "pids")}
    for c, point in points.items():
        k.place(os.getpid(), k.make(point, own.strip("/")) if own != "/" else point)
    return points


def test_v1_detect_and_limits(kernel, monkeypatch):
    k = kernel()
    points = _v1(k, own="/grader")
    layout, why = _start(k, monkeypatch)
    assert why is None and layout.v2 is None and layout.tracker is None
    assert dict(layout.parents) == {c: os.path.join(p, "grader") for c, p in points.items()}
    w = _worker(layout, memory_bytes=2 * GiB, tasks=16, cpus=1.5)
    mem, pids, cpu = (os.path.join(points[c], "grader", "dlgrade-1999999990") for c in ("memory", "pids", "cpu"))
    assert sorted(w.folders) == sorted([mem, pids, cpu])
    assert _text(os.path.join(mem, "memory.limit_in_bytes")) == str(2 * GiB)
    assert _text(os.path.join(mem, "memory.memsw.limit_in_bytes")) == str(2 * GiB)   # no swap
    assert _text(os.path.join(pids, "pids.max")) == "16"
    assert _text(os.path.join(cpu, "cpu.cfs_period_us")) == "100000"
    assert _text(os.path.join(cpu, "cpu.cfs_quota_us")) == "150000"
    assert len(w.procs_files()) == 3
    w.remove()
    assert not any(os.path.exists(f) for f in (mem, pids, cpu))


def test_v1_oom_peak_kill_sweep(kernel, monkeypatch):
    k = kernel(swap=False)
    points = _v1(k)
    layout, _ = _start(k, monkeypatch)
    w = _worker(layout)
    mem = os.path.join(points["memory"], "dlgrade-1999999990")
    assert not os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes"))
    assert w.out_of_memory() is False
    k.oom(mem)
    assert w.out_of_memory() is True
    Kernel._put(os.path.join(mem, "memory.max_usage_in_bytes"), "12345678\n")
    assert w.peak_memory() == 12345678
    procs = [k.spawn(f) for f in w.folders for _ in range(2)]
    assert w.kill() is True and all(_dead(p) for p in procs)
    w.remove()
    stale = [k.make(p, "dlgrade-1999999993") for p in points.values()]
    p = k.spawn(stale[0])
    assert cgroup.sweep(layout) == 3 and _dead(p) and not any(os.path.exists(s) for s in stale)


def test_hybrid_grader_in_v2_root_has_no_tracker(kernel, monkeypatch):
    """This project's machines: v1 controllers, a controller-less v2 at .../unified, the
    grader in its root, which has no cgroup.kill ("exists in non-root cgroups"): no tracker."""
    k = kernel()
    _v1(k)
    unified = k.mount_v2("unified", controllers=())
    k.place(os.getpid(), unified)
    layout, why = _start(k, monkeypatch)
    assert why is None and layout.v2 is None and layout.tracker is None
    assert len(_worker(layout).folders) == 3


def test_hybrid_uses_v1_controllers_and_v2_cgroup_kill(kernel, monkeypatch):
    """A hybrid systemd host: the grader in a non-root, controller-less v2 cgroup."""
    k = kernel()
    _v1(k)
    unified = k.mount_v2("unified", controllers=())
    own = k.make(unified, "user.slice/session-2.scope")
    k.place(os.getpid(), own)
    k.spawn(own)   # its login shell
    layout, why = _start(k, monkeypatch)
    assert why is None and layout.v2 is None and layout.tracker == own
    w = _worker(layout)
    tracker = os.path.join(own, "dlgrade-1999999990")
    assert tracker in w.folders and len(w.folders) == 4
    p = k.spawn(tracker)
    assert w.kill() is True and _dead(p)
    assert (os.path.join(tracker, "cgroup.kill"), "1") in k.log
    w.remove()
    assert not os.path.exists(tracker)


def test_v1_mount_of_a_subtree(kernel, monkeypatch):
    """A container without its own cgroup namespace: /proc/self/cgroup says /docker/abc and
    the hierarchy mounted at /sys/fs/cgroup/X is that very cgroup (mountinfo field 4)."""
    k = kernel()
    points = {c: k.mount_v1(c, root="/docker/abc") for c in ("cpu", "memory", "pids")}
    for p in points.values():
        k.place(os.getpid(), p)
    layout, why = _start(k, monkeypatch)
    assert why is None and dict(layout.parents) == points
    assert "/docker/abc" in _text(os.path.join(k.proc, "cgroup"))


def test_no_hierarchy_at_all(kernel, monkeypatch):
    k = kernel()
    layout, why = _start(k, monkeypatch)
    assert layout is None and why == "no writable cgroup controller memory, pids, cpu (v1 or v2)"
