"""The Gradescope autograder zip, run in a simulated /autograder layout.

Gradescope unpacks the zip into ``autograder/source``, puts the upload in
``autograder/submission`` and reads ``autograder/results/results.json``. Here that tree
lives in a temp folder (``DLGRADE_GRADESCOPE_ROOT``) and ``run_autograder`` finds this
venv's ``dlgrade`` on the PATH (setup.sh's apt/pip install is not run, only syntax-checked).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile
from html import escape, unescape

import markdown_it
import pytest

from autograder import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = pathlib.Path(sys.executable).parent

# A .py submission with a correct flatten and nothing else: a score strictly between 0 and 5.
PARTLY_DONE = '''
import numpy as np

def flatten(x):
    return np.asarray(x).reshape(len(x), -1)

def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    raise NotImplementedError
'''


@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / "week09-gradescope.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out)]) == 0
    return out


def simulate(zip_path, tmp_path, files, metadata=None, path_first=None):
    """Unzip into <tmp>/autograder/source, submit ``files`` ({name: text}), run run_autograder."""
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    path = os.pathsep.join(str(p) for p in (path_first, VENV_BIN, os.environ["PATH"]) if p)
    env = dict(os.environ, DLGRADE_GRADESCOPE_ROOT=str(root), PATH=path)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return read_as_student(json.loads((root / "results" / "results.json").read_text()))


def read_as_student(result):
    """Gradescope shows ``md`` outputs rendered: the tests read their text as a student does."""
    if result.get("output_format") == "md":
        for item in [result, *result.get("tests", [])]:
            item["output"] = "\n".join(_rendered_lines(item.get("output", "")))
    return result


def local_grade(path, tmp_path):
    out = tmp_path / "local"
    proc = subprocess.run([str(VENV_BIN / "dlgrade"), "grade", "--assignment", "week09", "--jobs", "1",
                           "--out", str(out), str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / f"{path.stem}.json").read_text())


def test_zip_holds_the_scripts_and_the_kit_only(gradescope_zip, tmp_path):
    with zipfile.ZipFile(gradescope_zip) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        zf.extractall(tmp_path)
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert {"dlgrade/pyproject.toml", "dlgrade/autograder/cli.py", "dlgrade/reference/conv.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.startswith(("dlgrade/solutions", "dlgrade/tests"))]
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    assert 'ASSIGNMENT="week09"' in (tmp_path / "run_autograder").read_text()
    # Only the grader's core dependencies get installed: no TensorFlow, no otter.
    setup = (tmp_path / "setup.sh").read_text()
    assert "pip install -q /autograder/source/dlgrade\n" in setup and "tensorflow" not in setup


def test_zip_is_reproducible(gradescope_zip, tmp_path):
    again = tmp_path / "again.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(again)]) == 0
    assert again.read_bytes() == gradescope_zip.read_bytes()


def test_unknown_assignment_is_one_clear_line(tmp_path, capsys):
    assert cli.main(["gradescope", "--assignment", "week99", "--out", str(tmp_path / "x.zip")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown assignment 'week99'" in err


@pytest.mark.parametrize("name, text", [
    ("week09.ipynb", (ROOT / "solutions" / "week09" / "week09.ipynb").read_text()),
    ("week09.ipynb", (ROOT / "assignments" / "week09" / "week09.ipynb").read_text()),
    ("my_lab.py", PARTLY_DONE),
], ids=["solution", "untouched", "partly-done-py"])
def test_gradescope_score_equals_the_local_score(gradescope_zip, tmp_path, name, text):
    result = simulate(gradescope_zip, tmp_path, {name: text})
    local = local_grade(tmp_path / "autograder" / "submission" / name, tmp_path)
    assert result["score"] == local["score"]
    # Gradescope's status vocabulary is passed/failed; dlgrade's category rides in extra_data.
    assert [(t["name"], t["score"], t["max_score"], t["extra_data"]["status"]) for t in result["tests"]] == \
        [(t["name"], t["score"], t["max_score"], t["status"]) for t in local["tests"]]
    assert {t["status"] for t in result["tests"]} <= {"passed", "failed"}
    assert all((t["status"] == "passed") == (t["extra_data"]["status"] == "passed") for t in result["tests"])
    assert sum(t["max_score"] for t in result["tests"]) == 5
    if name == "my_lab.py":
        assert 0 < result["score"] < 5


def test_prefers_the_assignment_notebook_over_other_files(gradescope_zip, tmp_path):
    solution = (ROOT / "solutions" / "week09" / "week09.ipynb").read_text()
    result = simulate(gradescope_zip, tmp_path, {"notes.py": "x = 1\n", "week09.ipynb": solution})
    assert result["score"] == 5


def test_empty_submission_scores_zero_with_a_message(gradescope_zip, tmp_path):
    result = simulate(gradescope_zip, tmp_path, {"answers.pdf": "not code"})
    assert result["score"] == 0 and result["tests"] == []
    assert "No notebook (.ipynb) or Python file (.py) was found, only: answers.pdf" in result["output"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_grader_failure_scores_zero_with_a_message(gradescope_zip, tmp_path):
    """If dlgrade itself cannot run, the student sees why instead of a broken autograder."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "dlgrade").write_text("#!/bin/sh\nexit 3\n")
    (fake_bin / "dlgrade").chmod(0o755)
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(gradescope_zip) as zf:
        zf.extractall(root / "source")
    (root / "submission" / "week09.py").write_text("x = 1\n")
    env = dict(os.environ, DLGRADE_GRADESCOPE_ROOT=str(root),
               PATH=f"{fake_bin}{os.pathsep}{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, timeout=60, check=True)
    result = json.loads((root / "results" / "results.json").read_text())
    assert result["score"] == 0 and "could not run on week09.py" in result["output"]


@pytest.fixture(scope="module")
def hidden_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / "week09-hidden.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out), "--visibility", "hidden"]) == 0
    return out


FUNCTION_SCORE = re.compile(r"(conv2d|max_pool2d|avg_pool2d|flatten|cnn_forward)\s*\d")


def test_visible_by_default_shows_hints_and_names_the_file(gradescope_zip, tmp_path):
    result = simulate(gradescope_zip, tmp_path, {"my_lab.py": PARTLY_DONE})
    assert result["visibility"] == "visible" and {t["visibility"] for t in result["tests"]} == {"visible"}
    failed = [t for t in result["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] for t in failed)            # the hints are there at once
    first = result["output"].splitlines()[0]
    assert first.rstrip() == "Graded: my_lab.py (the only .py file)."
    assert result["output_format"] == result["test_output_format"] == "md"
    assert FUNCTION_SCORE.search(result["output"])                # per-function scores: visible
    assert result["extra_data"]["file"] == "my_lab.py"


def test_hidden_output_states_no_test_or_function_score(hidden_zip, tmp_path):
    result = simulate(hidden_zip, tmp_path, {"my_lab.py": PARTLY_DONE})
    assert 0 < result["score"] < 5                               # graded as usual
    assert result["visibility"] == "hidden" and {t["visibility"] for t in result["tests"]} == {"hidden"}
    assert not FUNCTION_SCORE.search(result["output"]), result["output"]
    assert "points" not in result["output"] and "/ 5" not in result["output"]
    assert "will be shown by your instructor (they are not shown on Gradescope)" in result["output"]


@pytest.mark.parametrize("files, graded, passed_over", [
    ({"week09.ipynb": "NB", "stub.ipynb": "NB", "notes.py": "x = 1\n"}, "week09.ipynb", "notes.py, stub.ipynb"),
    ({"answers.ipynb": "NB", "lab_checks.py": "x = 1\n", "digits.npz": "",
      ".ipynb_checkpoints/answers-checkpoint.ipynb": "NB", "tests/conv2d.py": "x = 1\n"}, "answers.ipynb", None),
])
def test_the_file_graded_and_the_files_passed_over_are_named(gradescope_zip, tmp_path, files, graded, passed_over):
    stub = (ROOT / "assignments" / "week09" / "week09.ipynb").read_text()
    result = simulate(gradescope_zip, tmp_path, {k: stub if v == "NB" else v for k, v in files.items()})
    assert result["extra_data"]["file"] == graded
    lines = [line.rstrip() for line in result["output"].splitlines()]
    assert lines[0].startswith(f"Graded: {graded} (")
    if passed_over:
        assert lines[1] == f"Not graded: {passed_over}."
    else:
        assert not lines[1].startswith("Not graded")               # shipped files are never candidates


def test_two_notebooks_and_no_rule_scores_zero_naming_them(gradescope_zip, tmp_path):
    result = simulate(gradescope_zip, tmp_path, {"a.ipynb": "{}", "b.ipynb": "{}"})
    assert result["score"] == 0 and result["tests"] == []
    assert "a.ipynb, b.ipynb" in result["output"] and "week09.ipynb" in result["output"]


def test_isolation_level_and_visibility_reach_dlgrade_grade(tmp_path):
    out = tmp_path / "iso.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out),
                     "--visibility", "after_due_date", "--isolation", "uid"]) == 0
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "dlgrade").write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'args.txt'}\nexit 3\n")
    (fake_bin / "dlgrade").chmod(0o755)
    result = simulate(out, tmp_path, {"week09.py": "x = 1\n"}, path_first=fake_bin)
    args = (tmp_path / "args.txt").read_text().split()
    assert args[:3] == ["grade", "--assignment", "week09"]
    assert args[args.index("--isolation") + 1] == "uid"
    assert args[args.index("--visibility") + 1] == "after_due_date"
    assert result["score"] == 0 and "could not run on week09.py" in result["output"]


