"""What intake hands to the judge: ``Submission`` (one student's code) and ``Cell``."""
import pathlib
from dataclasses import dataclass


class SubmissionError(ValueError):
    """An input cannot be used at all (missing, unlistable, not a zip); one-line message.

    Only the instructor's command line can cause it: a student's file never does (it gives
    that student a result with a message instead).
    """


@dataclass(frozen=True)
class Cell:
    source: str
    label: str      # where the code came from, as the student sees it: 'cell 5 "def relu(x):"' or 'lab.py'


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
        missing: ``True`` when no file could be graded (no rule chose one, or only unusable
            files were found): the result is status ``no submission`` with ``problems``.
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
