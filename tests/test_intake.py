"""Intake on the inputs real classes produce (CONTRACT section 2), in both directions: the right
file is graded, a bad file costs only its student, and every student found gets a result.

The shared failing cases are copied small into ``tests/intake_cases/``; the large and hostile
ones (32 MB of JSON, 50,000 magic lines, 3000-deep nesting) are generated here at test time.
"""
import csv
import json
import os
import pathlib
import random
import subprocess
import sys
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import feedback, results
from autograder.submissions import Cell, Submission, SubmissionError, choose, collect, ids, load

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = pathlib.Path(__file__).resolve().parent / "intake_cases"
GOOD = CASES / "ada_week09.ipynb"          # a correct week09 notebook (5/5)


def notebook(*sources, kinds=None):
    cells = [{"cell_type": (kinds or {}).get(i, "code"), "metadata": {}, "source": s, "outputs": []}
             for i, s in enumerate(sources)]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# ------------------------------------------------------------------ ids


@pytest.mark.parametrize("raw, clean", [
    ("week09 (1)", "week09_1"), ("-rf", "rf"), ("Points Possible", "Points_Possible"),
    ("total", "total_"), ("", "unnamed"), ("student", "student_"), ("José Núñez", "José_Núñez"), ("../../etc", "etc"),
    ("ada@school.edu", "ada@school.edu"), ("a" * 300, "a" * 100),
])
def test_any_name_gives_a_safe_id(raw, clean):
    assert ids.clean_id(raw) == clean
    results.check_student_id(clean)


@given(st.text(max_size=60))
def test_every_cleaned_id_is_a_valid_result_file_name(raw):
    results.check_student_id(ids.clean_id(raw))


@given(st.lists(st.sampled_from(["Ada", "ada", "a b", "a_b", "a(b)", "bo", "BO", "x"]), unique=True),
       st.randoms())
def test_colliding_ids_are_kept_apart_deterministically(raws, rnd):
    names = ids.unique_ids(raws)
    assert len({v.casefold() for v in names.values()}) == len(raws)
    shuffled = list(raws)
    rnd.shuffle(shuffled)
    assert ids.unique_ids(shuffled) == names
    for raw, student in names.items():        # a clean name keeps itself: a lower-case one first
        results.check_student_id(student)
        alike = [r for r in raws if ids.clean_id(r).casefold() == raw.casefold() and r == ids.clean_id(r)]
        lower = [r for r in alike if r == r.lower()]
        if raw in alike and raw == min(lower or alike):
            assert student == raw
        elif raw in alike:
            assert student != raw


# ------------------------------------------------------------------ choosing one file


@pytest.mark.parametrize("files, chosen", [
    (["week09.ipynb", "week09.py", "scratch.ipynb"], "week09.ipynb"),       # named like the lab
    (["Week09.IPYNB", "notes.py"], "Week09.IPYNB"),
    (["lab.ipynb", "lab.py"], "lab.ipynb"),                                 # the only notebook
    (["lab9.ipynb", "lab9-2.ipynb", "lab9-1.ipynb"], "lab9-2.ipynb"),       # latest Canvas upload
    (["week09.ipynb", "week09-1.ipynb", "old.ipynb"], "week09-1.ipynb"),
    (["answer.py"], "answer.py"),                                           # the only .py
    (["a.py", "a-1.py"], "a-1.py"),
    (["lab_checks.py", "requirements.txt", "digits.npz", "week09.py"], "week09.py"),   # lab files: never
    (["tests/conv2d.py", "tests/relu.py", "answer.py"], "answer.py"),
    ([".ipynb_checkpoints/week09-checkpoint.ipynb", "week09.ipynb", ".hidden.py"], "week09.ipynb"),
    (["week09/week09.ipynb", "week09/lab_checks.py", "week09/tests/relu.py", "week09/digits.npz"],
     "week09/week09.ipynb"),                                                # a zip of the lab folder
])
def test_the_rule_picks_one_file(files, chosen):
    for order in (files, files[::-1]):
        choice = choose(order, "week09", is_notebook=lambda p: False)
        assert choice.file == chosen and choice.problem is None
        assert set(choice.passed_over) | set(choice.lab_files) | {chosen} <= set(files)
        assert not any("lab_checks" in p or "tests/" in p for p in choice.passed_over)


