"""Inside Gradescope: grade the upload with ``dlgrade grade`` and write ``results.json``.

``run_autograder`` (see ``gradescope_scripts``) calls

    python3 -m autograder.labs.gradescope_run --assignment week09 --visibility visible \\
        [--isolation LEVEL] --root /autograder

which picks the submitted file by the kit's one-file rule, grades it with ``dlgrade grade``
(the same grader and points as on a laptop), and turns the result into Gradescope's
``results.json``: Gradescope's passed/failed status (dlgrade's category moves to the test's
``extra_data``), the visibility chosen when the zip was built for every test and for the
top-level output, and a first line that names the file graded and the files passed over.
Outputs are Markdown (``output_format``/``test_output_format`` ``md``, Gradescope's
results.json spec, gradescope-autograders.readthedocs.io/en/latest/specs/) so the feedback's
```python blocks render as code; every other line ends in a hard line break, so the
feedback's lines stay lines.

Gradescope's layout: ``ROOT/submission/`` (the upload), ``ROOT/results/results.json`` (what
Gradescope reads), ``ROOT/submission_metadata.json`` (the submission time and due date).
"""
import argparse
import datetime
import json
import pathlib
import re
import subprocess
import sys
import tempfile

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
# When students see test details and scores, for the top-level message (Gradescope's terms).
WHEN = {"after_due_date": "after the due date",
        "after_published": "when your instructor publishes the grades",
        "hidden": "by your instructor (they are not shown on Gradescope)"}
MARKDOWN = "md"   # Gradescope's name for Markdown output


def choose_submission(folder, assignment):
    """The kit's one-file rule (``autograder.submissions.choose``, the same as ``dlgrade
    grade``) over the upload's regular files, as paths relative to ``folder``: returns its
    ``Choice``. Symbolic links (to files or folders) are never followed: a link to a file
    outside the upload (the kit's reference code) is not a candidate (``sources.folder_entries``)."""
    from ..submissions import SubmissionError, choose
    from ..submissions.notebooks import looks_like_notebook
    from ..submissions.sources import folder_entries

    try:
        entries = {entry.name: entry for entry in folder_entries(folder)}
    except SubmissionError:                 # no upload folder at all: nothing to grade
        entries = {}

    def is_notebook(relative):
        try:
            return looks_like_notebook(entries[relative].head())
        except OSError:
            return False

    return choose(sorted(entries), assignment, is_notebook=is_notebook)


def submission_time(root):
    """``(submitted_at, late)`` from Gradescope's ``submission_metadata.json``: the upload time
    (ISO 8601) and whether it is after the assignment's due date (None when unknown)."""
    try:
        meta = json.loads((pathlib.Path(root) / "submission_metadata.json").read_text(encoding="utf-8"))
        created, due = meta.get("created_at"), (meta.get("assignment") or {}).get("due_date")
    except (OSError, ValueError, AttributeError):
        return None, None
    parse = _parse_time
    when, deadline = parse(created), parse(due)
    if when is None:
        return None, None
    late = None if deadline is None else when > deadline
    return when.isoformat(), late


def _parse_time(text):
    if not isinstance(text, str):
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None     # comparing needs offsets on both sides


def top_output(result_output, assignment, visibility, graded, reason, passed_over):
    """The student-facing top-level output. With tests not ``visible`` it names no test or
    function score: the judge's score line (``week09: 3 / 5 points. conv2d 1/2 ...``) is
    dropped and the student is told when details come."""
    lines = [f"Graded: {graded} ({reason})."]
    if passed_over:
        lines.append("Not graded: " + ", ".join(str(p) for p in passed_over) + ".")
    score_line = re.compile(rf"^\s*{re.escape(assignment)}: .*\bpoints\b")
    for line in (result_output or "").splitlines():
        if visibility != "visible" and score_line.match(line):
            continue
        lines.append(line)
    if visibility != "visible":
        lines.append(f"Your score and the feedback on each test will be shown {WHEN[visibility]}.")
    return "\n".join(lines)


