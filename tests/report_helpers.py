"""Builders for the report tests: result files in the plan's format with chosen numbers."""
import csv
import json

WEEK08_FUNCS = ("relu", "dense", "softmax")
WEEK09_FUNCS = ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward")


def make_test(function, number, score, max_score, status="passed", output="", visibility="after_published"):
    return {"name": f"{function}: property {number}", "number": number, "score": score,
            "max_score": max_score, "status": status, "output": output,
            "visibility": visibility, "tags": [function]}


def write_result(folder, student, assignment, tests, max_score=None, output="",
                 isolation="namespaces+uid", flags=None, name=None):
    """Write ``folder/<student>.json`` with the given tests; score = sum of test scores."""
    folder.mkdir(parents=True, exist_ok=True)
    score = sum(t["score"] for t in tests)
    if max_score is None:
        max_score = sum(t["max_score"] for t in tests)
    if flags is None:
        flags = sorted({t["status"] for t in tests} & {"timed out", "crashed", "policy violation"})
    data = {"score": score, "output": output, "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"student": student, "assignment": assignment, "kit_version": "0.1.0",
                           "isolation": isolation, "max_score": max_score,
                           "submission_sha256": "0" * 64,
                           "options": {"timeout": 60.0, "visibility": "after_published"},
                           "flags": flags}}
    path = folder / f"{name or student}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def simple_result(folder, student, assignment, earned, total, **kw):
    """One test carrying the whole score: ``earned`` of ``total`` raw points."""
    function = WEEK08_FUNCS[0] if assignment == "week08" else WEEK09_FUNCS[0]
    status = "passed" if earned == total else "wrong values"
    return write_result(folder, student, assignment,
                        [make_test(function, "1.1", earned, total, status)], **kw)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


ROSTER_HEADER = ["student", "name", "sis_user_id", "sis_login_id", "section"]
