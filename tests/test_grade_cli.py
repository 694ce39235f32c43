"""``dlgrade grade`` batch behaviour and the result files, with a stand-in judge.

The stand-in (written to a temp folder and named through ``grade.JUDGE_MODULE``) gives the
points of a function when the code defines it, logs each call to a file (so calls made in
pool processes are counted too) raises when the code contains ``BOOM`` and kills its own process on ``DIE``. One end-to-end
test uses the real judge once it exists.
"""
import csv
import json
import os
import pathlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import __version__, cli, course, grade, results

ROOT = Path(__file__).resolve().parent.parent

FAKE_JUDGE = '''
import os
POINTS = {"relu": 2.0, "dense": 4.0, "softmax": 4.0}

def grade(submission, assignment, *, timeout=60.0, visibility="after_published", limits=None,
          load_timeout=None):
    with open(os.environ["FAKE_JUDGE_LOG"], "a") as log:
        log.write(submission.student + "\\n")
    code = "".join(c.source for c in submission.cells)
    if "BOOM" in code:
        raise RuntimeError("judge bug for testing")
    if "DIE" in code:
        os._exit(3)   # the judge process itself dies (never happens in-process here)
    tests = []
    for number, (fn, points) in enumerate(POINTS.items(), start=1):
        ok = f"def {fn}" in code
        tests.append({"name": f"{fn}: works", "number": str(number), "score": points if ok else 0.0,
                      "max_score": points, "status": "passed" if ok else "not implemented",
                      "output": "", "visibility": visibility, "tags": [fn]})
    return {"score": sum(t["score"] for t in tests), "output": "", "stdout_visibility": "hidden",
            "tests": tests, "extra_data": {"isolation": "fake", "max_score": 10.0, "flags": []}}
'''

