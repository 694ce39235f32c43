"""The system-call filter every worker runs under (built here, installed by the worker).

Built once per process with libseccomp (through its ctypes binding `pyseccomp`)
into classic BPF; the bytes go to the worker in its start-up config and
`jail.install_seccomp` loads them (stdlib ctypes only: the worker imports nothing
but NumPy and the standard library) after it has dropped to its own uid and set
no_new_privs, before any student code runs. Everything not listed is allowed;
a blocked call fails with an error (the program sees EPERM, or ENOSYS for
clone3 so that the C library falls back to clone, whose flags the filter reads):

- new namespaces: ``unshare`` (any flags), ``clone`` with any CLONE_NEW* flag,
  ``clone3`` (its flags live in memory the filter cannot read), ``setns``;
- watching or steering other processes: ``ptrace``, ``process_vm_readv``,
  ``process_vm_writev``, ``kcmp``, ``pidfd_getfd``;
- kernel attack surface an unprivileged process may otherwise reach: ``bpf``,
  ``perf_event_open``, ``userfaultfd``, ``io_uring_setup``/``enter``/``register``,
  ``keyctl``, ``add_key``, ``request_key``;
- the file-system tree: ``mount``, ``umount2``, ``pivot_root``, ``chroot``,
  ``fsopen``, ``fsconfig``, ``fsmount``, ``fspick``, ``move_mount``, ``open_tree``,
  ``mount_setattr``, ``name_to_handle_at``, ``open_by_handle_at``;
- the machine: ``reboot``, ``kexec_load``, ``kexec_file_load``, ``init_module``,
  ``finit_module``, ``delete_module``, ``swapon``, ``swapoff``, ``acct``,
  ``quotactl``, ``syslog``, ``settimeofday``, ``clock_settime``, ``adjtimex``,
  ``clock_adjtime``, ``personality`` (can turn off address randomization),
  ``iopl``, ``ioperm``;
- the network: ``socket`` of any family but AF_UNIX (the namespace levels have
  no network anyway);
- at the uid levels only (``filter_bpf(shares_host=True)``), everything that
  reaches across processes through the kernel, as these levels share the host's
  IPC and network namespaces: every socket, AF_UNIX included (``socket``,
  ``socketpair``, ``bind``, ``listen``, ``connect``, ``accept``, ``accept4``,
  ``socketcall``: abstract Unix names would reach host services such as D-Bus
  and the other workers), System V IPC (``shmget``, ``shmat``, ``shmctl``,
  ``shmdt``, ``semget``, ``semop``, ``semtimedop``, ``semctl``, ``msgget``,
  ``msgsnd``, ``msgrcv``, ``msgctl``, ``ipc``: its objects outlive the process
  and hold memory outside any cgroup) and POSIX message queues (``mq_open``,
  ``mq_unlink``, ``mq_timedsend``, ``mq_timedreceive``, ``mq_notify``,
  ``mq_getsetattr``). The worker needs none of them: it talks to the judge
  over inherited pipes. The namespace levels keep them: their IPC and network
  namespaces are the worker's own (an abstract name or a segment there reaches
  only the worker's own processes, and dies with the namespace), and
  ``multiprocessing.Pipe`` in lab code needs ``socketpair``.

System calls of another ABI (32-bit int 0x80, x32) kill the process.
"""
import errno
import functools
import os
import tempfile

# (name, errno) of the calls refused whatever their arguments.
BLOCKED = tuple((name, errno.EPERM) for name in (
    "unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key",
    "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
    "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "personality", "iopl", "ioperm",
)) + (("clone3", errno.ENOSYS),)
CLONE_NEW_FLAGS = {"CLONE_NEWTIME": 0x80, "CLONE_NEWNS": 0x20000, "CLONE_NEWCGROUP": 0x02000000,
                   "CLONE_NEWUTS": 0x04000000, "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000,
                   "CLONE_NEWPID": 0x20000000, "CLONE_NEWNET": 0x40000000}
AF_UNIX = 1
# Refused at the uid levels only (they share the host's IPC and network namespaces).
HOST_SHARED = tuple((name, errno.EACCES) for name in (
    "socket", "socketpair", "bind", "listen", "connect", "accept", "accept4", "socketcall",
)) + tuple((name, errno.EPERM) for name in (
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "ipc",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
))


class SeccompUnavailable(OSError):
    """libseccomp (or its binding) is missing: the grader cannot build the filter."""


@functools.lru_cache(maxsize=None)
def filter_bpf(shares_host=False):
    """The filter as raw ``struct sock_filter`` bytes (8 per instruction).

    shares_host: True for the uid levels (no namespaces): also refuse `HOST_SHARED`.
    """
    try:
        import pyseccomp as sc
    except (ImportError, RuntimeError, OSError) as exc:
        raise SeccompUnavailable(f"libseccomp is not available ({exc}); install the OS package "
                                 "libseccomp2 and the Python package pyseccomp") from None
    f = sc.SyscallFilter(sc.ALLOW)
    for name, err in BLOCKED + (HOST_SHARED if shares_host else ()):
        try:
            f.add_rule(sc.ERRNO(err), name)
        except (OSError, ValueError):   # a call this kernel/arch does not have (e.g. iopl on arm64)
            continue
    for flag in CLONE_NEW_FLAGS.values():
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    if not shares_host:
        f.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.NE, AF_UNIX))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        return out.read()


def blocked_names(shares_host=False):
    """Names of the refused calls, for messages and tests."""
    names = [name for name, _ in BLOCKED] + ["clone (with CLONE_NEW*)"]
    return names + ([name for name, _ in HOST_SHARED] if shares_host else ["socket (not AF_UNIX)"])
