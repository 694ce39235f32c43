"""Reading the grader's result files (``RESULTS_DIR/<student>.json``) for the report.

Each file is checked against the result format of the plan (Gradescope's ``results.json``
plus ``extra_data``), so a stray JSON file or a hand-edited result fails with a message
that names the file instead of producing wrong grades.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..results import FLAG_STATUSES, STATUSES
from .errors import ReportError


@dataclass(frozen=True)
class Test:
    name: str
    number: str
    score: float
    max_score: float
    status: str
    output: str
    visibility: str
    function: str       # tags[0], the graded function ("" if untagged)


@dataclass(frozen=True)
class Result:
    path: Path
    student: str
    assignment: str
    score: float
    max_score: float
    output: str
    tests: tuple
    isolation: str
    kit_version: str
    flags: tuple        # sorted statuses among FLAG_STATUSES (file's flags + test statuses)
    late: object = None         # extra_data.late: True, False (known on time) or None (unknown)
    submitted_at: str = ""      # extra_data.submitted_at (ISO 8601) when known
    integrity: tuple = ()       # extra_data.integrity: what the worker saw the code attempt
    file: str = ""              # extra_data.file: the file graded


def _number(value):
    # bool is an int in Python; a result with "score": true is not the grader's.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _parse(data, path):
    """Check one decoded JSON document and turn it into a ``Result``."""
    def bad(why):
        return ReportError(f"{path}: not a dlgrade result file ({why})")

    if not isinstance(data, dict):
        raise bad("the top level is not an object")
    for key in ("score", "tests", "extra_data"):
        if key not in data:
            raise bad(f"no {key!r} field")
    extra = data["extra_data"]
    if not isinstance(extra, dict):
        raise bad("'extra_data' is not an object")
    for key in ("student", "assignment"):
        if not isinstance(extra.get(key), str) or not extra[key].strip():
            raise bad(f"'extra_data.{key}' is missing or not a string")
    if not _number(data["score"]):
        raise bad("'score' is not a number")
    if not _number(extra.get("max_score")) or extra["max_score"] <= 0:
        raise bad("'extra_data.max_score' is missing or not a positive number")
    if not isinstance(data["tests"], list):
        raise bad("'tests' is not a list")
    tests = []
    for i, raw in enumerate(data["tests"], 1):
        if not isinstance(raw, dict):
            raise bad(f"test {i} is not an object")
        for key in ("name", "status"):
            if not isinstance(raw.get(key), str):
                raise bad(f"test {i} has no string {key!r}")
        for key in ("score", "max_score"):
            if not _number(raw.get(key)):
                raise bad(f"test {i} has no numeric {key!r}")
        if raw["status"] not in STATUSES:
            raise bad(f"test {i} has unknown status {raw['status']!r}")
        if not 0 <= raw["score"] <= raw["max_score"] + 1e-9:
            raise bad(f"test {i} scores {raw['score']:g} out of {raw['max_score']:g}")
        tags = raw.get("tags") or []
        tests.append(Test(
            name=raw["name"], number=str(raw.get("number", i)), score=float(raw["score"]),
            max_score=float(raw["max_score"]), status=raw["status"],
            output=str(raw.get("output", "")), visibility=str(raw.get("visibility", "visible")),
            function=str(tags[0]) if tags else "",
        ))
    score, max_score = float(data["score"]), float(extra["max_score"])
    if not 0 <= score <= max_score + 1e-9:
        raise bad(f"score {score:g} is outside 0..{max_score:g}")
    if tests and abs(sum(t.score for t in tests) - score) > 1e-6:
        raise bad(f"score {score:g} is not the sum of its tests' scores ({sum(t.score for t in tests):g})")
    if tests and abs(sum(t.max_score for t in tests) - max_score) > 1e-6:
        raise bad(f"max_score {max_score:g} is not the sum of its tests' ({sum(t.max_score for t in tests):g})")
    flags = set(extra.get("flags") or []) | {t.status for t in tests}
    late = extra.get("late")
    if late not in (True, False, None):
        raise bad(f"'extra_data.late' is {late!r}, not true, false or null")
    integrity = extra.get("integrity") or []
    if not isinstance(integrity, list):
        raise bad("'extra_data.integrity' is not a list")
    return Result(
        path=path, student=extra["student"].strip(), assignment=extra["assignment"].strip(),
        score=score, max_score=max_score, output=str(data.get("output", "")), tests=tuple(tests),
        isolation=str(extra.get("isolation", "unknown")), kit_version=str(extra.get("kit_version", "")),
        flags=tuple(sorted(flags & set(FLAG_STATUSES))),
        late=late, submitted_at=str(extra.get("submitted_at") or ""),
        integrity=tuple(str(item) for item in integrity),
        file=str(extra.get("file") or ""),
    )


def _files(location):
    location = Path(location)
    if location.is_dir():
        # scores.csv and anything else that is not JSON is the grader's summary, not input.
        files = sorted(location.glob("*.json"))
        if not files:
            raise ReportError(f"{location}: no result files (*.json) in this folder")
        return files
    if location.is_file() and location.suffix == ".json":
        return [location]
    raise ReportError(f"{location}: not a results folder (no such folder)")


def load_results(locations, course):
    """Read every result file under ``locations`` (folders or single ``.json`` files).

    Returns a list of ``Result``. Raises ``ReportError`` for a file that is not a grader
    result, an assignment the syllabus does not know, or the same student's result for the
    same assignment found twice.
    """
    seen = {}
    results = []
    for location in locations:
        for path in _files(location):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ReportError(f"{path}: not a dlgrade result file (cannot read JSON: {exc})") from None
            result = _parse(data, path)
            if result.assignment not in course.labs:
                known = ", ".join(sorted(course.labs))
                raise ReportError(f"{path}: unknown assignment {result.assignment!r} "
                                  f"(the syllabus defines: {known})")
            key = (result.student, result.assignment)
            if key in seen:
                raise ReportError(f"{path}: a second result for student {result.student!r} in "
                                  f"{result.assignment} (the first is {seen[key]}); "
                                  "pass each assignment's results once")
            seen[key] = path
            results.append(result)
    return results
