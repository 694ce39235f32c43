"""The processes of one uid, read from /proc (the judge's view: the host's PID namespace)."""
import os


def processes_of(uid):
    """``{pid: (parent pid, threads, zombie)}`` of every process whose real uid is `uid`.

    Processes that end while /proc is read are left out; a zombie has already died (only
    its parent has not collected it yet).
    """
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                found[int(entry)] = (int(fields["PPid"]), int(fields.get("Threads", "1")),
                                     fields.get("State", "").strip().startswith("Z"))
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return found