@pytest.mark.parametrize("files, named", [
    (["a.ipynb", "b.ipynb"], ["a.ipynb", "b.ipynb"]),
    (["week09.ipynb", "sub/week09.ipynb"], ["week09.ipynb", "sub/week09.ipynb"]),
    (["a.py", "b.py"], ["a.py", "b.py"]),
    (["week09.html", "week09.pdf"], ["week09.html", "week09.pdf"]),
    (["lab_checks.py"], []),
    ([], []),
])
def test_when_no_rule_decides_nothing_is_graded_and_the_files_are_named(files, named):
    choice = choose(files, "week09", is_notebook=lambda p: False)
    assert choice.file is None and choice.problem
    assert all(name in choice.problem for name in named)


def test_the_rule_reads_content_for_odd_extensions(tmp_path):
    """What the Gradescope run script does: paths on disk, notebooks sniffed by content."""
    (tmp_path / "week09.ipynb.txt").write_text(notebook("x = 1"))
    (tmp_path / "week09.html").write_text("<html>week09</html>")
    (tmp_path / "notes.txt").write_text("{ not a notebook")
    choice = choose([tmp_path / n for n in ("notes.txt", "week09.html", "week09.ipynb.txt")], "week09")
    assert choice.file == tmp_path / "week09.ipynb.txt"
    assert sorted(p.name for p in choice.passed_over) == ["notes.txt", "week09.html"]


# ------------------------------------------------------------------ layouts


def test_nbgrader_submitted_tree():
    subs = collect([CASES / "nbgrader_submitted"], assignment="week09")
    assert [(s.student, s.file, s.passed_over) for s in subs] == [
        (f"s{i}", "week09/week09.ipynb", ()) for i in (1, 2, 3)]


def test_per_student_folders_at_any_depth(tmp_path):
    deep = tmp_path / "submitted" / "alice" / "week09" / "final"
    deep.mkdir(parents=True)
    (deep / "week09.ipynb").write_text(notebook("x = 1"))
    (tmp_path / "submitted" / "alice" / "week09" / "lab_checks.py").write_text("x = 2")
    (tmp_path / "submitted" / "bob").mkdir()
    [alice, bob] = collect([tmp_path / "submitted"], assignment="week09")
    assert (alice.student, alice.file, alice.missing) == ("alice", "week09/final/week09.ipynb", False)
    assert any("lab_checks.py" in n for n in alice.notes)
    assert False is not bob.missing and bob.file is None      # an empty folder is still a student


def test_canvas_zip_two_files_one_student():
    subs = {s.student: s for s in collect([CASES / "canvas_two_files_one_student.zip"], assignment="week09")}
    assert sorted(subs) == ["1001", "1002", "1003"]
    assert all(s.file == "week09.ipynb" and not s.missing for s in subs.values())
    assert subs["1002"].passed_over == ("week09.py",)
    # This scratch.ipynb holds the very same bytes as week09.ipynb: one file, counted once.
    assert subs["1003"].passed_over == () and any("scratch.ipynb is an identical copy" in n for n in subs["1003"].notes)
    assert any("passed over: week09.py" in n for n in subs["1002"].notes)


def test_canvas_zip_unusual_members():
    subs = {s.student: s for s in collect([CASES / "canvas_unrecognised_members.zip"], assignment="week09")}
    assert {k: s.file for k, s in subs.items()} == {
        "1001": "week09.ipynb", "1002": "week09-1.ipynb", "1003": "week09.ipynb.txt",
        "1004": "week09.zip/week09/week09.ipynb", "1005": "week09.IPYNB", "1006": "week09.ipynb.json",
        "1007": None}
    assert all(s.cells for k, s in subs.items() if k != "1007")
    assert subs["1007"].missing and "week09.html" in subs["1007"].problems[0]
    assert subs["1002"].late is True and subs["1001"].late is None


def _gradescope_files(notebook_text):
    return {
        "submission_metadata.yml": (
            "submission_7001:\n"
            "  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1001'\n    :email: ada@example.edu\n"
            "  :created_at: 2027-04-29 21:14:03.123456789 -0700\n"
            "  :score: !ruby/object:BigDecimal 18:0.5e1\n  :status: processed\n"
            "submission_7002:\n"
            "  :submitters:\n  - :name: Bo Kim\n    :sid: '1002'\n  - :name: Chen Li\n    :email: chen@example.edu\n"
            "  :created_at: 2027-05-01 08:00:00.000000000 +0000\n"
            "submission_7003:\n  :submitters:\n  - :name: Dee Park\n    :sid: 1004\n"),
        "submission_7001/week09.ipynb": notebook_text,
        "submission_7001/week09.py": "x = 1\n",
        "submission_7002/lab.ipynb": notebook_text,
        "submission_7009/mine.py": "y = 2\n",                    # a folder the metadata does not list
    }


