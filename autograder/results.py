"""Result files: ``RESULTS_DIR/<student>.json`` (Gradescope results.json), ``scores.csv``
and ``passed-over.txt`` (every file of the last run's inputs that was not graded, and why).

Every write goes to a temporary file in the same folder and is then renamed over the
target (``os.replace``), so an interrupted batch never leaves a half-written result that
a rerun would trust.
"""
import ast
import csv
import io
import json
import os
import pathlib
import re
import tempfile

from . import course

SCORES_CSV = "scores.csv"
PASSED_OVER = "passed-over.txt"
# The CONTRACT's stable test categories (the reports count them) and those a TA should see flagged.
STATUSES = ("passed", "wrong shape", "wrong values", "modified input", "not implemented",
            "crashed", "timed out", "policy violation", "no submission")
FLAG_STATUSES = ("crashed", "policy violation", "timed out")
# Output strings are capped here as a last line of defence (the judge caps them first):
# a result file stays small whatever a submission prints.
MAX_OUTPUT_CHARS = 20_000
# A student id becomes a file name: letters/digits (any script), "_", "-", "+", "@", ".",
# and inner spaces; no separators, no leading dot, no control characters.
_SAFE_ID = re.compile(r"[^\W][\w.@+\- ]*")
_MAX_ID_LENGTH = 120
# Names the gradebook and Canvas read as its own rows and columns, never as a student.
RESERVED_IDS = {"points possible", "total", "student"}


class ResultsError(ValueError):
    """A result cannot be written (bad student id, unwritable folder); one-line message."""


def check_student_id(student):
    """Raise ``ResultsError`` unless ``student`` is safe as a file name in RESULTS_DIR."""
    if (not isinstance(student, str) or not _SAFE_ID.fullmatch(student) or student.endswith((" ", "."))
            or len(student) > _MAX_ID_LENGTH):
        raise ResultsError(
            f"student id {student!r} cannot be used as a result file name (use letters, digits, "
            f"'_', '-', '+', '@', '.', inner spaces, at most {_MAX_ID_LENGTH} characters, "
            "not starting with '.'); rename the submission file"
        )
    if student.casefold() in RESERVED_IDS:
        raise ResultsError(f"student id {student!r} is a gradebook row or column name; "
                           "rename the submission file")
    return student


def result_path(out_dir, student):
    return pathlib.Path(out_dir) / f"{check_student_id(student)}.json"


