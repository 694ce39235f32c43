"""The sandbox: run untrusted submission code in a fresh, isolated worker process.

    from autograder.sandbox import Worker, Limits, isolation_level, WorkerError

See `launch.Worker` for the judge-side API, `worker.py` for what runs inside the
box, and `protocol.py` for the only things that cross between them. Workers are
forks of a fork server that started Python and imported NumPy once per judge
process (`zygote.py` inside the box, `forkserver.py` on the judge's side); each
confines itself before any student code runs, exactly as a fresh one would. What confines
a worker (`launch.py` names the levels):

- a uid/gid of its own, never root or the grader's (so grading needs root), no_new_privs;
- namespaces (network, mount, PID, IPC, UTS) and a minimal root of read-only binds
  (`jail.py`), or, where namespaces are refused, a chroot into a copy of Python and
  NumPy made once per batch (`pyroot.py`);
- a cgroup per worker (`cgroup.py`, v1 or v2): memory of the whole process tree,
  number of tasks, CPU weight and a one-core quota;
- rlimits per process (CPU seconds, address space, file size, open files, processes);
- a seccomp filter (`seccomp.py`, built with libseccomp) that refuses: unshare,
  clone with any CLONE_NEW* flag, clone3 (ENOSYS), setns; ptrace, process_vm_readv,
  process_vm_writev, kcmp, pidfd_getfd; bpf, perf_event_open, userfaultfd,
  io_uring_setup/enter/register; keyctl, add_key, request_key; mount, umount2,
  pivot_root, chroot, fsopen, fsconfig, fsmount, fspick, move_mount, open_tree,
  mount_setattr, name_to_handle_at, open_by_handle_at; reboot, kexec_load,
  kexec_file_load, init_module, finit_module, delete_module, swapon, swapoff, acct,
  quotactl, syslog, settimeofday, clock_settime, adjtimex, clock_adjtime,
  personality, iopl, ioperm; socket of any family but AF_UNIX; at the uid levels
  (which share the host's IPC and network namespaces) also every socket
  (socket, socketpair, bind, listen, connect, accept, accept4, socketcall), System V
  IPC (shmget, shmat, shmctl, shmdt, semget, semop, semtimedop, semctl, msgget,
  msgsnd, msgrcv, msgctl, ipc) and POSIX message queues (mq_open, mq_unlink,
  mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr), while the namespace
  levels keep AF_UNIX and IPC inside namespaces of their own; and kills a process
  that makes system calls of another ABI (32-bit, x32);
- at the end of each worker, its uid's files in /dev/shm, /tmp, /var/tmp and its
  System V IPC objects are removed (`launch.sweep_worker_files`, `sweep_worker_ipc`);
- an audit hook (`audit.py`) that notes, best effort, what the code attempted.
"""

from . import launch
from .launch import (LEVEL_NOTES, LEVELS, STATUSES, Limits, NoIsolation, Reply, SandboxFailure, Worker,
                     WorkerError, isolation_level, pin_level)

__all__ = ["LEVELS", "LEVEL_NOTES", "STATUSES", "Limits", "NoIsolation", "Reply", "SandboxFailure", "Worker",
           "WorkerError",
           "pin_level",
           "isolation_level"]
