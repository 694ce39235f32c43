"""A model of Canvas's gradebook CSV import, written from Canvas's source, for tests.

Read from instructure/canvas-lms (``app/models/gradebook_importer.rb`` and
``ui/features/gradebook_uploads/jquery/process_gradebook_upload.js``), not from dlgrade:

- header: column 0 contains "Student", column 1 "ID"; then "SIS User ID", "SIS Login ID"
  (optionally "Integration ID", "Root Account"); the last student column must be
  "Section"; columns named like "Current Score", "Final Grade" ... are not assignments.
- an assignment header ``Title (id)`` matches the assignment with that id; else a header
  equal to an assignment's title; else it is a NEW assignment (``parse_assignments``).
- a row whose first cell contains "Points Possible" describes the assignments.
- a student is found by the ``ID`` column, else SIS User ID, else SIS Login ID, else by
  name / sortable name (``process_student``); else a new (unknown) student.
- each cell is compared with the current grade (``no_change_to_value?``): equal, or both
  "no score" (blank or "-"), is no change; anything else is posted as the new grade
  (``populateGradeDataPerSubmission``: a blank cell over an existing grade removes it).
"""
import csv
import re

STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|"
                            "Final Grade|Override Score|Override Grade|Override Status")
TITLE_AND_ID = re.compile(r"^(.*) \((\d+)\)$")   # Assignment.title_and_id


class Gradebook:
    """A course: students ``{id: {"name", "sis_user_id", "sis_login_id"}}``, assignments
    ``{id: title}`` and grades ``{(student id, assignment id): "9.5"}``."""

    def __init__(self, students, assignments, grades):
        self.students, self.assignments, self.grades = students, dict(assignments), dict(grades)
        self.created = []      # titles of assignments the import would create

    def _student(self, row):
        if row[1] and int(row[1]) in self.students:
            return int(row[1])
        for key, index in (("sis_user_id", 2), ("sis_login_id", 3)):
            for sid, info in self.students.items():
                if row[index] and info[key] == row[index]:
                    return sid
        for sid, info in self.students.items():
            if info["name"] == row[0]:
                return sid
        return None

    def _assignment(self, header):
        match = TITLE_AND_ID.match(header)
        if match and int(match[2]) in self.assignments:
            return int(match[2])
        for aid, title in self.assignments.items():
            if title == header:
                return aid
        aid = -len(self.created) - 1          # Canvas's NegativeId: a new assignment
        self.created.append(header)
        self.assignments[aid] = header
        return aid

    def apply(self, path):
        """Import a CSV as Canvas would; returns the changed cells {(student, assignment): (old, new)}."""
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        assert "Student" in header[0] and "ID" in header[1], "Canvas: invalid header row"
        assert header[4] == "Section", "Canvas: the last student column must be Section"
        columns = [(i, h) for i, h in enumerate(header) if i >= 5 and not NON_ASSIGNMENT.search(h)]
        ids = {i: self._assignment(h) for i, h in columns}
        changes = {}
        for row in rows[1:]:
            if "Points Possible" in row[0]:
                continue
            student = self._student(row)
            assert student is not None, f"Canvas: unknown student {row[:4]}"
            for i, aid in ids.items():
                new, old = row[i].strip(), self.grades.get((student, aid), "")
                if new == old or (new in ("", "-") and old in ("", "-")):
                    continue
                if new and old and _same_number(new, old):
                    continue
                changes[student, aid] = (old, new)
                self.grades[student, aid] = new
        return changes


def _same_number(a, b):
    try:
        return round(float(a), 2) == round(float(b), 2)
    except ValueError:
        return False
