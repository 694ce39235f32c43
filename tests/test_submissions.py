"""Reading submissions: .py, notebooks (magics, shell lines, broken JSON), folders, Canvas zips."""
import hashlib
import json
import zipfile

import nbformat
import pytest

from autograder import submissions
from autograder.submissions import SubmissionError, canvas_student, collect, load, strip_ipython

RELU = "import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n"


def write_notebook(path, cells):
    """cells: list of ("code" | "markdown", source)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) if kind == "code" else nbformat.v4.new_markdown_cell(src)
                for kind, src in cells]
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


# ------------------------------------------------------------------ .py files


def test_py_file_is_one_cell_with_stem_as_student(tmp_path):
    path = tmp_path / "alice.py"
    path.write_text(RELU, encoding="utf-8")
    sub = load(path)
    assert sub.student == "alice"
    assert [c.source for c in sub.cells] == [RELU]
    assert sub.cells[0].label == "alice.py"
    assert sub.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sub.problems == ()


def test_py_with_syntax_error_still_yields_its_code(tmp_path):
    # The worker runs statement by statement; loading must not judge the syntax.
    source = RELU + "def broken(:\n    pass\n"
    path = tmp_path / "bob.py"
    path.write_text(source, encoding="utf-8")
    sub = load(path)
    assert sub.cells[0].source == source
    assert sub.problems == ()


def test_non_utf8_py_is_graded_with_a_problem(tmp_path):
    path = tmp_path / "carol.py"
    path.write_bytes(b"# caf\xe9\n" + RELU.encode())   # Latin-1 e-acute, no coding line
    sub = load(path)
    assert len(sub.problems) == 1
    assert "UTF-8" in sub.problems[0] and "carol.py" in sub.problems[0]
    assert "def relu(x):" in sub.cells[0].source        # the code itself survives
    assert "\ufffd" in sub.cells[0].source


def test_pep263_coding_line_is_honoured(tmp_path):
    path = tmp_path / "dave.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + RELU.encode())
    sub = load(path)
    assert sub.problems == ()
    assert "# caf\u00e9" in sub.cells[0].source


def test_bom_is_not_part_of_the_code(tmp_path):
    path = tmp_path / "erin.py"
    path.write_bytes(b"\xef\xbb\xbf" + RELU.encode())
    assert load(path).cells[0].source == RELU


# ------------------------------------------------------------------ notebooks


def test_notebook_code_cells_without_magics_and_shell_lines(tmp_path):
    path = write_notebook(tmp_path / "frank.ipynb", [
        ("markdown", "# Lab 8\n%not code"),
        ("code", "%matplotlib inline\n!pip install numpy\nimport numpy as np"),
        ("code", "%%bash\necho hi\nls"),                      # cell magic: dropped whole
        ("code", "files = !ls\nenv = %env\n" + RELU),
        ("code", "%%time\ny = relu(np.arange(3))"),           # Python body: kept
        ("code", "def f():\n    %time z = 1\n    return 2\nnp.pad?"),
        ("code", ""),
    ])
    sub = load(path)
    assert sub.student == "frank" and sub.problems == ()
    # Cells are named as Jupyter shows them: the place among ALL cells (the markdown cell is
    # cell 1) and the first line. Dropped (%%bash) and empty cells leave no Cell.
    assert [c.label for c in sub.cells] == ['cell 2 "%matplotlib inline"', 'cell 4 "files = !ls"',
                                            'cell 5 "%%time"', 'cell 6 "def f():"']
    sources = [c.source for c in sub.cells]
    assert sources[0] == "pass\npass\nimport numpy as np"
    assert sources[1] == "pass\npass\n" + RELU
    assert sources[2] == "\ny = relu(np.arange(3))"
    assert sources[3] == "def f():\n    pass\n    return 2\npass"
    for source in sources:
        compile(source, "<cell>", "exec")   # what is left is plain Python


def test_percent_and_bang_inside_python_are_kept():
    # A "%" continuing a format expression and a "!" line inside a docstring are Python.
    source = 's = ("%d items"\n     % 3)\ndef g():\n    """Note:\n    !important\n    """\n'
    assert strip_ipython(source) == source


def test_continued_shell_line_is_removed_whole():
    assert strip_ipython("!pip install a \\\n    b\nx = 1") == "pass\n\nx = 1"


def test_notebook_cell_with_syntax_error_is_kept(tmp_path):
    path = write_notebook(tmp_path / "gina.ipynb", [("code", "def relu(x:\n    pass"), ("code", RELU)])
    sub = load(path)
    assert [c.label for c in sub.cells] == ['cell 1 "def relu(x:"', 'cell 2 "import numpy as np"']
    assert sub.cells[0].source == "def relu(x:\n    pass"


def test_broken_notebook_json_gives_no_cells_and_a_line_number(tmp_path):
    path = tmp_path / "notebook.ipynb"
    # Line 3 holds two strings with no comma between them.
    path.write_text('{\n "cells": [\n  "a" "b"\n ]\n}\n', encoding="utf-8")
    sub = load(path)
    assert sub.cells == ()
    assert sub.problems == ("notebook.ipynb could not be read: it is not valid notebook JSON "
                            "(line 3: Expecting ',' delimiter)",)
    assert sub.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("text", ["[1, 2]", '{"cells": 3}', '"just a string"'])
def test_json_that_is_not_a_notebook(tmp_path, text):
    path = tmp_path / "hank.ipynb"
    path.write_text(text, encoding="utf-8")
    sub = load(path)
    assert sub.cells == ()
    assert len(sub.problems) == 1 and "hank.ipynb" in sub.problems[0]
    assert "not a Jupyter notebook" in sub.problems[0]


def test_list_sources_and_schema_slips_are_tolerated(tmp_path):
    # Hand-edited notebook: source as a list, a cell missing its "outputs" (schema-invalid).
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "source": ["import numpy as np\n", "x = 1"]}]}
    path = tmp_path / "ivy.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    sub = load(path)
    assert [c.source for c in sub.cells] == ["import numpy as np\nx = 1"]
    assert sub.problems == ()


# ------------------------------------------------------------------ Canvas names


@pytest.mark.parametrize("name, expected", [
    ("doejane_123456_7890123_lab9.ipynb", ("123456", "lab9.ipynb")),
    ("doejane_LATE_123456_7890123_lab9.ipynb", ("123456", "lab9.ipynb")),
    ("doe_jane_42_77_my_lab_9 final.py", ("42", "my_lab_9 final.py")),   # odd login, odd name
    ("smithj_LATE_5_6_7_8.py", ("5", "7_8.py")),                         # digits in the name
    ("alice.py", None),
    ("alice_bob.py", None),
])
def test_canvas_names(name, expected):
    assert canvas_student(name) == expected


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_canvas_zip_is_read_in_memory(tmp_path):
    notebook = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RELU)]))
    zip_path = make_zip(tmp_path / "submissions.zip", {
        "doejane_123_900_lab8.py": RELU,
        "roe_rick_LATE_456_901_Lab 8 (1).ipynb": notebook,
        "../../escape_789_902_x.py": RELU,          # zip slip attempt: only the bytes are used
        "folder/": "",
        "doejane_123_903_notes.txt": "not code",
        "__MACOSX/._doejane_123_900_lab8.py": "resource fork",
        ".hidden_1_2_x.py": RELU,
    })
    before = sorted(p.name for p in tmp_path.rglob("*"))
    subs = collect([zip_path])
    assert sorted(p.name for p in tmp_path.rglob("*")) == before   # nothing extracted
    assert [s.student for s in subs] == ["123", "456", "789"]
    assert all(s.cells[0].source == RELU for s in subs)
    assert subs[1].cells[0].label == 'cell 1 "import numpy as np"'
    assert subs[0].cells[0].label == "lab8.py"


def test_zip_without_canvas_names_is_read_like_a_folder(tmp_path):
    # A file is a student (its stem), a sub-folder is a student (its name).
    zip_path = make_zip(tmp_path / "class.zip", {"sub/alice.py": RELU, "bob.py": RELU})
    assert [(s.student, s.file) for s in collect([zip_path])] == [("bob", "bob.py"), ("sub", "alice.py")]
    # A zip of the class folder: its one wrapper folder is the root.
    zip_path = make_zip(tmp_path / "wrapped.zip", {"class/alice.py": RELU, "class/bob.py": RELU})
    assert [s.student for s in collect([zip_path])] == ["alice", "bob"]


def test_canvas_resubmission_suffix_keeps_the_latest(tmp_path):
    zip_path = make_zip(tmp_path / "s.zip", {
        "doejane_123_900_lab8.py": "old = 1\n",
        "doejane_123_905_lab8-2.py": "newest = 1\n",
        "doejane_123_901_lab8-1.py": "newer = 1\n",
    })
    [sub] = collect([zip_path])
    assert sub.student == "123" and sub.cells[0].source == "newest = 1\n"


def test_two_notebooks_no_rule_decides_costs_only_that_student(tmp_path):
    notebook = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RELU)]))
    draft = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    zip_path = make_zip(tmp_path / "s.zip", {"doejane_123_900_lab.ipynb": notebook,
                                             "doejane_123_901_scratch.ipynb": draft,
                                             "roe_456_902_week08.ipynb": notebook})
    undecided, honest = collect([zip_path], assignment="week08")
    assert undecided.missing and undecided.cells == () and undecided.file is None
    assert "lab.ipynb" in undecided.problems[0] and "scratch.ipynb" in undecided.problems[0]
    assert not honest.missing and honest.file == "week08.ipynb" and honest.cells


def test_oversized_submission_gets_a_reason_not_a_stopped_batch(tmp_path, monkeypatch):
    """One huge file (a notebook full of images) costs its student, never the batch."""
    monkeypatch.setattr(submissions.reading, "MAX_FILE_BYTES", 100)
    zip_path = make_zip(tmp_path / "s.zip", {"a_1_2_big.py": "x = 1\n" * 100, "b_3_4_lab.py": RELU})
    big, small = collect([zip_path])
    assert (big.student, big.cells) == ("1", ())
    assert "larger than" in big.problems[0] and big.file == "big.py" and "big.py" in big.problems[0]
    assert small.student == "3" and small.cells
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "huge.py").write_text("x = 1\n" * 100)
    (huge,) = collect([tmp_path / "folder"])
    assert huge.cells == () and "larger than" in huge.problems[0]


def test_bad_zip_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        collect([path])


# ------------------------------------------------------------------ folders and inputs


def test_folder_takes_top_level_py_and_ipynb_only(tmp_path):
    (tmp_path / "alice.py").write_text(RELU)
    write_notebook(tmp_path / "bob.ipynb", [("code", RELU)])
    (tmp_path / ".secret.py").write_text(RELU)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "alice.py").write_text(RELU)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_notebook(tmp_path / ".ipynb_checkpoints" / "bob-checkpoint.ipynb", [("code", RELU)])
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "carol.py").write_text(RELU)
    (tmp_path / "lab_checks.py").write_text(RELU)       # the lab's own file: nobody's
    subs = collect([tmp_path])
    # Every file is a student, every sub-folder too; a file that is not code is a student
    # with no submission, never silently dropped.
    assert [(s.student, s.file, s.missing) for s in subs] == [
        ("alice", "alice.py", False), ("bob", "bob.ipynb", False), ("extra", "carol.py", False),
        ("notes", None, True)]
    assert "notes.txt" in subs[3].problems[0]


def test_two_files_of_one_student_the_notebook_is_graded(tmp_path):
    (tmp_path / "alice.py").write_text(RELU)
    write_notebook(tmp_path / "alice.ipynb", [("code", RELU)])
    [sub] = collect([tmp_path / "alice.py", tmp_path / "alice.ipynb"])
    assert (sub.student, sub.file, sub.passed_over) == ("alice", "alice.ipynb", ("alice.py",))
    assert any("passed over: alice.py" in note for note in sub.notes)


def test_same_input_twice_counts_once(tmp_path):
    (tmp_path / "alice.py").write_text(RELU)
    assert len(collect([tmp_path / "alice.py", tmp_path, tmp_path / "alice.py"])) == 1


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.py", "no such file or folder"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no submissions in this folder"),
])
def test_unusable_inputs_raise_clear_errors(tmp_path, make, message):
    with pytest.raises(SubmissionError, match=message):
        collect([make(tmp_path)])