@pytest.mark.parametrize("as_zip", [False, True])
def test_gradescope_export_ids_and_times_from_the_metadata(tmp_path, as_zip):
    files = _gradescope_files(GOOD.read_text())
    if as_zip:
        source = make_zip(tmp_path / "export.zip", {f"assignment_9_export/{k}": v for k, v in files.items()})
    else:
        source = tmp_path / "export"
        for name, text in files.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_text(text)
    subs = {s.student: s for s in collect([source], assignment="week09")}
    assert sorted(subs) == ["1001", "1002", "1004", "chen@example.edu", "submission_7009"]
    assert subs["1001"].file == "week09.ipynb" and subs["1001"].passed_over == ("week09.py",)
    assert subs["1001"].submitted_at == "2027-04-29T21:14:03.123456-07:00"
    assert subs["1002"].cells == subs["chen@example.edu"].cells != ()      # a group: both graded
    assert subs["1002"].submitted_at == "2027-05-01T08:00:00+00:00"
    assert subs["1004"].missing and subs["1004"].submitted_at is None      # listed, no files
    assert subs["submission_7009"].file == "mine.py"
    assert any("Ada Lovelace" in n for n in subs["1001"].notes)


def test_simplified_gradescope_export_with_per_folder_metadata():
    subs = collect([CASES / "gradescope_export.zip"], assignment="week09")
    assert [(s.student, s.file) for s in subs] == [("Student_101", "week09.ipynb"), ("Student_102", "week09.ipynb")]


def test_nested_zips_are_bounded(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"deepest.zip": b"PK not opened", "week09.ipynb": notebook("x = 1")})
    middle = make_zip(tmp_path / "middle.zip", {"inner.zip": inner.read_bytes()})
    many = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(1500)})
    class_zip = make_zip(tmp_path / "class.zip", {"ann_1_2_lab.zip": middle.read_bytes(),
                                                 "bob_3_4_lab.zip": many.read_bytes()})
    ann, bob = collect([class_zip], assignment="week09")
    # class.zip > lab.zip (depth 1) > inner.zip (depth 2) > deepest.zip: not opened
    assert ann.file == "lab.zip/inner.zip/week09.ipynb"
    assert any("deepest.zip was not opened" in n for n in ann.notes)
    assert bob.missing and any("only the first 1000 files" in n for n in bob.notes)


def test_symbolic_links_are_never_followed(tmp_path):
    outside = tmp_path / "secret.ipynb"
    outside.write_text(notebook("SECRET = 1"))
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    (tmp_path / "class" / "mallory" / "week09.ipynb").symlink_to(outside)
    (tmp_path / "class" / "honest.ipynb").write_text(notebook("x = 1"))
    honest, mallory = collect([tmp_path / "class"], assignment="week09")
    assert honest.cells and mallory.missing and mallory.cells == ()


def test_identical_copies_count_once(tmp_path):
    text = notebook("x = 1")
    lab_zip = make_zip(tmp_path / "lab.zip", {"week09/week09.ipynb": text, "week09/lab_checks.py": "c = 1"})
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ann" / "week09.ipynb").write_text(text)
    (tmp_path / "class" / "ann" / "week09.zip").write_bytes(lab_zip.read_bytes())
    [ann] = collect([tmp_path / "class"], assignment="week09")
    assert ann.file == "week09.ipynb" and not ann.missing and ann.passed_over == ()


# ------------------------------------------------------------------ reading, bounded


def test_one_latin1_byte_costs_nothing():
    sub = load(CASES / "notebook_one_latin1_byte.ipynb")
    assert sub.cells and "not valid UTF-8" in sub.problems[0] and "1 unreadable" in sub.problems[0]
    good = load(GOOD)                        # the same notebook but for the one byte (in a comment)
    assert [c.source.replace("  # \ufffd", "") for c in sub.cells] == [c.source for c in good.cells]


