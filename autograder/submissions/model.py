"""What intake hands to the judge: ``Submission`` (one student's code) and ``Cell``."""
import pathlib
from dataclasses import dataclass
from typing import NamedTuple


class SubmissionError(ValueError):
    """An input cannot be used at all (missing, unlistable, not a zip); one-line message.

    Only the instructor's command line can cause it: a student's file never does (it gives
    that student a result with a message instead).
    """


@dataclass(frozen=True)
class Cell:
    source: str
    label: str      # where the code came from, as the student sees it: 'cell 5 "def relu(x):"' or 'lab.py'


class PassedOver(NamedTuple):
    """One file that was not graded, and why (for the notes and ``passed-over.txt``)."""

    file: str       # as the student named it, relative to their submission (or the input)
    where: str      # where to find it: disk path, or ``zip path:member``
    reason: str     # e.g. "a named pipe (FIFO), not a file: it was not read"
    quiet: bool = False   # OS/Jupyter leftovers and the lab's own files: no word in the feedback


@dataclass(frozen=True)
class Submission:
    """One student's code, ready for the judge.

    Attributes:
        student: the result file's name (``ids.clean_id``: safe, collision-free).
        path: where the graded file is (a zip member is ``zip path / member name``).
        cells: ``Cell`` tuple; each top-level statement of each cell runs on its own.
        sha256: hex digest of the graded file's bytes (the grading cache key).
        problems: messages about the graded file itself (bad encoding, broken JSON).
        file: the original name of the file graded (``None``: nothing could be graded).
        notes: short strings for the result's ``extra_data.notes`` and the feedback: files
            passed over, a cleaned name, a function defined twice.
        late: ``True`` when a Canvas file name carries ``LATE``, else ``None`` (unknown here).
        submitted_at: ISO 8601 time of a Gradescope submission (``:created_at:``), else ``None``.
        passed_over: the student's other files that were not graded (the lab's own excluded).
        missing: ``True`` when no file could be graded (no rule chose one, only unusable
            files were found, or the chosen file cannot be read: an empty or cut-off
            notebook): the result is status ``no submission`` with ``problems``.
        raw_id: the name the id was made from (file stem, folder name, Canvas or Gradescope
            id), before cleaning; the results folder remembers it, so ids stay stable.
        upload: where the graded file was found, as a TA finds it again: its disk path, or
            ``zip path:member name`` (a Canvas bulk download's own member name, e.g.
            ``subs.zip:doejane_LATE_123456_7890123_week09.ipynb``); ``None`` when none was graded.
        skipped: ``PassedOver`` for every file of the student that was not graded.
    """

    student: str
    path: pathlib.Path
    cells: tuple
    sha256: str
    problems: tuple
    file: str = None
    notes: tuple = ()
    late: bool = None
    submitted_at: str = None
    passed_over: tuple = ()
    missing: bool = False
    raw_id: str = None
    upload: str = None
    skipped: tuple = ()