def test_default_isolation_accepts_every_level(tmp_path):
    """Gradescope's container may allow no namespaces or cgroups: without --isolation the run
    script still passes the weakest level, so `dlgrade grade` grades instead of refusing."""
    out = tmp_path / "default.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out)]) == 0
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "dlgrade").write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'args.txt'}\nexit 3\n")
    (fake_bin / "dlgrade").chmod(0o755)
    simulate(out, tmp_path, {"week09.py": "x = 1\n"}, path_first=fake_bin)
    args = (tmp_path / "args.txt").read_text().split()
    from autograder.sandbox import LEVELS
    assert args[args.index("--isolation") + 1] == "uid-nocgroup" == LEVELS[-1]   # the weakest


@pytest.mark.parametrize("level", ["foo", "uid; rm -rf /", "", "namespaces"])
def test_unknown_isolation_level_is_refused_when_building(tmp_path, capsys, level):
    out = tmp_path / "x.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out), "--isolation", level]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown isolation level" in err and "uid-nocgroup" in err, err
    assert not out.exists()


@pytest.mark.parametrize("level", ["namespaces+uid", "uid"])
def test_every_sandbox_level_is_accepted_when_building(tmp_path, level):
    out = tmp_path / "x.zip"
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(out), "--isolation", level]) == 0
    with zipfile.ZipFile(out) as zf:
        assert f'ISOLATION="{level}"' in zf.read("run_autograder").decode()


