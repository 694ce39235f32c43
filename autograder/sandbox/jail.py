"""Inside the worker, before any student code: join its cgroups, enter its root, drop privileges.

Runs in the worker process (standard library only, no NumPy yet), as root.

Namespace levels: in fresh mount/PID/network namespaces created by `unshare`,
the new root is an empty tmpfs holding only
read-only binds of what the interpreter needs (/usr, the Python prefix, the
dynamic loader cache), NumPy at ``/.dlgrade/numpy``, a few device nodes, a fresh
/proc and a small private /tmp. Everything else (the kit, the judge, the
results, other students' submissions, /root, /home, /work) is simply absent.

``uid`` levels (no namespaces): `enter_chroot` chroots into a copy of the same
few things that the judge made once per batch (`pyroot.py`), so nothing of the
grader's (its command line in /proc, its inputs, its results, /tmp, /dev/shm) is
in sight there either.

Every level then drops to a uid/gid of the worker's own with no_new_privs, and
`install_seccomp` loads the system-call filter built by `seccomp.py`.
"""

import ctypes
import os

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
ST_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC,
            1024: 1024, 2048: 2048, 4096: 1 << 21}  # noatime, nodiratime, relatime
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203,
                  "s390x": 217, "i686": 217, "i386": 217, "armv7l": 218}

NUMPY_HOME = "/.dlgrade"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _bind_ro(src, target):
    """Read-only, nosuid bind of `src` at `target`, keeping the source's locked flags."""
    _mount(src, target, None, MS_BIND | MS_REC)
    locked = 0
    for st, ms in ST_FLAGS.items():
        if os.statvfs(src).f_flag & st:
            locked |= ms
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked)


def _place(root, path, is_dir=True):
    inside = root + path
    if is_dir:
        os.makedirs(inside, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(inside), exist_ok=True)
        open(inside, "a").close()
    return inside


def build_root(cfg):
    """Populate the empty directory cfg["root"] as the worker's new root file system."""
    root = cfg["root"]
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=1024,mode=755")
    # The private /tmp first: an interpreter that lives under /tmp is bound on top of it.
    _mount("tmpfs", _place(root, "/tmp"), "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={cfg['tmp_bytes']},nr_inodes=4096,mode=1777")
    for path in cfg["binds"]:  # e.g. /usr, /bin (a symlink), the Python prefix
        if os.path.islink(path):
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            if not os.path.lexists(root + path):
                os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _bind_ro(path, _place(root, path))
        elif os.path.isfile(path):
            _bind_ro(path, _place(root, path, is_dir=False))
    for name, src in cfg["numpy"].items():  # numpy and numpy.libs, nothing else
        _bind_ro(src, _place(root, f"{NUMPY_HOME}/{name}"))
    for path in cfg["hide"]:  # site-packages etc. inside a bound tree: cover with emptiness
        if os.path.isdir(root + path):
            _mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                   "size=4k,nr_inodes=16,mode=755")
    for dev in ("null", "zero", "random", "urandom"):
        _mount(f"/dev/{dev}", _place(root, f"/dev/{dev}", is_dir=False), None, MS_BIND)
    _mount("proc", _place(root, "/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
           "size=1m,nr_inodes=1024,mode=755")


def _drop_capabilities():
    """Root of a user namespace: give up every capability (so chroot cannot be undone)."""
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails past the last cap: fine

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2 words, all 0
    _check(_libc.capset(ctypes.byref(Header(0x20080522, 0)), data), "capset")


def enter(cfg):
    """Build the root, chroot into it, and become an unprivileged process."""
    enter_root(cfg)
    # No setuid binary may hand privileges back.
    if cfg.get("uid") is not None:
        drop_to(cfg["uid"])
    else:
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _drop_capabilities()


def enter_root(cfg):
    """Build the root and pivot into it (still root: the fork server forks workers from here)."""
    build_root(cfg)
    os.chdir(cfg["root"])
    # pivot_root(".", ".") then detaching the old root leaves the host's file system
    # out of this mount namespace entirely; chroot alone is the fallback.
    nr = SYS_PIVOT_ROOT.get(os.uname().machine)
    if nr is not None and _libc.syscall(nr, b".", b".") == 0:
        _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chroot(".")
    os.chdir("/tmp")


def join_cgroups(procs_files):
    """Move this process (and so every process it will start) into its cgroups: first of all."""
    for path in procs_files:
        with open(path, "w") as f:
            f.write("0")   # 0 = the writing process


def join_cgroup_files(fds):
    """`join_cgroups` through files the judge opened (the fork server no longer sees /sys)."""
    for fd in fds:
        os.write(fd, b"0")
        os.close(fd)


CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_PRIVATE = 1 << 18


def unshare_worker_namespaces():
    """Fresh mount, network, IPC and UTS namespaces now, and a PID namespace for the next child.

    The fork server's own namespaces are shared by every worker it forks; these make each
    worker's as private as a worker started by `unshare` itself.
    """
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID),
           "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)


def fresh_proc_and_tmp(tmp_bytes):
    """In a forked worker (PID 1 of its namespace): its own /proc and an empty private /tmp."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},nr_inodes=4096,mode=1777")
    os.chdir("/tmp")


def enter_chroot(cfg):
    """uid levels: chroot into the batch's copied root, then become the worker's uid."""
    os.chroot(cfg["root"])
    os.chdir(cfg["home"])
    drop_to(cfg["uid"])


def drop_to(uid):
    """Become uid/gid `uid` with no groups; no setuid binary may hand privileges back."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # Changing credentials clears the parent-death signal: re-arm it.
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def set_limits(limits):
    """Apply resource limits (soft = hard, except CPU which warns first via SIGXCPU)."""
    import resource

    def lower(which, value):
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    cpu = limits["cpu_seconds"]
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2 if hard == resource.RLIM_INFINITY else min(cpu + 2, hard)))
    lower(resource.RLIMIT_AS, limits["memory_bytes"])
    lower(resource.RLIMIT_FSIZE, limits["file_bytes"])
    lower(resource.RLIMIT_NOFILE, limits["open_files"])
    lower(resource.RLIMIT_CORE, 0)
    if limits.get("processes") is not None:
        lower(resource.RLIMIT_NPROC, limits["processes"])


SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
SYS_SECCOMP = {"x86_64": 317, "aarch64": 277, "riscv64": 277, "ppc64le": 358, "ppc64": 358,
               "s390x": 348, "i686": 354, "i386": 354, "armv7l": 383}


def install_seccomp(bpf):
    """Load a classic-BPF seccomp filter (raw `struct sock_filter` bytes) for every thread.

    Needs no_new_privs (set by `drop_to`). The filter cannot be removed afterwards.
    """
    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    if not bpf or len(bpf) % 8:
        raise OSError("seccomp: empty or malformed filter")
    buf = ctypes.create_string_buffer(bpf, len(bpf))
    prog = SockFprog(len(bpf) // 8, ctypes.cast(buf, ctypes.c_void_p))
    nr = SYS_SECCOMP.get(os.uname().machine)
    if nr is None:
        raise OSError(f"seccomp: unknown machine {os.uname().machine}")
    _check(_libc.syscall(nr, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)),
           "seccomp")
