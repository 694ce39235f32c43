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

Assignment columns are the week names (``week08``); Canvas matches a column to an existing
assignment by its title (or by ``Title (canvas id)``) and creates the assignment otherwise.
There is no total column: Canvas would import it as one more assignment.
"""
import csv
import re

from .gradebook import fmt

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"
# Canvas's exporter quotes names starting with "=" so a spreadsheet does not run them as a
# formula; we do the same for every formula-starting character (ids are left as they are:
# Canvas matches students by them).
_FORMULA = re.compile(r"^\s*[=+\-@]")


def _cell(text):
    return f'="{text}"' if _FORMULA.match(text) else text


def canvas_id(student):
    """The ``ID`` cell: the id submissions use, when it is a Canvas user id (digits), else empty
    (so Canvas matches the student by SIS User ID or SIS Login ID instead)."""
    return student if student.isdigit() else ""


def write_csv(path, course, rows):
    """Write ``canvas.csv`` from gradebook rows (``gradebook.Row``), one column per graded week."""
    weeks = list(course.graded_weeks)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + [w.column for w in weeks])
        writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [fmt(w.points) for w in weeks])
        for row in rows:
            info = row.info
            writer.writerow([_cell(info.name or row.student), canvas_id(row.student),
                             info.sis_user_id, info.sis_login_id, info.section]
                            + [fmt(row.points[w.column]) for w in weeks])