def test_utf16_and_nbformat3_notebooks_are_read(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(notebook("x = 1").encode("utf-16"))
    v3 = {"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "y = 2"}]}]}
    (tmp_path / "b.ipynb").write_text(json.dumps(v3))
    assert [c.source for c in load(tmp_path / "a.ipynb").cells] == ["x = 1"]
    assert [c.source for c in load(tmp_path / "b.ipynb").cells] == ["y = 2"]


def test_cells_are_named_as_jupyter_shows_them(tmp_path):
    (tmp_path / "n.ipynb").write_text(notebook("# Title", "import numpy as np", "", "def relu(x):\n  return x",
                                               kinds={0: "markdown"}))
    assert [c.label for c in load(tmp_path / "n.ipynb").cells] == [
        'cell 2 "import numpy as np"', 'cell 4 "def relu(x):"']


def test_a_function_defined_twice_is_noted(tmp_path):
    sub = load(CASES / "old_draft_cell_after_solution.ipynb")
    [note] = [n for n in sub.notes if "defined 2 times" in n]
    assert note.startswith("max_pool2d is defined 2 times (cell 2") and "cell 3" in note
    (tmp_path / "once.ipynb").write_text(notebook("def f():\n    return 1", "def g():\n    return 2"))
    assert load(tmp_path / "once.ipynb").notes == ()


HOSTILE = {
    # name: (generator, what the student is told, cells expected)
    "nesting.ipynb": (lambda: '{"cells": [], "metadata": {"x": ' + "[" * 3000 + "]" * 3000 + "}}",
                      "nests 3002 levels deep", 0),
    "bigint.ipynb": (lambda: notebook("x = 1").replace('"metadata": {}', '"metadata": {"n": 1' + "0" * 5000 + "}", 1),
                     None, 1),
    "fat.ipynb": (lambda: '{"cells": [], "metadata": {"x": [' + "{}," * (11_000_000 - 1) + '{}]}}',
                  "more than 400,000 JSON values", 0),
    "magic.ipynb": (lambda: notebook("%a\n" * 50_000 + "def relu(x):\n    return x"), None, 1),
    "fat_source.py": (lambda: "def relu(x):\n    return x\n" + "x = [1, 2]\n" * 750_000, None, 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_read_in_bounded_time_and_memory(tmp_path, name):
    """Read in a fresh interpreter: its peak memory is that of reading this one file."""
    make, told, cells = HOSTILE[name]
    path = tmp_path / name
    path.write_text(make())
    # VmHWM: this process's peak resident memory (ru_maxrss would include pytest's, from before exec).
    script = ("import json, re, sys\nfrom autograder.submissions import load\ns = load(sys.argv[1])\n"
              "peak = int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))\n"
              "print(json.dumps([peak, list(s.problems), len(s.cells)]))")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})   # quadratic: hours
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak_kb, problems, n_cells = json.loads(proc.stdout)
    assert peak_kb < 200 * 1024, f"{name}: {peak_kb // 1024} MB"
    assert n_cells == cells
    assert (told in problems[0]) if told else problems == []


# ------------------------------------------------------------------ feedback (no sandbox)


class _Session:
    start_error = None

    def __init__(self, errors, defined=(), blocked=()):
        self.load_report = {"errors": errors, "defined": list(defined), "blocked_imports": list(blocked)}


def _error(where, message, binds=()):
    return {"where": where, "message": message, "binds": list(binds)}


def test_feedback_is_quiet_about_the_kits_cells_and_the_labs_data():
    errors = [
        _error('cell 1 "import otter", line 1', "ModuleNotFoundError: otter is not available while grading: "
               "use NumPy and the standard library only", ["otter"]),
        _error('cell 1 "import otter", line 2', "NameError: name 'otter' is not defined", ["grader"]),
        _error('cell 2 "# Set-up: run this cell first.", line 5', "ModuleNotFoundError: No module named "
               "'lab_checks': open week09.ipynb in its lab folder, next to lab_checks.py", ["missing", "start_lab"]),
        _error('cell 2 "# Set-up: run this cell first.", line 12', "NameError: name 'start_lab' is not defined",
               ["grader"]),
        _error('cell 6 "grader.check(\\"relu\\")", line 1', "NameError: name 'grader' is not defined"),
        _error('cell 19 "data = np.load(\\"digits.npz\\")", line 1',
               "FileNotFoundError: [Errno 2] No such file or directory: 'digits.npz'", ["data"]),
        _error('cell 19 "data = ...", line 2', "NameError: name 'data' is not defined", ["digits"]),
        _error('cell 20 "digit = digits[:1]", line 1', "NameError: name 'digits' is not defined", ["digit", "edges"]),
        _error('cell 22 "show(...)", line 1', "NameError: name 'edges' is not defined"),
    ]
    sub = Submission("ada", pathlib.Path("ada.ipynb"), (), "0", ())
    assert feedback.load_summary(sub, _Session(errors, ["relu"], ["otter", "lab_checks"])) == []


def test_feedback_names_real_failures_and_what_ran():
    errors = [
        _error('cell 3 "import matplotlib.pyplot as plt", line 1',
               "ModuleNotFoundError: matplotlib is not available while grading", ["plt"]),
        _error('cell 4 "plt.plot(x)", line 1', "NameError: name 'plt' is not defined"),
        _error("lab.py, line 61", "SyntaxError: '(' was never closed (line 62); lines 61-70 skipped", ["avg_pool2d"]),
        _error('cell 1 "import otter", line 1', "ModuleNotFoundError: otter is not available while grading"),
    ]
    sub = Submission("ada", pathlib.Path("ada.ipynb"), (), "0", (), notes=("graded week09.ipynb (...)",))
    lines = feedback.load_summary(sub, _Session(errors, ["relu", "conv2d", "_helper"], ["matplotlib", "otter"]))
    assert lines[0] == "graded week09.ipynb (...)"
    assert any(line.startswith('cell 3 "import matplotlib.pyplot as plt", line 1: ModuleNotFoundError') for line in lines)
    assert any("lines 61-70 skipped" in line for line in lines)
    assert "1 more line(s) failed only because" in "\n".join(lines)
    assert not any("otter" in line for line in lines)
    assert lines[-1].endswith("functions defined: relu, conv2d.")


def test_feedback_never_parses_student_code(monkeypatch):
    """A 9 MB cell or a 5000-term expression must cost the judge nothing: it reads the
    worker's report only (a parse here would blow up)."""
    import ast

    monkeypatch.setattr(ast, "parse", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    cell = Cell("x = " + " + ".join(["1"] * 5000) + "\n" + "y = 1\n" * 100_000, "big.py")
    sub = Submission("ada", pathlib.Path("big.py"), (cell,), "0", ())
    lines = feedback.load_summary(sub, _Session([_error("big.py, line 1", "RecursionError: too deep; line 1 skipped")]))
    assert lines[0] == "big.py, line 1: RecursionError: too deep; line 1 skipped"


# ------------------------------------------------------------------ loading, in the real sandbox


@pytest.fixture(scope="module")
def sandbox():
    from autograder import sandbox as box

    try:
        box.isolation_level()
    except box.WorkerError as exc:      # pragma: no cover - CI runs as root with namespaces
        pytest.skip(f"no sandbox here: {exc}")
    return box


def loaded(sandbox, cells, **options):
    with sandbox.Worker(cells, **options) as worker:
        return worker.load_report


def test_a_syntax_error_skips_only_its_statement(sandbox):
    source = (CASES / "py_syntax_error_one_function" / "syntax_error_in_avg_pool2d.py").read_text()
    report = loaded(sandbox, [("lab.py", source)])
    assert {"relu", "dense", "softmax", "conv2d", "max_pool2d", "flatten", "cnn_forward"} <= set(report["defined"])
    assert "avg_pool2d" not in report["defined"]
    [error] = report["errors"]
    assert error["where"] == "lab.py, line 61" and error["message"].startswith("SyntaxError")
    assert "lines 61-70 skipped" in error["message"] and error["binds"] == ["avg_pool2d"]


def test_broken_code_of_every_shape_costs_only_its_statement(sandbox):
    cells = [
        ("a.py", "def f():\n    return 1\n\nx = (1,\n\ndef g():\n    return 2\n"),     # unclosed bracket
        ("b.py", "def h():\n  return 3\n   y = 1\ndef k():\n    return 4\n"),          # bad indentation
        ("c.py", "s = '''\ndef fake():\n'''\nz = 1 +\ndef m():\n    return 5\n"),        # def inside a string
        ("d.py", "x = " + " + ".join(["1"] * 5000) + "\ndef n():\n    return 6\n"),     # RecursionError
        ("e.py", "def same(fn):\n    return fn\n@same\n@same\ndef p():\n    return 7\nif True:\n    q = 1\nelse:\n    q = 2\nz = = 1\n"),
        ("f.py", "def r(:\n    pass\nclass Box:\n    def s(self):\n        return 8\n"),
    ]
    report = loaded(sandbox, cells)
    assert {"f", "g", "k", "m", "n", "p"} <= set(report["defined"])
    assert not {"h", "fake", "r"} & set(report["defined"])
    wheres = sorted(e["where"] for e in report["errors"])
    assert wheres == ["a.py, line 4", "b.py, line 1", "c.py, line 4", "d.py, line 1", "e.py, line 11",
                      "f.py, line 1"]


def test_slow_statements_are_stopped_and_definitions_still_run(sandbox):
    cells = [
        ('cell 1 "import time"', "import time\ndef f():\n    return 1"),
        ('cell 2 "time.sleep(30)"', "time.sleep(30)"),                       # stopped when time is up
        ('cell 3 "def g():"', "def g():\n    return 2\nEPS = 1e-7\ntime.sleep(30)\nafter = 1"),
        ('cell 4 "print(1)"', "print(1)"),
    ]
    report = loaded(sandbox, cells, load_timeout=1.5)
    assert {"f", "g"} <= set(report["defined"])
    stopped, not_run = report["errors"]
    assert stopped["where"] == 'cell 2 "time.sleep(30)", line 1' and "stopped and skipped" in stopped["message"]
    assert not_run["where"] == 'cell 3 "def g():", line 4'
    assert "only definitions ran" in not_run["message"] and "cell 3, cell 4" in not_run["message"]


def test_code_that_will_not_stop_is_killed_skipped_and_the_rest_loaded(sandbox, monkeypatch):
    monkeypatch.setattr(sandbox.Worker, "LOAD_MARGIN", 1.0)
    stubborn = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
    cells = [("c1", "def f():\n    return 1"), ("c2", stubborn), ("c3", "def g():\n    return 2")]
    report = loaded(sandbox, cells, load_timeout=1.0)
    assert {"f", "g"} <= set(report["defined"]) and report["fatal"] is None
    assert any(e["where"] == "c2, line 1" and "did not stop" in e["message"] for e in report["errors"])


# ------------------------------------------------------------------ end to end, with the real judge


def official_correct_notebook(lab="week09"):
    """The official student notebook with every stub replaced by the master's solution."""
    student = json.loads((ROOT / "assignments" / lab / f"{lab}.ipynb").read_text())
    master = json.loads((ROOT / "solutions" / lab / f"{lab}.ipynb").read_text())
    text = lambda cell: "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    solutions = {}
    for cell in master["cells"]:
        if cell["cell_type"] == "code" and "# BEGIN SOLUTION" in text(cell) and text(cell).startswith("def "):
            name = text(cell)[4:].split("(")[0]
            solutions[name] = "\n".join(l for l in text(cell).splitlines() if "SOLUTION" not in l)
    replaced = 0
    for cell in student["cells"]:
        if cell["cell_type"] == "code" and text(cell).startswith("def ") and text(cell)[4:].split("(")[0] in solutions:
            cell["source"] = solutions[text(cell)[4:].split("(")[0]]
            replaced += 1
    assert replaced >= 3
    return json.dumps(student)


def grade_cli(out, *inputs, options=(), assignment="week09"):
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", assignment,
                           "--out", str(out), "--jobs", "2", *options, *map(str, inputs)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.parametrize("lab", ["week08", "week10", "week11"])
def test_a_correct_copy_of_each_official_notebook_gets_full_marks_and_no_error_lines(tmp_path, lab):
    (tmp_path / f"{lab}.ipynb").write_text(official_correct_notebook(lab))
    grade_cli(tmp_path / "out", tmp_path / f"{lab}.ipynb", assignment=lab)
    result = json.loads((tmp_path / "out" / f"{lab}.json").read_text())
    assert result["score"] == result["extra_data"]["max_score"] > 0
    assert result["output"].strip().splitlines() == [result["output"].strip()]     # the score line only
    assert result["output"].startswith(f"{lab}: ")


def test_a_mixed_class_grades_in_one_command(tmp_path):
    """Correct students get full marks whatever their files look like; each bad file costs
    only its own student, with a message; every student gets exactly one result."""
    import shutil

    subs = tmp_path / "class"
    subs.mkdir()
    (subs / "official.ipynb").write_text(official_correct_notebook())
    for name in ("week09 (1).ipynb", "notebook_one_latin1_byte.ipynb", "old_draft_cell_after_solution.ipynb",
                 "slow_demo_cells_8.ipynb", "long_expression_grader_error.py"):
        shutil.copy(CASES / name, subs / name)
    shutil.copy(CASES / "py_syntax_error_one_function" / "syntax_error_in_avg_pool2d.py", subs / "syntax.py")
    (subs / "broken.ipynb").write_text('{"cells": [')
    (subs / "export.html").write_text("<html>exported notebook</html>")
    (subs / "undecided").mkdir()
    (subs / "undecided" / "a.ipynb").write_text(notebook("x = 1"))
    (subs / "undecided" / "b.ipynb").write_text(notebook("y = 2"))
    out = tmp_path / "out"
    summary = grade_cli(out, subs, CASES / "canvas_unrecognised_members.zip", options=["--load-timeout", "5"])

    honest = ["official", "week09_1", "notebook_one_latin1_byte", "slow_demo_cells_8",
              "long_expression_grader_error", "1001", "1002", "1003", "1004", "1005", "1006"]
    missing = ["export", "undecided", "1007"]
    students = honest + missing + ["old_draft_cell_after_solution", "syntax", "broken"]
    assert sorted(p.stem for p in out.glob("*.json")) == sorted(students)
    result = {s: json.loads((out / f"{s}.json").read_text()) for s in students}
    for student in honest:
        assert result[student]["score"] == result[student]["extra_data"]["max_score"] == 5, student
    for student in missing:
        assert {t["status"] for t in result[student]["tests"]} == {"no submission"}
        assert result[student]["score"] == 0 and result[student]["extra_data"]["file"] is None
    assert "a.ipynb" in result["undecided"]["output"] and "b.ipynb" in result["undecided"]["output"]
    syntax = result["syntax"]                              # only avg_pool2d is lost
    assert {t["tags"][0] for t in syntax["tests"] if t["score"] < t["max_score"]} == {"avg_pool2d"}
    assert "lines 61-70 skipped" in syntax["output"] and "functions defined:" in syntax["output"]
    assert "max_pool2d is defined 2 times" in result["old_draft_cell_after_solution"]["output"]
    broken = result["broken"]                              # '{"cells": [': a cut-off upload
    assert "broken.ipynb could not be read: it is cut off" in broken["output"] and broken["score"] == 0
    assert {t["status"] for t in broken["tests"]} == {"no submission"}
    assert "stopped and skipped" in result["slow_demo_cells_8"]["output"]
    official = result["official"]["output"].strip().splitlines()
    assert len(official) == 1 and official[0].startswith("week09: 5 / 5 points")   # no error lines at all
    assert result["1002"]["extra_data"]["late"] is True
    assert result["week09_1"]["extra_data"]["file"] == "week09 (1).ipynb"
    assert f"{len(students)} student(s)" in summary and "4 no submission" in summary   # + broken


def test_the_splitter_loaded_into_the_sandbox_imports_the_stdlib_only():
    import ast

    tree = ast.parse((ROOT / "autograder" / "sandbox" / "statements.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported and imported <= set(sys.stdlib_module_names)


def test_an_unlistable_input_folder_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    # As root every folder can be listed, so the refusal a non-root grader meets is simulated.
    (tmp_path / "ada.py").write_text("x = 1\n")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "iterdir", refuse)
    with pytest.raises(SubmissionError, match=r"cannot list it \(Permission denied\)"):
        collect([tmp_path])


# ------------------------------------------------------------------ hostile intake (fresh-break review)


def _text_fields(sub):
    return [sub.student, str(sub.path), sub.file or "", *sub.notes, *sub.problems, *sub.passed_over]


def test_file_names_that_are_not_utf8_get_safe_ids_and_writable_results(tmp_path):
    (tmp_path / "class").mkdir()
    for name in (b"caf\xe9.py", b"caf\xe8.py", b"caf_.py"):       # Latin-1 bytes beside a clean name
        with open(os.path.join(os.fsencode(tmp_path / "class"), name), "w") as handle:
            handle.write("x = 1\n")
    subs = collect([tmp_path / "class"], assignment="week09")
    assert len({s.student for s in subs}) == 3 and all(s.cells and not s.missing for s in subs)
    for sub in subs:
        results.check_student_id(sub.student)
        json.dumps(_text_fields(sub), ensure_ascii=False).encode("utf-8")   # what writing a result does
    assert ids.unique_ids(["caf\udce9"]) == {"caf\udce9": "caf"}


def test_a_folder_too_deep_to_walk_is_noted_for_its_student_only(tmp_path):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "week09.py").write_text("x = 1\n")
    (tmp_path / "class" / "eve").mkdir()
    folders = [str(tmp_path / "class" / "eve")]
    for _ in range(1100):                           # beyond the recursion limit (made without recursion)
        folders.append(folders[-1] + "/d")
        os.mkdir(folders[-1])
    (pathlib.Path(folders[-1]) / "hidden.py").write_text("y = 2\n")
    (tmp_path / "class" / "eve" / "week09.py").write_text("x = 1\n")
    try:
        ada, eve = collect([tmp_path / "class"], assignment="week09")
    finally:                                        # shutil.rmtree recurses too
        os.remove(pathlib.Path(folders[-1]) / "hidden.py")
        for folder in reversed(folders[1:]):
            os.rmdir(folder)
    assert ada.cells and ada.notes == () and eve.cells and eve.file == "week09.py"
    assert any("levels deep were not searched" in note for note in eve.notes)


def _same_size_bzip2_bomb(n, size=32 << 20):
    """A zip of ``n`` bzip2 members of ``size`` zeros each (~50 bytes per member on disk)."""
    import bz2, struct, zlib
    raw = b"\0" * size
    packed, crc, out, central = bz2.compress(raw, 9), zlib.crc32(raw), bytearray(), bytearray()
    for i in range(n):
        name, offset = f"lab/data{i:04d}.txt".encode(), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 46, 0, 12, 0, 0x21, crc, len(packed), size,
                           len(name), 0) + name + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 46, 46, 0, 12, 0, 0x21, crc, len(packed),
                               size, len(name), 0, 0, 0, 0, 0, offset) + name
    return bytes(out + central + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(central), len(out), 0))


