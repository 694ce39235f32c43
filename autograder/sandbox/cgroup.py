"""One cgroup per worker: memory of its whole process tree, number of tasks, CPU share and quota.

As contest judges do (isolate's cgroup mode, DOMjudge's runguard), every process
a submission starts lives in the worker's cgroup, so the limits hold for the tree,
not per process: RLIMIT_AS allows 3 GiB to each of 32 processes; the cgroup
allows 3 GiB to all of them together. Its CPU quota (one core by default) and
equal weight keep thirty busy children from starving the submissions graded
beside it (without a cgroup, each child that calls setsid gets a scheduler
autogroup, so one CPU share, of its own).

Both cgroup versions are supported, per controller:

- v2 (unified) where the grader's own cgroup offers ``memory``, ``pids`` and
  ``cpu`` and can hand them to children (the root cgroup, a VM; a systemd scope
  with Delegate=yes or a container holding only the grader). The kernel's "no
  internal process" rule (Documentation/admin-guide/cgroup-v2.rst) lets a
  non-root cgroup enable controllers in its ``cgroup.subtree_control`` only when
  it holds no process: a grader alone in its cgroup first moves itself into the
  leaf ``dlgrade-grader`` beside the worker cgroups; a grader sharing its cgroup
  with other processes moves nothing and is told why;
- v1 where each of those controllers has its own hierarchy (as on hosts in
  hybrid mode, such as this project's machines).

A v2 hierarchy without controllers (hybrid mode) is still used to track and kill
the tree (``cgroup.kill``), when the grader's v2 cgroup has that file (Linux >= 5.14;
never in the root cgroup, so not on this project's machines, where the grader sits
in the root of the controller-less hierarchy). Worker cgroups are made inside the grader's own
cgroup of each hierarchy (so the grader's own limits still cover them), named
``dlgrade-<uid>`` after the worker's leased uid; `remove` kills what is left and
removes them, and `sweep` removes those a killed grader left behind.
"""
import dataclasses
import errno
import os
import signal
import socket
import time