def write_result(out_dir, student, result):
    """Write one student's result atomically as JSON (sorted keys, 2-space indent)."""
    text = json.dumps(_capped(result), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"
    path = result_path(out_dir, student)
    _atomic_write(path, text, mode=0o600)   # private: one student's result is nobody else's business
    return path


def read_result(out_dir, student):
    """The stored result of ``student`` as a dict, or ``None`` if absent or unreadable."""
    try:
        data = json.loads(result_path(out_dir, student).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None   # a damaged file is simply graded again
    return data if isinstance(data, dict) else None


def iter_results(out_dir, assignment=None):
    """``(student, result)`` for every readable result file in ``out_dir``, by student.

    With ``assignment``, only results whose ``extra_data.assignment`` matches.
    """
    rows = []
    for path in sorted(pathlib.Path(out_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        extra = data.get("extra_data") if isinstance(data, dict) else None
        if not isinstance(extra, dict) or "tests" not in data:
            continue   # not one of our result files
        if assignment is not None and extra.get("assignment") != assignment:
            continue
        rows.append((str(extra.get("student", path.stem)), data))
    return sorted(rows, key=lambda row: row[0])


def known_ids(out_dir):
    """``{raw name: student id}`` of the results in ``out_dir``, so that a rerun into it gives
    every name the id it had (``submissions.ids.unique_ids``).

    The raw name is ``extra_data.raw_id``; a result written before that field existed gives
    it by its note ``name cleaned: 'RAW' is graded as ID``, else its id was the name itself.
    Unreadable files and ids that are not valid result file names are ignored.
    """
    known = {}
    for path in sorted(pathlib.Path(out_dir).glob("*.json")) if os.path.isdir(out_dir) else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            extra = data["extra_data"]
            student = check_student_id(extra.get("student", path.stem))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        raw = extra.get("raw_id")
        if not isinstance(raw, str):
            raw = next((_cleaned_from(note, student) for note in extra.get("notes") or []
                        if _cleaned_from(note, student) is not None), student)
        known.setdefault(raw, student)
    return known


_CLEANED = re.compile(r"^name cleaned: (?P<raw>'.*'|\".*\") is graded as (?P<student>.+)$", re.S)


def _cleaned_from(note, student):
    match = _CLEANED.match(note) if isinstance(note, str) else None
    if not match or match["student"] != student:
        return None
    try:
        return ast.literal_eval(match["raw"])
    except (ValueError, SyntaxError):
        return None


def write_passed_over(out_dir, rows):
    """Write ``passed-over.txt``: one line per file not graded, ``student: where: reason``.

    ``rows``: ``(student or "", PassedOver)`` pairs. Plain text, one line each (control
    characters in a file name are escaped), so no spreadsheet ever runs a cell of it.
    Returns the path written.
    """
    lines = [f"# {len(rows)} file(s) of the last run's inputs were not graded: student: file: reason"]
    for student, row in sorted(rows, key=lambda r: (r[0], r[1].where)):
        lines.append(_one_line(f"{student or '(no student)'}: {row.where}: {row.reason}"))
    path = pathlib.Path(out_dir) / PASSED_OVER
    _atomic_write(path, "\n".join(lines) + "\n")
    return path


def _one_line(text):
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", lambda m: f"\\x{ord(m.group()):02x}", text)


def function_points(result, functions):
    """Points earned per graded function: the sum of test scores whose ``tags[0]`` is it."""
    points = {name: 0.0 for name in functions}
    for test in result.get("tests", []):
        tags = test.get("tags") or []
        if tags and tags[0] in points:
            points[tags[0]] += float(test.get("score", 0.0))
    return points


def max_score(result):
    """The submission's maximum: the sum of its tests' ``max_score``."""
    return sum(float(t.get("max_score", 0.0)) for t in result.get("tests", []))


def write_scores(out_dir, assignment):
    """Rebuild ``scores.csv`` from every result of ``assignment`` in ``out_dir``.

    Columns: ``student,score,max_score`` then one per graded function in syllabus order.
    Returns the path written.
    """
    functions = course.load().lab(assignment).functions
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *functions])
    for student, result in iter_results(out_dir, assignment):
        per_function = function_points(result, functions)
        writer.writerow([student, _number(result.get("score", 0.0)), _number(max_score(result)),
                         *(_number(per_function[name]) for name in functions)])
    path = pathlib.Path(out_dir) / SCORES_CSV
    _atomic_write(path, buffer.getvalue())
    return path


def scores_students(path):
    """The ``student`` column of a ``scores.csv`` (``write_scores``'s), in file order."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [row[0] for row in list(csv.reader(handle))[1:] if row]


def _number(value):
    # Scores are sums of test points like 0.25: round away float noise, print "3.75", "10".
    return f"{round(float(value), 6):g}"


def _capped(value):
    """A copy of ``value`` with every string under an "output" key cut to MAX_OUTPUT_CHARS."""
    if isinstance(value, dict):
        return {k: (_cut(v) if k == "output" and isinstance(v, str) else _capped(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(v) for v in value]
    return value


def _cut(text):
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + f"\n... (cut: {len(text) - MAX_OUTPUT_CHARS} more characters)"


def _atomic_write(path, text, mode=0o644):
    path = pathlib.Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)   # mkstemp makes 0600; scores.csv is meant to be shared with TAs
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
