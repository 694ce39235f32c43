"""Intake on the inputs real classes produce (CONTRACT section 2), in both directions: the right
file is graded, a bad file costs only its student, and every student found gets a result.

The shared failing cases are copied small into ``tests/intake_cases/``; the large and hostile
ones (32 MB of JSON, 50,000 magic lines, 3000-deep nesting) are generated here at test time.
"""
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
from autograder.submissions import Cell, Submission, choose, collect, ids, load

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
    for raw, student in names.items():        # a name that is already clean keeps itself
        results.check_student_id(student)
        if raw == ids.clean_id(raw) and raw == min(r for r in raws if ids.clean_id(r).casefold() == raw.casefold()):
            assert student == raw


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
        _error('cell 6 "grader.check(\\"relu\\")", line 1', "NameError: name 'grader' is not defined"),
        _error('cell 19 "data = np.load(\\"digits.npz\\")", line 1',
               "FileNotFoundError: [Errno 2] No such file or directory: 'digits.npz'", ["data"]),
        _error('cell 19 "data = ...", line 2', "NameError: name 'data' is not defined", ["digits"]),
        _error('cell 20 "digit = digits[:1]", line 1', "NameError: name 'digits' is not defined", ["digit", "edges"]),
        _error('cell 22 "show(...)", line 1', "NameError: name 'edges' is not defined"),
    ]
    sub = Submission("ada", pathlib.Path("ada.ipynb"), (), "0", ())
    assert feedback.load_summary(sub, _Session(errors, ["relu"], ["otter"])) == []


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
