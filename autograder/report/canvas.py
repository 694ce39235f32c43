"""The gradebook in Canvas's gradebook import layout (``canvas.csv``).

The layout follows Canvas's own exporter and importer (instructure/canvas-lms,
``app/models/gradebook_exporter.rb`` and ``gradebook_importer.rb``):

- header ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per
  assignment; the importer finds the student columns by these names and requires the last
  of them to be ``Section``;
- second row: ``"    Points Possible"`` (four leading spaces, as the exporter writes it;
  the importer recognises any first cell containing "Points Possible"), the student columns
  empty, then each assignment's points;
- one row per student: the name as Canvas shows it (``Last, First``), the Canvas user id,
  the SIS ids and the section. The importer matches a student by ``ID`` first, then by
  ``SIS User ID``, then ``SIS Login ID``, then by name.

Safe on a live course (checked against ``gradebook_importer.rb`` and
``process_gradebook_upload.js``, see the README):

- An assignment column is matched by ``Title (id)`` (``Assignment.title_and_id``: by id),
  else by exact title; any other header becomes a NEW assignment. Headers are the
  syllabus's per-week ``canvas`` titles, else ``week09`` (then Canvas asks to create it).
- Only weeks that someone has a score for are written: Canvas compares every written cell
  with the current grade and changes those that differ, so a column of future weeks
  would be at best noise and at worst zeros over real grades.
- A student without a score in a written week gets an EMPTY cell, never 0. Canvas reads
  an empty cell as "no score" (``no_score?``): where Canvas has no grade either, nothing
  changes; where Canvas already holds a grade, its upload preview shows the cell as a
  grade removal (highlighted) for the instructor to review.
- ``ID`` is the Canvas user id: the roster's ``canvas_id``, else the student id when it is
  one (digits: a Canvas zip); Canvas then matches by ``SIS User ID``/``SIS Login ID``/name.
- There is no total column: Canvas would import it as one more assignment.
- Students on no roster row (``Row.on_roster`` False) are left out: without the roster's
  ids Canvas could not match them (gradebook.csv and the report keep them).

``canvas-by-week/<week>.csv`` holds one scored week each, with only the students who have a
score in it: no empty cell at all, so importing it can never remove a grade that exists only
in Canvas.
"""
import csv
import re

from .gradebook import fmt, scored_weeks

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"
# Canvas's exporter quotes names starting with "=" so a spreadsheet does not run them as a
# formula; we do the same for every formula-starting character in the name and the section
# (ids are left as they are: Canvas matches students by them).
_FORMULA = re.compile(r"^\s*[=+\-@]")


def _cell(text):
    """``text``, or for a formula-starting one the string literal ``="..."`` (quotes doubled, so
    a name like ``-"&HYPERLINK(...)&"`` stays text in a spreadsheet)."""
    return '="' + text.replace('"', '""') + '"' if _FORMULA.match(text) else text


def canvas_id(row):
    """The ``ID`` cell: the roster's ``canvas_id``, else the student id when it is a Canvas user
    id (digits), else empty (Canvas then matches by SIS User ID, SIS Login ID or name)."""
    info_id = getattr(row.info, "canvas_id", "")
    return info_id or (row.student if row.student.isdigit() else "")


def _student_cells(row):
    info = row.info
    return [_cell(info.name or row.student), canvas_id(row), info.sis_user_id, info.sis_login_id, _cell(info.section)]


def matchable(rows):
    """The rows Canvas can match: not those of students on no roster row."""
    return [row for row in rows if row.on_roster]


def write_by_week(folder, course, rows):
    """Write ``folder/<weekNN>.csv`` per scored week: that week's column and only the students
    with a score in it. Returns the files written."""
    rows = matchable(rows)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("week*.csv"):     # a week no longer scored must not linger
        old.unlink()
    written = []
    for week in scored_weeks(course, rows):
        path = folder / f"{week.column}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER + [week.canvas_title])
            writer.writerow([POINTS_POSSIBLE, "", "", "", "", fmt(week.points)])
            for row in rows:
                if row.scored(week.column):
                    writer.writerow(_student_cells(row) + [fmt(row.points[week.column])])
        written.append(path)
    return written


def write_csv(path, course, rows):
    """Write ``canvas.csv`` from gradebook rows (``gradebook.Row``): one column per graded week
    that someone has a score for, an empty cell where a student has none."""
    rows = matchable(rows)
    weeks = scored_weeks(course, rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + [w.canvas_title for w in weeks])
        writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [fmt(w.points) for w in weeks])
        for row in rows:
            writer.writerow(_student_cells(row)
                            + [fmt(row.points[w.column]) if row.scored(w.column) else "" for w in weeks])