CONTROLLERS = ("memory", "pids", "cpu")
PREFIX = "dlgrade-"
GRADER_LEAF = "dlgrade-grader"   # v2: where a grader alone in its cgroup moves itself (not swept)
_CPU_PERIOD_US = 100_000


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where worker cgroups are made. ``parents``: controller -> folder (v1) or the v2 folder;
    ``v2``: the v2 folder when the controllers come from there; ``tracker``: a v2 folder
    without controllers, used for cgroup.kill."""
    parents: tuple   # ((controller, folder), ...)
    v2: str = None
    tracker: str = None

    def folders(self):
        return sorted({folder for _, folder in self.parents} | ({self.tracker} if self.tracker else set()))


def _mounts(proc="/proc/self"):
    """[(mount point, fstype, super options, root of the mount in its hierarchy)] from mountinfo."""
    out = []
    with open(os.path.join(proc, "mountinfo")) as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(fields) >= 5 and len(rest) >= 3:
                out.append((fields[4].replace("\\040", " "), rest[0], rest[2], fields[3].replace("\\040", " ")))
    return out


def _own(proc="/proc/self"):
    """{controller or "" (v2): path of this process's cgroup}."""
    own = {}
    with open(os.path.join(proc, "cgroup")) as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                own[name] = path
    return own


def _folder_of(point, root, path):
    """Folder of cgroup `path` under a mount of the hierarchy's `root` at `point`, or None
    if the cgroup is outside the mount (a container that sees only its own subtree)."""
    rel = os.path.relpath(path, root)
    return None if rel == ".." or rel.startswith("../") else os.path.normpath(os.path.join(point, rel))


def _read(path):
    with open(path) as f:
        return f.read()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _v2_parent(folder):
    """``(folder where worker cgroups get memory, pids and cpu, None)`` or ``(None, why)``.

    cgroup-v2.rst: a cgroup can enable (in its cgroup.subtree_control) only controllers its
    parent gave it (listed in its cgroup.controllers), and a non-root cgroup only while it
    holds no process ("no internal process constraint"; the write fails with EBUSY).
    """
    def path(name, at=folder):
        return os.path.join(at, name)
    try:
        offered = set(_read(path("cgroup.controllers")).split())
        missing = [c for c in CONTROLLERS if c not in offered]
        if missing:
            return None, (f"cgroup v2 {folder} is not given {', '.join(missing)} (its parent's "
                          "cgroup.subtree_control does not enable them: not delegated)")
        if not os.access(folder, os.W_OK):
            return None, f"cgroup v2 {folder} is not writable here (read-only mount?)"
        if os.path.basename(folder) == GRADER_LEAF:   # a grader (or its pool) already moved here
            parent = os.path.dirname(folder)
            if set(CONTROLLERS) <= set(_read(path("cgroup.subtree_control", parent)).split()):
                return parent, None
        enabled = set(_read(path("cgroup.subtree_control")).split())
        if set(CONTROLLERS) <= enabled:
            return folder, None
        enable = " ".join(f"+{c}" for c in CONTROLLERS if c not in enabled)
        try:
            _write(path("cgroup.subtree_control"), enable)
            return folder, None
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
        others = {int(p) for p in _read(path("cgroup.procs")).split()} - {os.getpid()}
        if others:
            return None, (f"cgroup v2 {folder} holds {len(others)} other process(es), and a cgroup that "
                          "holds processes cannot give controllers to children; run the grader in a "
                          "cgroup of its own (e.g. systemd-run --scope -p Delegate=yes dlgrade ...)")
        leaf = path(GRADER_LEAF)
        os.makedirs(leaf, exist_ok=True)
        _write(path("cgroup.procs", leaf), str(os.getpid()))   # moves all our threads
        _write(path("cgroup.subtree_control"), enable)
        return folder, None
    except OSError as exc:   # EACCES/EPERM: not delegated to us; EROFS: read-only mount
        where = exc.filename or folder
        return None, f"cgroup v2 {folder}: cannot use {where} ({exc.strerror or exc})"


def detect(proc="/proc/self"):
    """``(Layout, None)`` when worker cgroups can be made here, else ``(None, why)``.

    `proc`: where ``mountinfo`` and ``cgroup`` of this process are read (tests pass a
    simulated one; the mount points in it say where the hierarchies are).
    """
    if os.geteuid() != 0:
        return None, "cgroups need root"
    try:
        mounts, own = _mounts(proc), _own(proc)
    except OSError as exc:
        return None, f"cannot read {proc}/cgroup ({exc.strerror})"
    tracker, v2_why = None, None
    for point, fstype, _, root in mounts:
        if fstype == "cgroup2" and "" in own:
            folder = _folder_of(point, root, own[""])
            if folder is None or not os.path.isdir(folder):
                continue
            parent, why = _v2_parent(folder)
            if parent is not None:
                return Layout(tuple((c, parent) for c in CONTROLLERS), v2=parent), None
            v2_why = v2_why or why
            if os.access(folder, os.W_OK) and os.path.exists(os.path.join(folder, "cgroup.kill")):
                tracker = folder
    parents = {}
    for point, fstype, options, root in mounts:
        if fstype != "cgroup":
            continue
        for controller in CONTROLLERS:
            if controller in options.split(",") and controller in own and controller not in parents:
                folder = _folder_of(point, root, own[controller])
                if folder and os.path.isdir(folder) and os.access(folder, os.W_OK):
                    parents[controller] = folder
    missing = [c for c in CONTROLLERS if c not in parents]
    if missing:
        return None, (f"no writable cgroup controller {', '.join(missing)} (v1 or v2)"
                      + (f"; {v2_why}" if v2_why and len(missing) == len(CONTROLLERS) else ""))
    return Layout(tuple(sorted(parents.items())), tracker=tracker), None


class WorkerCgroup:
    """The cgroup(s) of one worker; made at once, removed by `remove`.

    Args:
        layout: `Layout` from `detect`.
        name: unique name (``dlgrade-<uid>``).
        memory_bytes: memory of the whole tree (no swap).
        tasks: processes + threads of the whole tree.
        cpus: CPU quota in cores (float), on top of an equal weight.
    Raises OSError if a folder or limit cannot be written (the level is then not had).
    """

    def __init__(self, layout, name, *, memory_bytes, tasks, cpus):
        self.layout = layout
        self.folders = []
        try:
            for parent in layout.folders():
                folder = os.path.join(parent, name)
                try:
                    os.mkdir(folder)
                except FileExistsError:   # left by a killed grader with a recycled uid
                    _empty(folder)
                self.folders.append(folder)
            self._limit(memory_bytes, tasks, cpus)
        except BaseException:
            self.remove()
            raise

    def _folder(self, controller):
        parent = dict(self.layout.parents)[controller]
        return next(f for f in self.folders if os.path.dirname(f) == parent)

    def _limit(self, memory_bytes, tasks, cpus):
        mem, pids, cpu = (self._folder(c) for c in CONTROLLERS)
        quota = max(int(cpus * _CPU_PERIOD_US), 1000)
        if self.layout.v2:
            _write(os.path.join(mem, "memory.max"), str(memory_bytes))
            if os.path.exists(os.path.join(mem, "memory.swap.max")):
                _write(os.path.join(mem, "memory.swap.max"), "0")
            _write(os.path.join(pids, "pids.max"), str(tasks))
            _write(os.path.join(cpu, "cpu.max"), f"{quota} {_CPU_PERIOD_US}")
        else:
            _write(os.path.join(mem, "memory.limit_in_bytes"), str(memory_bytes))
            if os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes")):
                try:
                    _write(os.path.join(mem, "memory.memsw.limit_in_bytes"), str(memory_bytes))
                except OSError:
                    pass   # swap accounting off: there is no swap to limit
            _write(os.path.join(pids, "pids.max"), str(tasks))
            _write(os.path.join(cpu, "cpu.cfs_period_us"), str(_CPU_PERIOD_US))
            _write(os.path.join(cpu, "cpu.cfs_quota_us"), str(quota))

    def procs_files(self):
        """The cgroup.procs files the worker writes "0" to, first thing (see jail.join_cgroups)."""
        return [os.path.join(f, "cgroup.procs") for f in self.folders]

    def pids(self):
        """Pids (as the grader sees them) of every process in the worker's cgroups."""
        found = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split())
            except OSError:
                pass
        return found

    def out_of_memory(self):
        """True if the kernel killed a process of the tree for exceeding the memory limit."""
        mem = self._folder("memory")
        try:
            if self.layout.v2:
                events = dict(line.split() for line in _read(os.path.join(mem, "memory.events")).splitlines())
                return int(events.get("oom_kill", 0)) > 0
            ctl = dict(line.split() for line in _read(os.path.join(mem, "memory.oom_control")).splitlines())
            return int(ctl.get("oom_kill", 0)) > 0 or int(_read(os.path.join(mem, "memory.failcnt"))) > 0
        except (OSError, ValueError, StopIteration):
            return False

    def peak_memory(self):
        """Most memory the tree has held at once, in bytes (None if the kernel does not say)."""
        mem = self._folder("memory")
        name = "memory.peak" if self.layout.v2 else "memory.max_usage_in_bytes"
        try:
            return int(_read(os.path.join(mem, name)))
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILL every process of the tree: cgroup.kill where there is one (v2, Linux >= 5.14),
        else until empty, the v2 cgroup frozen meanwhile (cgroup.freeze, Linux >= 5.2) so that
        no process forks between our reading cgroup.procs and its kill."""
        frozen = []
        for folder in self.folders:
            if os.path.exists(os.path.join(folder, "cgroup.kill")):
                try:
                    _write(os.path.join(folder, "cgroup.kill"), "1")
                except OSError:
                    pass
            elif os.path.exists(os.path.join(folder, "cgroup.freeze")):
                try:   # cgroup-v2.rst: processes in a frozen cgroup can be killed by a fatal signal
                    _write(os.path.join(folder, "cgroup.freeze"), "1")
                    frozen.append(folder)
                except OSError:
                    pass
        try:
            for _ in range(200):
                pids = self.pids()
                if not pids:
                    return True
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.005)
            return not self.pids()
        finally:
            for folder in frozen:
                try:
                    _write(os.path.join(folder, "cgroup.freeze"), "0")
                except OSError:
                    pass

    def remove(self):
        """Kill the tree and remove the folders (retrying while the last tasks exit)."""
        self.kill()
        for folder in reversed(self.folders):
            _rmdir(folder)
        self.folders = []


def _rmdir(folder):
    for _ in range(200):
        try:
            os.rmdir(folder)
            return True
        except FileNotFoundError:
            return True
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return False
            time.sleep(0.005)
    return False


def _empty(folder):
    try:
        pids = [int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split()]
    except OSError:
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _lease_free(uid):
    """True if no live grader holds the uid lease (see launch._UidLease)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.bind(f"\0dlgrade-uid-{uid}")
        return True
    except OSError:
        return False
    finally:
        probe.close()


def sweep(layout):
    """Kill and remove worker cgroups that no live grader owns (a killed grader's leftovers)."""
    removed = 0
    for parent in layout.folders():
        try:
            names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
        except OSError:
            continue
        for name in names:
            uid = name[len(PREFIX):]
            if uid.isdigit() and _lease_free(int(uid)):
                folder = os.path.join(parent, name)
                _empty(folder)
                removed += _rmdir(folder)
    return removed