# Student text (exception messages, printed output, file names) reaches the feedback, so outside
# the kit's own fenced blocks every ASCII punctuation character is backslash-escaped (CommonMark
# lets a backslash escape each): a message can show "[regrade](http://...)" but never make it a link.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_FENCE_OPEN = re.compile(r"^```[^`]*$")          # the kit's blocks: ```python at column 0
_FENCE_CLOSE = re.compile(r"^ {0,3}`{3,}\s*$")   # what CommonMark accepts as their end


def to_markdown(text):
    """Plain feedback -> Markdown that shows exactly the same text: fenced blocks are kept as
    they are; every other line is escaped and gets a hard line break (two trailing spaces) so
    Markdown does not join the lines into one paragraph."""
    out, in_fence = [], False
    for line in (text or "").splitlines():
        if in_fence:
            in_fence = not _FENCE_CLOSE.match(line)
            out.append(line)
        elif _FENCE_OPEN.match(line):
            in_fence = True
            out.append(line)
        elif not line.strip():
            out.append("")
        else:
            out.append(_PUNCTUATION.sub(r"\\\1", line.rstrip()) + "  ")
    return "\n".join(out)


def to_gradescope(result, assignment, visibility, graded, reason, passed_over, submitted):
    """dlgrade's result -> Gradescope's results.json (scores untouched)."""
    for test in result.get("tests", []):
        test["extra_data"] = {"status": test["status"]}
        test["status"] = "passed" if test["status"] == "passed" else "failed"
        test["visibility"] = visibility
        test["output"] = to_markdown(test.get("output", ""))
    result["visibility"] = visibility
    result["stdout_visibility"] = "hidden"
    result["output_format"] = result["test_output_format"] = MARKDOWN
    result["output"] = to_markdown(
        top_output(result.get("output", ""), assignment, visibility, graded, reason, passed_over))
    extra = result.setdefault("extra_data", {})
    extra["file"] = str(graded)
    extra["notes"] = [f"passed over: {p}" for p in passed_over] + list(extra.get("notes") or [])
    submitted_at, late = submitted
    if submitted_at:
        extra["submitted_at"] = submitted_at
    if late is not None:
        extra["late"] = late
    return result


def zero(message):
    return {"score": 0, "output": message, "tests": [], "stdout_visibility": "hidden"}


def grade(root, assignment, visibility, isolation=None):
    """Grade ``root/submission``; returns the results.json dict (never raises for bad uploads)."""
    choice = choose_submission(pathlib.Path(root) / "submission", assignment)
    if choice.file is None:
        return zero(choice.problem[:1].upper() + choice.problem[1:] + ".")
    chosen, reason, passed_over = pathlib.PurePosixPath(choice.file), choice.rule, list(choice.passed_over)
    path = pathlib.Path(root) / "submission" / chosen
    with tempfile.TemporaryDirectory() as out:
        command = ["dlgrade", "grade", "--assignment", assignment, "--jobs", "1",
                   "--visibility", visibility, "--out", out]
        if isolation:
            command += ["--isolation", isolation]
        proc = subprocess.run([*command, str(path)], capture_output=True, text=True)
        sys.stderr.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            return zero(f"The grader could not run on {chosen.name}; please tell your instructor.")
        results = sorted(pathlib.Path(out).glob("*.json"))
        if len(results) != 1:
            return zero(f"The grader wrote no result for {chosen.name}; please tell your instructor.")
        result = json.loads(results[0].read_text(encoding="utf-8"))
    return to_gradescope(result, assignment, visibility, chosen, reason, passed_over, submission_time(root))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.labs.gradescope_run")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible")
    parser.add_argument("--isolation")
    parser.add_argument("--root", default="/autograder")
    args = parser.parse_args(argv)
    result = grade(args.root, args.assignment, args.visibility, args.isolation)
    target = pathlib.Path(args.root) / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