def test_feedback_is_markdown_with_its_lines_and_code_blocks_intact():
    """Gradescope renders ``md`` outputs: the ```python block stays a block (code unchanged),
    prose lines keep their line breaks (Markdown would join them into one paragraph)."""
    from autograder.labs import gradescope_run

    feedback = ("Failed: dense matches Keras Dense.\nExpected out[1, 3] = -0.67, got -1.8.\n"
                "To reproduce it, run this below your functions:\n```python\nimport numpy as np\n"
                "x = np.array([[1.0, 2.0],\n              [3.0, 4.0]])\ndense(x, kernel)\n```")
    result = {"score": 1, "output": "week08: 1 / 10 points.", "extra_data": {},
              "tests": [{"name": "t", "score": 0, "max_score": 1, "status": "wrong values", "output": feedback}]}
    out = gradescope_run.to_gradescope(result, "week08", "visible", "week08.py", "the only .py file", [], (None, None))
    assert out["output_format"] == out["test_output_format"] == "md"
    text = out["tests"][0]["output"]
    prose, code = feedback.split("```python\n")
    assert text.endswith("```python\n" + code)                              # code untouched
    # Rendered by a CommonMark renderer: the prose lines as they were, one per line; the code a block.
    html = markdown_it.MarkdownIt("commonmark").render(text)
    assert html.startswith("<p>" + "<br />\n".join(escape(line) for line in prose.splitlines()) + "</p>")
    assert '<pre><code class="language-python">' + escape(code[:-len("```")]) in html
    assert [line for line in _rendered_lines(out["output"])] == [
        "Graded: week08.py (the only .py file).", "week08: 1 / 10 points."]


