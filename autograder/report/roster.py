"""The class roster (``--roster``): who is in the class, and the ids Canvas needs."""
from dataclasses import dataclass

from .csvfiles import read_table
from .errors import ReportError

COLUMNS = ("student", "name", "sis_user_id", "sis_login_id", "section")
OPTIONAL = ("canvas_id",)


@dataclass(frozen=True)
class Student:
    student: str        # the id submissions use (file name, or the Canvas user id)
    name: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    canvas_id: str = ""  # the Canvas user id (the ID column of Canvas's gradebook export)


def load_roster(path):
    """Read a roster CSV with the columns ``COLUMNS`` and optionally ``canvas_id`` (more
    columns are allowed and ignored; header case, delimiter and BOM as in ``csvfiles``).

    Returns the students in file order. Raises ``ReportError`` for a missing column, an
    empty ``student`` cell, a ``canvas_id`` that is not a number, or an id (``student``,
    ``sis_user_id``, ``sis_login_id``, ``canvas_id``) that two rows share.
    """
    columns, rows = read_table(path, "roster")
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ReportError(f"{path}: the roster has no column {', '.join(map(repr, missing))} "
                          f"(expected: {','.join(COLUMNS)}[,canvas_id])")
    students = []
    first_line = {}
    for line, row in rows:
        if not any(row.values()):
            continue
        if not row["student"]:
            raise ReportError(f"{path}: line {line} has an empty 'student' id")
        canvas_id = row.get("canvas_id", "")
        if canvas_id and not canvas_id.isdigit():
            raise ReportError(f"{path}: line {line}: canvas_id {canvas_id!r} is not a Canvas user id "
                              "(the digits in the ID column of Canvas's gradebook export)")
        for key in ("student", "sis_user_id", "sis_login_id", "canvas_id"):
            value = row.get(key, "")
            if value and (key, value) in first_line:
                raise ReportError(f"{path}: line {line} repeats {key} {value!r} "
                                  f"(already on line {first_line[key, value]})")
            first_line[key, value] = line
        students.append(Student(**{c: row.get(c, "") for c in COLUMNS + OPTIONAL}))
    aliases(students, path)
    return students


def aliases(students, path="roster"):
    """``{id: roster student id}``: each student's own id and its ``canvas_id``, so results
    named by Canvas user id (a Canvas zip) meet the same row. Raises ``ReportError`` when
    one student's ``canvas_id`` is another student's id."""
    ids = {s.student: s.student for s in students}
    for s in students:
        if s.canvas_id and ids.get(s.canvas_id, s.student) != s.student:
            raise ReportError(f"{path}: canvas_id {s.canvas_id!r} of {s.student!r} is the id of "
                              f"another student ({ids[s.canvas_id]!r})")
        if s.canvas_id:
            ids[s.canvas_id] = s.student
    return ids
