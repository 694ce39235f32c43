"""The sandbox: run untrusted submission code in a fresh, isolated worker process.

    from autograder.sandbox import Worker, Limits, isolation_level, WorkerError

See `launch.Worker` for the judge-side API, `worker.py` for what runs inside the
box, and `protocol.py` for the only things that cross between them.
"""

from . import launch
from .launch import (LEVEL_NOTES, LEVELS, STATUSES, Limits, NoIsolation, Reply, Worker, WorkerError,
                     isolation_level, pin_level)

__all__ = ["LEVELS", "LEVEL_NOTES", "STATUSES", "Limits", "NoIsolation", "Reply", "Worker", "WorkerError",
           "pin_level",
           "isolation_level"]
