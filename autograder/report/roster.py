"""The class roster (``--roster``): who is in the class, and the ids Canvas needs.

Two layouts are read:

- dlgrade's own: ``student`` (the id submissions use), ``name``, ``sis_user_id``,
  ``sis_login_id``, ``section`` and optionally ``canvas_id``;
- the student columns of Canvas's gradebook export, saved as is: ``Student`` (the name, as
  ``Last, First``), ``ID`` (the Canvas user id), ``SIS User ID``, ``SIS Login ID``,
  ``Section`` (other columns, such as assignments, are ignored). Without a ``student``
  column each student's id is the Canvas user id, and results meet the row through
  ``canvas_id``, ``sis_user_id`` or ``sis_login_id`` (see ``aliases``).

Canvas's Test Student (the user "Student View" creates; named ``Test Student``, or
``Student, Test`` as a sortable name, and never given SIS ids) is not a student: ``load_roster``
leaves that row out (``is_test_student``), so it counts in no class mean and no Canvas upload.

Header names ignore case, and spaces and underscores are alike (``SIS User ID`` =
``sis_user_id``); ``ID`` is ``canvas_id``; ``Student`` is the name when the file has an
``ID`` column and no ``name`` column (Canvas's layout), else the student id.
"""
import re
from dataclasses import dataclass

from .csvfiles import read_table
from .errors import ReportError

COLUMNS = ("student", "name", "sis_user_id", "sis_login_id", "section")
OPTIONAL = ("canvas_id",)
_ALIASES = {"id": "canvas_id"}


@dataclass(frozen=True)
class Student:
    student: str        # the id submissions use (file name, or the Canvas user id)
    name: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    canvas_id: str = ""  # the Canvas user id (the ID column of Canvas's gradebook export)


def _canonical(columns):
    """``{header as read: canonical column}`` (see the module docstring)."""
    names = {c: _ALIASES.get(re.sub(r"[\s_]+", "_", c), re.sub(r"[\s_]+", "_", c)) for c in columns}
    canvas_layout = "canvas_id" in names.values() and "name" not in names.values()
    return {c: ("name" if n == "student" and canvas_layout else n) for c, n in names.items()}


def is_test_student(student):
    """Canvas's Test Student (Student View's user): named ``Test Student`` / ``Student, Test``
    (case and spaces ignored), with no SIS User ID (Canvas creates it, no SIS import does)."""
    name = " ".join(student.name.replace(",", ", ").split()).casefold()
    return name in {"test student", "student, test"} and not student.sis_user_id


def load_roster(path, left_out=None):
    """Read a roster CSV (either layout of the module docstring; header case, delimiter and
    BOM as in ``csvfiles``).

    Returns the students in file order. Raises ``ReportError`` for a missing column (``student``
    may be missing when ``canvas_id``/``ID`` is there), an empty id, a ``canvas_id`` that is
    not a number, or an id (``student``, ``sis_user_id``, ``sis_login_id``, ``canvas_id``)
    that two rows share. Canvas's ``Points Possible`` row (no id) is skipped, and Canvas's
    Test Student is left out (appended to the list ``left_out``, if given).
    """
    columns, rows = read_table(path, "roster")
    canonical = _canonical(columns)
    present = set(canonical.values())
    keyed_by_canvas_id = "student" not in present and "canvas_id" in present
    required = [c for c in COLUMNS if not (c == "student" and keyed_by_canvas_id)]
    missing = [c for c in required if c not in present]
    if missing:
        raise ReportError(f"{path}: the roster has no column {', '.join(map(repr, missing))} "
                          f"(expected: {','.join(COLUMNS)}[,canvas_id], or Canvas's gradebook export "
                          "columns Student,ID,SIS User ID,SIS Login ID,Section)")
    id_column = "canvas_id" if keyed_by_canvas_id else "student"
    students = []
    first_line = {}
    for line, cells in rows:
        row = {canonical[c]: v for c, v in cells.items() if c}
        if not any(row.values()):
            continue
        if not row[id_column]:
            if keyed_by_canvas_id and (not row.get("name") or "points possible" in row["name"].lower()):
                continue                # Canvas's "Points Possible" (or an unnamed header) row
            raise ReportError(f"{path}: line {line} has an empty "
                              f"{'ID (canvas_id)' if keyed_by_canvas_id else repr('student')} id")
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
        fields = {c: row.get(c, "") for c in COLUMNS + OPTIONAL}
        fields["student"] = row[id_column]
        student = Student(**fields)
        if is_test_student(student):
            if left_out is not None:
                left_out.append(student)
            continue
        students.append(student)
    aliases(students, path)
    return students


# The suffix intake's ``submissions.ids.unique_ids`` gives a name kept apart from a look-alike
# ("-" and 6, 12, ... hex digits); not imported from there: the report stays light (stdlib).
_KEPT_APART = re.compile(r"^(?P<plain>.+)-(?:[0-9a-f]{6})+$")


def plain_id(student):
    """The id ``student`` may have been kept apart from: ``ada-fdee43`` -> ``ada``, else
    ``student`` itself. A guess for a warning only (``bo-cafe12`` may be a real id)."""
    match = _KEPT_APART.match(student)
    return match["plain"] if match else student


def aliases(students, path="roster"):
    """``{id: roster student id}``: the ids a result or a manual row may carry for a roster
    student, matched in this order: the student's own id, its ``canvas_id`` (a Canvas zip),
    its ``sis_user_id`` (a Gradescope export names students by SID), its ``sis_login_id``
    (Canvas's SIS Login ID, often the name files and hand-kept sheets use). An id a stronger
    key already claims is not added again for a weaker one, so each id means one student.
    Raises ``ReportError`` when one student's ``canvas_id`` is another student's id."""
    ids = {s.student: s.student for s in students}
    for s in students:
        if s.canvas_id and ids.get(s.canvas_id, s.student) != s.student:
            raise ReportError(f"{path}: canvas_id {s.canvas_id!r} of {s.student!r} is the id of "
                              f"another student ({ids[s.canvas_id]!r})")
        if s.canvas_id:
            ids[s.canvas_id] = s.student
    for key in ("sis_user_id", "sis_login_id"):
        for s in students:
            value = getattr(s, key)
            if value and value not in ids:
                ids[value] = s.student
    return ids