def _rendered_lines(markdown):
    html = markdown_it.MarkdownIt("commonmark").render(markdown)
    return [unescape(re.sub(r"<[^>]+>", "", line)) for line in html.splitlines() if line.strip()]


def test_student_text_cannot_become_markup_on_gradescope():
    """An exception message is student text: it must show as written, never as a link, an image,
    bold text or HTML (the review's phishing case), inside or after the kit's code blocks."""
    from autograder.labs import gradescope_run

    hostile = ("**Regrade approved** [request regrade here](http://127.0.0.1:8000/phish) "
               "![](http://127.0.0.1:8000/pixel.png) <img src=x onerror=alert(1)> &amp; _x_ `code`")
    feedback = (f"crashed: {hostile}\n```python\nrelu(x)\n```\n{hostile}\n  ```\n{hostile}\n"
                "```python\n```python\n```\n" + hostile)
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(gradescope_run.to_markdown(feedback))
    for tag in ("<a ", "<img", "<strong", "<em", "<code>"):
        assert tag not in html, tag
    assert html.count(escape("[request regrade here](http://127.0.0.1:8000/phish)")) == 4


def test_bad_visibility_or_isolation_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["gradescope", "--assignment", "week09", "--visibility", "soon"])
    assert cli.main(["gradescope", "--assignment", "week09", "--out", str(tmp_path / "x.zip"),
                     "--isolation", "uid; rm -rf /"]) == 2
    assert capsys.readouterr().err.count("\n") >= 1


def test_late_from_gradescope_metadata(tmp_path):
    from autograder.labs import gradescope_run

    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2027-05-01T10:00:00.000000-07:00", "assignment": {"due_date": "2027-04-30T23:59:00-07:00"}}))
    assert gradescope_run.submission_time(tmp_path) == ("2027-05-01T10:00:00-07:00", True)
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2027-04-30T10:00:00-07:00", "assignment": {"due_date": "2027-04-30T23:59:00-07:00"}}))
    assert gradescope_run.submission_time(tmp_path)[1] is False
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"created_at": "2027-04-30T10:00:00-07:00"}))
    assert gradescope_run.submission_time(tmp_path)[1] is None


def test_symbolic_links_in_the_upload_are_never_followed(tmp_path):
    """An upload may hold links (Gradescope unpacks zips as they are): a link to the kit's
    reference code must not be graded, and its lines must never reach the feedback."""
    from autograder.labs.gradescope_run import choose_submission
    outside = tmp_path / "reference"
    outside.mkdir()
    (outside / "core.py").write_text("SECRET = 1\n")
    (outside / "week09.ipynb").write_text("{}")
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "week09.py").symlink_to(outside / "core.py")
    (upload / "lab").symlink_to(outside, target_is_directory=True)
    (upload / "mine.py").write_text("x = 1\n")
    choice = choose_submission(upload, "week09")
    assert choice.file == "mine.py" and choice.passed_over == ()
    (upload / "mine.py").unlink()
    assert choose_submission(upload, "week09").file is None