def test_a_zip_of_alike_members_costs_at_most_its_students_read_budget(tmp_path, monkeypatch):
    from autograder.submissions import sources
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    (tmp_path / "class" / "mallory" / "lab.zip").write_bytes(_same_size_bzip2_bomb(60))
    (tmp_path / "class" / "honest.py").write_text("x = 1\n")
    read = []
    member_reader = sources._member_reader

    def counted(archive, info):
        inner = member_reader(archive, info)
        return lambda *limit: read.append(len(inner(*limit))) or b"\0" * read[-1]
    monkeypatch.setattr(sources, "_member_reader", counted)
    honest, mallory = collect([tmp_path / "class"], assignment="week09")
    assert honest.cells and mallory.missing
    assert sum(read) <= sources.MAX_TOTAL_BYTES                  # before: 60 x 32 MB read twice over
    assert any("too much to read" in note for note in mallory.notes)


def test_identical_zip_members_are_found_by_size_and_crc(tmp_path):
    (tmp_path / "class" / "ann").mkdir(parents=True)
    make_zip(tmp_path / "class" / "ann" / "lab.zip", {"a.py": "x = 1\n", "b.py": "x = 2\n", "week09.py": "x = 1\n"})
    [ann] = collect([tmp_path / "class"], assignment="week09")
    assert [n for n in ann.notes if "identical" in n] == [
        "lab.zip/a.py is an identical copy of lab.zip/week09.py: counted once"]


