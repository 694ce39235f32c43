"""Hand-scored weeks (``--manual``): presentations, homework, in-class work."""
import math
import re

from .csvfiles import parse_points, read_table
from .errors import ReportError

_WEEK_COLUMN = re.compile(r"^week\d+$")


def load_manual(path, course, roster_ids=None, notes=None):
    """Read a CSV with a ``student`` column and any graded ``weekNN`` columns.

    The file may be comma-, semicolon- or tab-separated, use decimal commas and ``EX`` for
    excused (see ``csvfiles``). Columns that are not ``weekNN`` (a name, an e-mail, a
    spreadsheet total) are ignored and named in ``notes`` (a list to append to).

    Args:
        roster_ids: ``None`` (no roster), or the ids the roster knows: a set of ids or a
            ``{id: roster student}`` mapping (``roster.aliases``: a roster's ``canvas_id``,
            ``sis_user_id`` or ``sis_login_id`` may stand for its student).
    Returns ``{student: {column: points}}`` keyed by roster student id (an id the roster does
    not know is kept as it is: the gradebook keeps that student off the roster and the report
    warns); an empty or ``EX`` cell means no score.
    Raises ``ReportError`` for a ``weekNN`` column that is not a graded week or that the
    autograder scores, a value that is not a number in 0..the week's points, or a student
    listed twice.
    """
    columns, rows = read_table(path, "manual scores file")
    if "student" not in columns:
        raise ReportError(f"{path}: the manual scores file has no 'student' column "
                          f"(its header is: {', '.join(c for c in columns if c) or 'empty'})")
    graded = {w.column: w for w in course.graded_weeks}
    autograded = {lab.week.column: name for name, lab in course.labs.items()}
    weeks, ignored = [], []
    for column in columns:
        if column == "student" or not column:
            continue
        if not _WEEK_COLUMN.match(column):
            ignored.append(column)
            continue
        if column in autograded:
            raise ReportError(f"{path}: column {column!r} is scored by the autograder "
                              f"({autograded[column]}); leave it out of the manual scores")
        if column not in graded:
            names = ", ".join(c for c in graded if c not in autograded)
            raise ReportError(f"{path}: unknown column {column!r}; "
                              f"the graded weeks scored by hand are: {names}")
        weeks.append(graded[column])
    if ignored and notes is not None:
        notes.append(f"ignored columns: {', '.join(ignored)}")
    if isinstance(roster_ids, (set, frozenset)):
        roster_ids = {i: i for i in roster_ids}
    scores = {}
    for line, row in rows:
        if not any(row.values()):
            continue
        student = row["student"]
        if not student:
            raise ReportError(f"{path}: line {line} has an empty 'student' id")
        if roster_ids is not None:
            student = roster_ids.get(student, student)
        if student in scores:
            raise ReportError(f"{path}: line {line}: student {student!r} is listed twice")
        marks = {}
        for week in weeks:
            text = row[week.column]
            value = parse_points(text)
            if value is None:
                continue
            if math.isnan(value):
                raise ReportError(f"{path}: line {line}: {week.column} of {student!r} is "
                                  f"{text!r}, not a number (blank or EX for no score)")
            if not 0 <= value <= week.points:
                raise ReportError(f"{path}: line {line}: {week.column} of {student!r} is {text}, "
                                  f"outside 0..{week.points:g} (the week's points)")
            marks[week.column] = value
        scores[student] = marks
    return scores