RELU = "def relu(x):\n    return x * (x > 0)\n"
DENSE = "def dense(x, kernel, bias=None):\n    return x @ kernel\n"
SOFTMAX = "def softmax(x):\n    return x\n"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Install the stand-in judge; returns a function giving the students graded so far."""
    judge_dir = tmp_path / "fakejudge"
    judge_dir.mkdir()
    (judge_dir / "fake_judge_h3b.py").write_text(FAKE_JUDGE)
    log = tmp_path / "calls.log"
    log.write_text("")
    monkeypatch.syspath_prepend(str(judge_dir))
    monkeypatch.setenv("FAKE_JUDGE_LOG", str(log))
    monkeypatch.setattr(grade, "JUDGE_MODULE", "fake_judge_h3b")
    monkeypatch.setattr(grade, "_isolation", lambda accepted=None: ("namespaces+uid", None))
    return lambda: log.read_text().split()


@pytest.fixture
def folder(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(RELU + DENSE + SOFTMAX)
    (subs / "bob.py").write_text(RELU)
    (subs / "carol.py").write_text(DENSE + SOFTMAX)
    return subs


REAL_ISOLATION = grade._isolation


def run_grade(out, *inputs, extra=()):
    return cli.main(["grade", "--assignment", "week08", "--out", str(out), "--jobs", "1",
                     *extra, *map(str, inputs)])


def read_scores(out):
    with open(out / "scores.csv", newline="") as handle:
        return list(csv.reader(handle))


# ------------------------------------------------------------------ results.py


def test_result_file_is_sorted_indented_json_and_atomic(tmp_path):
    result = {"tests": [], "score": 1.5, "extra_data": {"student": "zoe", "assignment": "week08"}}
    path = results.write_result(tmp_path, "zoe", result)
    assert path == tmp_path / "zoe.json"
    assert path.read_text() == json.dumps(result, sort_keys=True, indent=2) + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["zoe.json"]   # no temp file left behind
    assert results.read_result(tmp_path, "zoe") == result
    (tmp_path / "zoe.json").write_text("{ half a file")
    assert results.read_result(tmp_path, "zoe") is None            # damaged -> regraded


def test_long_outputs_are_cut(tmp_path):
    long = "x" * (results.MAX_OUTPUT_CHARS + 500)
    results.write_result(tmp_path, "amy", {"output": long, "tests": [{"output": long}]})
    data = results.read_result(tmp_path, "amy")
    for text in (data["output"], data["tests"][0]["output"]):
        assert len(text) < results.MAX_OUTPUT_CHARS + 100 and "500 more characters" in text


@pytest.mark.parametrize("student", ["../evil", ".hidden", "a/b", "a\\b", "", "x\n", "-rf", "a" * 200, "end."])
def test_unsafe_student_ids_are_refused(tmp_path, student):
    with pytest.raises(results.ResultsError, match="cannot be used as a result file name"):
        results.write_result(tmp_path, student, {"tests": []})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("student", ["alice", "123456", "José García", "o.brien", "a_b-c+d@x"])
def test_ordinary_student_ids_are_accepted(student):
    assert results.check_student_id(student) == student


def test_scores_csv_layout(tmp_path):
    def test(fn, score, max_score):
        return {"tags": [fn], "score": score, "max_score": max_score, "status": "passed"}

    results.write_result(tmp_path, "bob", {"score": 2.75, "tests": [
        test("softmax", 0.75, 1.0), test("relu", 1.0, 1.0), test("relu", 1.0, 2.0), test("dense", 0.0, 6.0)],
        "extra_data": {"student": "bob", "assignment": "week08"}})
    results.write_result(tmp_path, "alice", {"score": 10.0, "tests": [
        test("dense", 6.0, 6.0), test("relu", 3.0, 3.0), test("softmax", 1.0, 1.0)],
        "extra_data": {"student": "alice", "assignment": "week08"}})
    results.write_result(tmp_path, "carl", {"score": 5.0, "tests": [test("conv2d", 5.0, 5.0)],
                                            "extra_data": {"student": "carl", "assignment": "week09"}})
    (tmp_path / "notes.json").write_text('{"not": "a result"}')
    results.write_scores(tmp_path, "week08")
    assert course.load().lab("week08").functions == ("relu", "dense", "softmax")
    # By hand: bob relu 1.0 + 1.0 = 2, dense 0, softmax 0.75; max 1 + 1 + 2 + 6 = 10.
    # carl (week09) and notes.json are not week08 results.
    assert read_scores(tmp_path) == [
        ["student", "score", "max_score", "relu", "dense", "softmax"],
        ["alice", "10", "10", "3", "6", "1"],
        ["bob", "2.75", "10", "2", "0", "0.75"],
    ]


def test_grader_fingerprint_follows_grading_files(tmp_path, monkeypatch):
    suite = tmp_path / "suites"
    suite.mkdir()
    (suite / "week08.py").write_text("WEIGHT = 1\n")
    (suite / "notes.txt").write_text("not hashed")
    monkeypatch.setattr(grade, "_PACKAGE", tmp_path)
    monkeypatch.setattr(grade, "GRADER_FILES", (suite, tmp_path / "judge.py"))
    fingerprint = grade.grader_fingerprint.__wrapped__
    first = fingerprint()
    (suite / "notes.txt").write_text("changed, still not hashed")
    assert fingerprint() == first
    (suite / "week08.py").write_text("WEIGHT = 2\n")
    assert fingerprint() != first
    assert grade.grader_fingerprint() == grade.grader_fingerprint()   # the real one is stable


# ------------------------------------------------------------------ the grade verb


def test_grades_a_folder_and_writes_results_and_scores(tmp_path, fake, folder, capsys):
    out = tmp_path / "out"
    assert run_grade(out, folder) == 0
    assert sorted(fake()) == ["alice", "bob", "carol"]
    alice = json.loads((out / "alice.json").read_text())
    assert alice["score"] == 10.0
    extra = alice["extra_data"]
    assert extra["student"] == "alice" and extra["assignment"] == "week08"
    assert extra["kit_version"] == __version__ and extra["isolation"] == "namespaces+uid"  # the level the batch detected
    assert extra["options"] == {"timeout": 60.0, "visibility": "after_published", "load_timeout": 60.0,
                                "grader": grade.grader_fingerprint()}
    assert extra["submission_sha256"] == results_sha(folder / "alice.py")
    # bob has relu (2 points), carol dense + softmax (4 + 4), per the stand-in's points.
    assert read_scores(out)[1:] == [["alice", "10", "10", "2", "4", "4"],
                                    ["bob", "2", "10", "2", "0", "0"],
                                    ["carol", "8", "10", "0", "4", "4"]]
    stdout = capsys.readouterr().out
    assert "isolation: namespaces+uid" in stdout
    assert "3 graded, 0 cached" in stdout and "mean score 6.67 / 10" in stdout   # (10+2+8)/3
    assert str(out / "scores.csv") in stdout


def results_sha(path):
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerun_skips_unchanged_students_and_force_regrades(tmp_path, fake, folder, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_grade(out, folder) == 0
    first = {p.name: p.read_text() for p in out.glob("*.json")}
    assert run_grade(out, folder) == 0
    assert len(fake()) == 3                                    # nothing regraded
    assert "0 graded, 3 cached" in capsys.readouterr().out
    (folder / "bob.py").write_text(RELU + DENSE)               # bob resubmits
    assert run_grade(out, folder) == 0
    assert fake()[3:] == ["bob"]
    assert run_grade(out, folder, extra=["--timeout", "30"]) == 0   # options changed
    assert sorted(fake()[4:]) == ["alice", "bob", "carol"]
    assert run_grade(out, folder, extra=["--timeout", "30", "--force"]) == 0
    assert len(fake()) == 10
    assert run_grade(out, folder, extra=["--timeout", "30", "--visibility", "visible"]) == 0
    assert len(fake()) == 13
    real_fingerprint = grade.grader_fingerprint
    monkeypatch.setattr(grade, "grader_fingerprint", lambda: "a-fixed-hidden-test")
    assert run_grade(out, folder, extra=["--timeout", "30", "--visibility", "visible"]) == 0
    assert len(fake()) == 16                                   # grading code changed
    monkeypatch.setattr(grade, "grader_fingerprint", real_fingerprint)
    # Same input, same options: byte-identical results (no timestamps, no temp paths).
    assert run_grade(out, folder, extra=["--force"]) == 0
    assert {p.name: p.read_text() for p in out.glob("*.json")}["alice.json"] == first["alice.json"]


def test_a_judge_error_costs_one_result_not_the_batch(tmp_path, fake, folder, capsys):
    (folder / "dan.py").write_text("BOOM = 1\n" + RELU)
    out = tmp_path / "out"
    assert run_grade(out, folder) == 0
    dan = json.loads((out / "dan.json").read_text())
    assert dan["score"] == 0.0
    assert {t["status"] for t in dan["tests"]} == {"crashed"}
    assert sum(t["max_score"] for t in dan["tests"]) == pytest.approx(course.load().lab("week08").points)
    assert dan["output"].startswith("internal grader error: RuntimeError: judge bug for testing")
    assert "judge bug for testing" in (out / grade.ERROR_LOG).read_text()
    assert "internal grader error" in capsys.readouterr().err
    assert [row[0] for row in read_scores(out)[1:]] == ["alice", "bob", "carol", "dan"]
    assert run_grade(out, folder) == 0     # a grader-error result is never reused
    assert fake().count("dan") == 2 and fake().count("alice") == 1


def test_parallel_jobs_grade_everyone(tmp_path, fake, folder):
    out = tmp_path / "out"
    assert cli.main(["grade", "--assignment", "week08", "--out", str(out), "--jobs", "2", str(folder)]) == 0
    assert sorted(fake()) == ["alice", "bob", "carol"]
    assert [row[1] for row in read_scores(out)[1:]] == ["10", "2", "8"]


def test_a_dying_judge_process_is_named_and_the_others_graded(tmp_path, fake, folder):
    (folder / "dan.py").write_text("DIE = 1\n" + RELU)
    out = tmp_path / "out"
    assert cli.main(["grade", "--assignment", "week08", "--out", str(out), "--jobs", "2", str(folder)]) == 0
    assert [row[1] for row in read_scores(out)[1:]] == ["10", "2", "8", "0"]
    dan = json.loads((out / "dan.json").read_text())
    assert "internal grader error" in dan["output"] and "died" in dan["output"]


def test_weak_isolation_is_refused_unless_accepted(tmp_path, fake, folder, monkeypatch, capsys):
    from autograder import sandbox
    monkeypatch.setattr(grade, "_isolation", REAL_ISOLATION)   # the real decision, on a faked machine
    monkeypatch.setattr(sandbox, "isolation_level", lambda: "uid-nocgroup")
    monkeypatch.setattr(sandbox, "pin_level", lambda level, root=None: None)
    monkeypatch.setattr(sandbox.launch, "batch_root", lambda level: None)
    out = tmp_path / "out"
    assert run_grade(out, folder) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--isolation uid-nocgroup" in err[0] and "'uid-nocgroup'" in err[0], err
    assert not list(out.glob("*.json"))   # stopped before grading
    # a stronger level than the machine offers is not accepted either
    assert run_grade(out, folder, extra=("--isolation", "uid")) == 2
    capsys.readouterr()
    assert run_grade(out, folder, extra=("--isolation", "uid-nocgroup")) == 0
    assert "isolation: uid-nocgroup" in capsys.readouterr().out
    assert {json.loads(p.read_text())["extra_data"]["isolation"] for p in out.glob("*.json")} == {"uid-nocgroup"}


def test_any_file_name_gives_a_clean_student_id(tmp_path, fake, capsys):
    """Names a result file cannot hold are cleaned, never refused; the result names the file."""
    for name in ("-rf.py", "Points Possible.py", "total.py"):
        (tmp_path / name).write_text(RELU)
    out = tmp_path / "out"
    assert run_grade(out, *(tmp_path / n for n in ("-rf.py", "Points Possible.py", "total.py"))) == 0
    assert sorted(fake()) == ["Points_Possible", "rf", "total_"]
    for student, file in (("rf", "-rf.py"), ("Points_Possible", "Points Possible.py"), ("total_", "total.py")):
        extra = json.loads((out / f"{student}.json").read_text())["extra_data"]
        assert extra["file"] == file and any("name cleaned" in n for n in extra["notes"])


@pytest.mark.parametrize("args, message", [
    (["--assignment", "week99", "--out", "OUT", "SUB"], "unknown assignment 'week99'; the syllabus defines: week08, week09"),
    (["--assignment", "week08", "--out", "OUT", "MISSING"], "no such file or folder"),
    (["--assignment", "week08", "--out", "OUT", "--timeout", "0", "SUB"], "positive number of seconds"),
    (["--assignment", "week08", "--out", "OUT", "--timeout", "-3", "SUB"], "positive number of seconds"),
    (["--assignment", "week08", "--out", "OUT", "--jobs", "0", "SUB"], "must be at least 1"),
    (["--assignment", "week08", "--out", "OUT"], "required: SUBMISSION"),
])
def test_usage_errors_exit_2_with_one_line_and_no_traceback(tmp_path, args, message):
    sub = tmp_path / "alice.py"
    sub.write_text(RELU)
    args = [str(sub) if a == "SUB" else str(tmp_path / "out") if a == "OUT"
            else str(tmp_path / "missing.py") if a == "MISSING" else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("dlgrade grade: error:") and message in last
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ with the real judge


def test_end_to_end_correct_and_stub(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "good.py").write_text(
        "import numpy as np\n"
        "def relu(x):\n    return np.maximum(x, 0)\n"
        "def dense(x, kernel, bias=None):\n"
        "    y = x @ kernel\n    return y if bias is None else y + bias\n"
        "def softmax(x):\n"
        "    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n")
    (subs / "stub.py").write_text(
        "def relu(x):\n    ...\n"
        "def dense(x, kernel, bias=None):\n    ...\n"
        "def softmax(x):\n    ...\n")
    # The same correct code as a noisy notebook in a Canvas zip: magics, a shell line, a
    # failing plotting import, a cell magic.
    import nbformat
    import zipfile
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy\nimport matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell((subs / "good.py").read_text()),
        nbformat.v4.new_code_cell("%%bash\nls /"),
        nbformat.v4.new_code_cell("plt.plot(relu(np.arange(-2, 3)))"),
    ])
    with zipfile.ZipFile(tmp_path / "canvas.zip", "w") as archive:
        archive.writestr("doejane_LATE_4242_99_lab8.ipynb", nbformat.writes(notebook))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "week08",
                           "--out", str(out), "--jobs", "2", str(subs), str(tmp_path / "canvas.zip")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    points = course.load().lab("week08").points
    good = json.loads((out / "good.json").read_text())
    stub = json.loads((out / "stub.json").read_text())
    assert good["score"] == pytest.approx(points)
    assert sum(t["max_score"] for t in good["tests"]) == pytest.approx(points)
    assert stub["score"] == 0
    assert {t["status"] for t in stub["tests"]} == {"not implemented"}
    rows = {row[0]: row for row in read_scores(out)[1:]}
    assert sorted(rows) == ["4242", "good", "stub"]
    for student, score in (("4242", points), ("good", points), ("stub", 0)):
        assert rows[student][1:3] == [f"{score:g}", f"{points:g}"]
        assert sum(float(v) for v in rows[student][3:]) == pytest.approx(score)  # columns add up
    notebook_result = json.loads((out / "4242.json").read_text())
    assert notebook_result["score"] == pytest.approx(points)
    assert "cell 1" in notebook_result["output"] and "matplotlib" in notebook_result["output"]


# ------------------------------------------------------------------ intake through the CLI


def test_a_results_folder_belongs_to_one_assignment(tmp_path, fake, folder, capsys):
    out = tmp_path / "out"
    assert run_grade(out, folder) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    code = cli.main(["grade", "--assignment", "week09", "--out", str(out), "--jobs", "1", str(folder)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "holds results of week08" in err[0] and "week09" in err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before     # nothing written
    assert run_grade(out, folder) == 0                                   # the same assignment: fine


def test_a_student_without_a_gradable_file_gets_a_no_submission_result(tmp_path, fake, capsys):
    subs = tmp_path / "subs"
    (subs / "dana").mkdir(parents=True)
    (subs / "dana" / "a.py").write_text(RELU)
    (subs / "dana" / "b.py").write_text(DENSE)          # two .py files: no rule decides
    (subs / "eve.html").write_text("<html>exported notebook</html>")
    (subs / "alice.py").write_text(RELU + DENSE + SOFTMAX)
    (subs / "fay").mkdir()
    (subs / "fay" / "week08.ipynb").write_text(_nb(RELU))
    (subs / "fay" / "scratch.py").write_text(DENSE)     # passed over: the notebook is named like the lab
    out = tmp_path / "out"
    assert run_grade(out, subs) == 0
    assert sorted(fake()) == ["alice", "fay"]           # no sandbox for the others
    for student, named in (("dana", ("a.py", "b.py")), ("eve", ("eve.html",))):
        result = json.loads((out / f"{student}.json").read_text())
        assert result["score"] == 0 and result["extra_data"]["file"] is None
        assert {t["status"] for t in result["tests"]} == {"no submission"}
        assert sum(t["max_score"] for t in result["tests"]) == pytest.approx(10)
        assert all(name in result["output"] for name in named)
    assert json.loads((out / "alice.json").read_text())["score"] == 10
    summary = capsys.readouterr().out
    # Every file not graded counts, those of students with no submission too (a.py, b.py, eve.html).
    assert ("4 student(s): 2 graded, 0 cached, 2 no submission (dana, eve); 4 file(s) passed over "
            "(see passed-over.txt)") in summary
    listed = (out / "passed-over.txt").read_text().splitlines()[1:]
    assert sorted(line.split(": ")[0] for line in listed) == ["dana", "dana", "eve", "fay"]
    assert any(line.startswith(f"fay: {subs / 'fay' / 'scratch.py'}: week08.ipynb was graded instead")
               for line in listed)
    fay = json.loads((out / "fay.json").read_text())["extra_data"]
    assert fay["file"] == "week08.ipynb" and any("passed over: scratch.py" in n for n in fay["notes"])
    rows = {row[0]: row[1] for row in read_scores(out)[1:]}
    assert rows == {"alice": "10", "dana": "0", "eve": "0", "fay": "2"}


# A random class: students handing in correct, broken and odd files in every layout.
_KINDS = {
    "notebook": lambda: _nb(RELU + DENSE + SOFTMAX),
    "py": lambda: RELU + DENSE,
    "broken json": lambda: '{"cells": [',
    "latin-1": lambda: _nb(RELU).encode("utf-8").replace(b"relu", b"rel\xe9", 1),
    "deep json": lambda: '{"cells": [], "x": ' + "[" * 500 + "]" * 500 + "}",
    "html": lambda: "<html></html>",
    "syntax error": lambda: RELU + "def dense(x,\n" + SOFTMAX,
}


def _nb(source):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": source, "outputs": []}]})


_EXT = {"notebook": ".ipynb", "latin-1": ".ipynb", "broken json": ".ipynb", "deep json": ".ipynb",
        "html": ".html", "py": ".py", "syntax error": ".py"}


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(students=st.lists(st.tuples(st.sampled_from(["ada", "Ada", "bo (1)", "c.d", "é", "x y", "-z"]),
                                   st.sampled_from(["file", "folder", "canvas"]),
                                   st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=3)),
                         min_size=1, max_size=6, unique_by=lambda s: s[0]),
       as_zip=st.booleans())
def test_any_class_gives_one_result_per_student_and_exit_0(tmp_path, fake, students, as_zip):
    import tempfile
    import zipfile
    from autograder import submissions

    root = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    files, expected = {}, set()
    for number, (name, layout, kinds) in enumerate(students):
        if layout == "file":                    # one file only: the student is the file
            files[f"{name}{_EXT[kinds[0]]}"] = _KINDS[kinds[0]]()
            expected.add(name)
        elif layout == "folder":
            for i, kind in enumerate(kinds):
                files[f"{name}/sub/{kind.replace(' ', '_')}{i}{_EXT[kind]}"] = _KINDS[kind]()
            expected.add(name)
        else:
            for i, kind in enumerate(kinds):
                files[f"{name.replace(' ', '')}_{100 + number}_{900 + i}_week08-{i}{_EXT[kind]}"] = _KINDS[kind]()
            expected.add(str(100 + number))
    inputs = root / "class"
    for relative, content in files.items():
        path = inputs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if as_zip:
        with zipfile.ZipFile(root / "class.zip", "w") as archive:
            for relative, content in files.items():
                archive.writestr(relative, content)
        inputs = root / "class.zip"
    batch = submissions.collect([inputs], assignment="week08")
    ids = [s.student for s in batch]
    assert len(ids) == len(expected) == len({i.casefold() for i in ids})   # one each, never shared
    out = root / "out"
    assert run_grade(out, inputs) == 0
    written = sorted(p.stem for p in out.glob("*.json"))
    assert written == sorted(ids)
    for student in ids:
        result = json.loads((out / f"{student}.json").read_text())
        assert result["extra_data"]["student"] == student and result["tests"]