def test_a_statement_too_large_to_send_is_skipped_and_the_rest_loaded(sandbox):
    # 12 MB of control characters: 72 MB once JSON-escaped, past the 64 MB frame cap.
    source = "def f():\n    return 1\n\nJUNK = '" + "\x01" * (12 << 20) + "'\n\ndef g():\n    return 2\n"
    report = loaded(sandbox, [("lab.py", source)], load_timeout=10)
    assert {"f", "g"} <= set(report["defined"]) and report["fatal"] is None
    assert [e["where"] for e in report["errors"]] == ["lab.py, line 4"]
    assert "too large to send" in report["errors"][0]["message"]


@pytest.mark.parametrize("report", [
    {"errors": 5}, {"errors": [5]}, {"defined": "f"}, {"stdout": 7}, [1, 2], None,
    {"blocked_imports": {"a": 1}},
])
def test_a_load_report_of_the_wrong_shape_is_the_students_load_failure(report):
    from autograder.sandbox.launch import Worker
    cleaned = Worker._clean_report(report, [])
    assert cleaned["defined"] == [] and "malformed load report (bad output)" in cleaned["fatal"]
    good = Worker._clean_report({"defined": ["f"], "errors": [{"where": "w", "message": "m", "binds": 3}]}, [])
    assert good["fatal"] is None and good["defined"] == ["f"] and good["errors"][0]["binds"] == []


def test_a_results_folder_inside_the_submissions_folder_is_no_student(tmp_path):
    # An instructor's natural layout: `dlgrade grade --out class/results class`, graded twice.
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "ada.py").write_text("def relu(x):\n    return x\n")
    out = klass / "results"
    for _ in range(2):
        grade_cli(out, klass, assignment="week08")          # exit 0, or it fails here
    with open(out / "scores.csv", newline="", encoding="utf-8") as handle:
        assert [row["student"] for row in csv.DictReader(handle)] == ["ada"]
