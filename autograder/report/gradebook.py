"""The gradebook: every student's points per graded week of the syllabus, and its CSV.

An autograded lab's raw score is scaled to its week's points (``score / max_score *
points``, rounded to 2 decimals), so a result graded with any maximum lands on the
syllabus scale; hand-scored weeks come from the manual file; missing work counts 0.
"""
import csv
from dataclasses import dataclass, field

from .errors import ReportError
from .roster import Student

POINTS_POSSIBLE = "Points Possible"


@dataclass
class Row:
    student: str
    info: object                      # roster.Student (name, SIS ids, section)
    points: dict                      # week column -> points on the syllabus scale
    results: dict = field(default_factory=dict)   # assignment -> results.Result

    @property
    def total(self):
        return round(sum(self.points.values()), 2)


def scaled(result, lab):
    """``result``'s raw score on its week's scale, e.g. raw 3.75 of 5 in a 5-point week -> 3.75."""
    return round(result.score / result.max_score * lab.points, 2)


def build(course, results, manual, roster):
    """Combine results, manual scores and roster into gradebook rows.

    Args:
        course: ``course.Course``.
        results: list of ``results.Result``.
        manual: ``{student: {week column: points}}`` (may be empty).
        roster: list of ``roster.Student`` or ``None``. With a roster, its students in its
            order, and a result for someone not on it is an error; without one, everyone
            found in the results or the manual file, sorted by id.
    Returns:
        list of ``Row``.
    """
    if roster is not None:
        known = {s.student for s in roster}
        for result in results:
            if result.student not in known:
                raise ReportError(f"{result.path}: student {result.student!r} is not on the roster")
        people = list(roster)
    else:
        ids = sorted({r.student for r in results} | set(manual))
        people = [Student(student=i) for i in ids]

    rows = {p.student: Row(p.student, p, {w.column: 0.0 for w in course.graded_weeks}) for p in people}
    for result in results:
        lab = course.lab(result.assignment)
        row = rows[result.student]
        row.points[lab.week.column] = scaled(result, lab)
        row.results[result.assignment] = result
    for student, marks in manual.items():
        rows[student].points.update(marks)
    return list(rows.values())


def fmt(value):
    """A number as the CSVs write it: ``10``, ``3.75``, ``2.5`` (at most 2 decimals)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def write_csv(path, course, rows):
    """Write ``gradebook.csv``: ``student``, ``week01``..``week17`` (graded weeks), ``total``;
    the first data row is ``Points Possible`` with each week's points and the course total."""
    weeks = [w.column for w in course.graded_weeks]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *weeks, "total"])
        writer.writerow([POINTS_POSSIBLE, *(fmt(w.points) for w in course.graded_weeks),
                         fmt(course.total_points)])
        for row in rows:
            writer.writerow([row.student, *(fmt(row.points[c]) for c in weeks), fmt(row.total)])
