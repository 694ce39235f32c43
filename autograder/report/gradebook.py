"""The gradebook: every student's points per graded week of the syllabus, and its CSV.

An autograded lab's raw score is scaled to its week's points (``score / max_score *
points``, kept unrounded), so a result graded with any maximum lands on the syllabus scale; hand-scored weeks come from the manual file. A week without a score is
``None`` ("not graded yet" in the report, an empty cell in canvas.csv) and counts 0 in
gradebook.csv and its totals. Numbers are rounded only when written (``fmt``: 4 decimals,
exact for the tests' weights, which are multiples of 1/16 point), and totals are sums of the
unrounded points.
"""
import csv
from dataclasses import dataclass, field

from .errors import ReportError
from .roster import Student, aliases, plain_id

POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True)
class Late:
    """A late result and what the syllabus's late policy makes of it."""
    lab: str
    days: object          # started days after the due date, or None if the time is unknown
    points: float         # the raw points (scaled to the week), as in the gradebook
    adjusted: object      # points after the late policy; None without a policy or a known time


@dataclass
class Row:
    student: str
    info: object                      # roster.Student (name, SIS ids, section, canvas_id)
    points: dict                      # week column -> points on the syllabus scale, or None
    results: dict = field(default_factory=dict)   # assignment -> results.Result
    late: dict = field(default_factory=dict)      # assignment -> Late (late results only)
    on_roster: bool = True    # False: a result or manual row for someone the roster lacks
    looks_like: str = ""      # off the roster: the roster student whose id this one resembles

    @property
    def total(self):
        """The sum of the week points; a week without a score counts 0."""
        return sum(p for p in self.points.values() if p is not None)

    def scored(self, column):
        return self.points.get(column) is not None


def scaled(result, lab):
    """``result``'s raw score on its week's scale, unrounded: raw 3.75 of 5 in a 5-point week
    -> 3.75, raw 1 of 3 -> 1.666..."""
    return result.score / result.max_score * lab.points


def _late(course, lab, result, points):
    if result.late is not True:
        return None
    days = lab.days_late(result.submitted_at) if result.submitted_at else None
    policy = course.late_policy
    adjusted = None
    if policy is not None and days is not None:
        adjusted = points * (1 - policy.deduction(days))
    return Late(lab=lab.name, days=days, points=points, adjusted=adjusted)


def build(course, results, manual, roster):
    """Combine results, manual scores and roster into gradebook rows.

    Args:
        course: ``course.Course``.
        results: list of ``results.Result``.
        manual: ``{student: {week column: points}}`` (may be empty).
        roster: list of ``roster.Student`` or ``None``. With a roster, its students in its
            order; a result or manual row joins the row whose ``student``, else ``canvas_id``,
            else ``sis_user_id``, else ``sis_login_id`` is its id (``roster.aliases``). Someone on no roster row still
            gets a row, after the roster's, sorted, with ``on_roster`` False (the report warns;
            canvas.csv leaves them out; ``looks_like`` names the roster student whose id
            theirs differs from only in case or by the suffix intake adds to keep two names
            apart, ``ada-fdee43`` or ``ADA`` for ``ada``). Without a roster, everyone found in the results or the
            manual file, sorted by id.
    Returns:
        list of ``Row``.
    """
    found = {r.student for r in results} | set(manual)
    if roster is not None:
        ids = aliases(roster)
        people = list(roster)
        strangers = sorted(found - set(ids))
    else:
        ids, people, strangers = {}, [], sorted(found)

    weeks = [w.column for w in course.graded_weeks]
    rows = {p.student: Row(p.student, p, dict.fromkeys(weeks)) for p in people}
    by_case = {}
    for known in ids:                   # ids: roster ids and the canvas/SIS ids standing for them
        by_case.setdefault(known.casefold(), ids[known])
    for student in strangers:
        rows[student] = Row(student, Student(student=student), dict.fromkeys(weeks),
                            on_roster=roster is None,
                            looks_like=by_case.get(plain_id(student).casefold(), ""))
    for result in results:
        lab = course.lab(result.assignment)
        row = rows[ids.get(result.student, result.student)]
        if result.assignment in row.results:
            first = row.results[result.assignment]
            raise ReportError(f"{result.path}: a second {result.assignment} result for {row.student!r} "
                              f"(the first is {first.path}); a Canvas zip and a folder both graded "
                              "this student: pass one of them")
        points = scaled(result, lab)
        row.points[lab.week.column] = points
        row.results[result.assignment] = result
        late = _late(course, lab, result, points)
        if late is not None:
            row.late[lab.name] = late
    for student, marks in manual.items():
        rows[ids.get(student, student)].points.update(marks)
    return list(rows.values())


def scored_weeks(course, rows):
    """The graded weeks at least one student has a score for, in order."""
    return [w for w in course.graded_weeks if any(r.scored(w.column) for r in rows)]


DECIMALS = 4   # exact for multiples of 1/16 point (0.0625); finer values are rounded


def fmt(value):
    """A number as the CSVs and the report write it: ``10``, ``3.75``, ``2.125``, ``0.0625``
    (at most ``DECIMALS`` decimals, trailing zeros dropped; 1/3 -> ``0.3333``)."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def write_csv(path, course, rows):
    """Write ``gradebook.csv``: ``student``, ``week01``..``week17`` (graded weeks), ``total``;
    the first data row is ``Points Possible`` with each week's points and the course total.
    A week without a score is written 0 (missing work counts 0 here)."""
    weeks = [w.column for w in course.graded_weeks]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *weeks, "total"])
        writer.writerow([POINTS_POSSIBLE, *(fmt(w.points) for w in course.graded_weeks),
                         fmt(course.total_points)])
        for row in rows:
            writer.writerow([row.student, *(fmt(row.points[c] or 0) for c in weeks), fmt(row.total)])
