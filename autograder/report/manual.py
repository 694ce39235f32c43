"""Hand-scored weeks (``--manual``): presentations, homework, in-class work."""
import math

from .csvfiles import read_table
from .errors import ReportError


def load_manual(path, course, roster_ids=None):
    """Read a CSV with a ``student`` column and any graded ``weekNN`` columns.

    Returns ``{student: {column: points}}``; an empty cell means no score (counts 0).
    Raises ``ReportError`` for an unknown column, a week the autograder scores, a value that
    is not a number in 0..the week's points, a student listed twice, or (when ``roster_ids``
    is given) a student who is not on the roster.
    """
    columns, rows = read_table(path, "manual scores file")
    if "student" not in columns:
        raise ReportError(f"{path}: the manual scores file has no 'student' column")
    graded = {w.column: w for w in course.graded_weeks}
    autograded = {lab.week.column: name for name, lab in course.labs.items()}
    weeks = []
    for column in columns:
        if column == "student":
            continue
        if column in autograded:
            raise ReportError(f"{path}: column {column!r} is scored by the autograder "
                              f"({autograded[column]}); leave it out of the manual scores")
        if column not in graded:
            names = ", ".join(c for c in graded if c not in autograded)
            raise ReportError(f"{path}: unknown column {column!r}; "
                              f"the graded weeks scored by hand are: {names}")
        weeks.append(graded[column])
    scores = {}
    for line, row in rows:
        if not any(row.values()):
            continue
        student = row["student"]
        if not student:
            raise ReportError(f"{path}: line {line} has an empty 'student' id")
        if student in scores:
            raise ReportError(f"{path}: line {line}: student {student!r} is listed twice")
        if roster_ids is not None and student not in roster_ids:
            raise ReportError(f"{path}: line {line}: student {student!r} is not on the roster")
        marks = {}
        for week in weeks:
            text = row[week.column]
            if text == "":
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ReportError(f"{path}: line {line}: {week.column} of {student!r} is "
                                  f"{text!r}, not a number")
            if not 0 <= value <= week.points:
                raise ReportError(f"{path}: line {line}: {week.column} of {student!r} is {text}, "
                                  f"outside 0..{week.points:g} (the week's points)")
            marks[week.column] = value
        scores[student] = marks
    return scores
