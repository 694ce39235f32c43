"""The class roster (``--roster``): who is in the class, and the ids Canvas needs."""
from dataclasses import dataclass

from .csvfiles import read_table
from .errors import ReportError

COLUMNS = ("student", "name", "sis_user_id", "sis_login_id", "section")


@dataclass(frozen=True)
class Student:
    student: str        # the id submissions use (file name / Canvas user id)
    name: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


def load_roster(path):
    """Read a roster CSV with the columns ``COLUMNS`` (more are allowed and ignored).

    Returns the students in file order. Raises ``ReportError`` for a missing column, an
    empty ``student`` cell, or an id (``student``, ``sis_user_id``, ``sis_login_id``) that
    two rows share.
    """
    columns, rows = read_table(path, "roster")
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ReportError(f"{path}: the roster has no column {', '.join(map(repr, missing))} "
                          f"(expected: {','.join(COLUMNS)})")
    students = []
    first_line = {}
    for line, row in rows:
        if not any(row.values()):
            continue
        if not row["student"]:
            raise ReportError(f"{path}: line {line} has an empty 'student' id")
        for key in ("student", "sis_user_id", "sis_login_id"):
            value = row[key]
            if value and (key, value) in first_line:
                raise ReportError(f"{path}: line {line} repeats {key} {value!r} "
                                  f"(already on line {first_line[key, value]})")
            first_line[key, value] = line
        students.append(Student(**{c: row[c] for c in COLUMNS}))
    return students
