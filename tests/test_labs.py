"""The student side: master notebooks in solutions/, their student versions in assignments/.

- the committed student versions are what ``dlgrade build`` makes from the masters (not stale);
- the student versions hold stubs and public checks only, never solution code or hidden tests;
- run top to bottom, a master passes all its public checks; an untouched student notebook fails
  each one with a one-sentence "not implemented" message;
- ``dlgrade grade`` gives the masters full marks and the untouched student notebooks zero;
- the public checks catch typical bugs with a sentence that names them, and stay fast.
"""
import ast
import inspect
import json
import pathlib
import subprocess
import sys
import time

import nbformat
import numpy as np
import pytest

import reference
from autograder import course
from autograder.labs import build

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS, ASSIGNMENTS = ROOT / "solutions", ROOT / "assignments"
LABS = tuple(sorted(course.load().labs))  # every lab of the syllabus has a master notebook
# Weeks 9 to 11 ask again for the week 8 functions their forward passes use (not graded those weeks).
ASKED = {"week08": ("relu", "dense", "softmax"),
         "week09": ("relu", "dense", "softmax", "conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward"),
         "week10": ("dense", "softmax", "simple_rnn_cell", "simple_rnn", "rnn_forward"),
         "week11": ("dense", "softmax", "lstm", "gru", "lstm_forward")}


def _load_lab_checks():
    """solutions/lab_checks.py, the module every lab ships (solutions/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lab_checks", SOLUTIONS / "lab_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lab_checks = _load_lab_checks()


def code_cells(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def solution_lines(path):
    """Code lines that appear only inside ``# BEGIN SOLUTION`` blocks of a master notebook."""
    inside, lines, outside = False, set(), set()
    for source in code_cells(path):
        for line in source.splitlines():
            text = line.strip()
            if text.startswith("# BEGIN SOLUTION"):
                inside = True
            elif text.startswith("# END SOLUTION"):
                inside = False
            elif text and not text.startswith(("#", '"""', "...")):
                (lines if inside else outside).add(text)
    return lines - outside


def test_labs_match_the_syllabus():
    for name in LABS:
        assert set(course.load().lab(name).functions) <= set(ASKED[name])
        assert (SOLUTIONS / name / f"{name}.ipynb").is_file()


def test_committed_student_versions_are_up_to_date(tmp_path):
    for name in LABS:
        build.build_lab(name, SOLUTIONS, tmp_path / name)
        stale = build.stale_files(tmp_path / name, ASSIGNMENTS / name)
        assert not stale, f"assignments/{name} is stale ({stale}); run `dlgrade build`"


def test_build_is_deterministic(tmp_path):
    build.build_lab("week08", SOLUTIONS, tmp_path / "a")
    build.build_lab("week08", SOLUTIONS, tmp_path / "b")
    assert build.stale_files(tmp_path / "a", tmp_path / "b") == []


def test_build_check_cli_reports_stale_copies(tmp_path, capsys):
    from autograder import cli

    out = tmp_path / "assignments"
    assert cli.main(["build", "--lab", "week08", "--out", str(out), "--solutions", str(SOLUTIONS)]) == 0
    assert cli.main(["build", "--check", "--lab", "week08", "--out", str(out), "--solutions", str(SOLUTIONS)]) == 0
    (out / "week08" / "lab_checks.py").write_text("# edited by hand\n")
    assert cli.main(["build", "--check", "--lab", "week08", "--out", str(out), "--solutions", str(SOLUTIONS)]) == 1
    assert "week08/lab_checks.py" in capsys.readouterr().err
    assert cli.main(["build", "--lab", "week99", "--solutions", str(SOLUTIONS)]) == 2
    assert "no master notebook for week99" in capsys.readouterr().err


@pytest.mark.parametrize("name", LABS)
def test_student_version_holds_no_solution_code(name):
    student = "\n".join(code_cells(ASSIGNMENTS / name / f"{name}.ipynb"))
    leaked = sorted(line for lab in LABS for line in solution_lines(SOLUTIONS / lab / f"{lab}.ipynb")
                    if line in student)
    assert not leaked, f"solution lines in assignments/{name}: {leaked}"
    # Tell-tale pieces of the solutions, whatever the line around them.
    for piece in ("np.pad", "reshape(-1", "tensordot", "keepdims=True", "BEGIN SOLUTION", "_plan("):
        assert piece not in student, f"{piece!r} in assignments/{name}/{name}.ipynb"
    # Just the student's files: no autograder zip, no otter_config, no solutions notebook.
    files = {p.relative_to(ASSIGNMENTS / name).as_posix() for p in (ASSIGNMENTS / name).rglob("*") if p.is_file()}
    assert files == {"digits.npz", "lab_checks.py", "requirements.txt", f"{name}.ipynb"} | {f"tests/{q}.py" for q in ASKED[name]}
    for test_file in (ASSIGNMENTS / name / "tests").glob("*.py"):
        text = test_file.read_text()
        assert "hidden=True" not in text and "hidden=False" in text, f"{test_file} has a hidden test"


@pytest.mark.parametrize("name", LABS)
def test_student_functions_are_stubs(name):
    """Each function the lab asks for is defined with a docstring and ``...`` as its body."""
    stubs = {}
    for source in code_cells(ASSIGNMENTS / name / f"{name}.ipynb"):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                stubs[node.name] = node
    for fn in ASKED[name]:
        body = stubs[fn].body
        assert ast.get_docstring(stubs[fn]), f"{fn} has no docstring"
        assert len(body) == 2 and isinstance(body[1].value, ast.Constant) and body[1].value.value is Ellipsis, \
            f"{fn} in assignments/{name} is not a `...` stub"
        # The signature students see is the contract's (same as the reference).
        ref = inspect.signature(getattr(reference, fn))
        assert [a.arg for a in stubs[fn].args.args] == list(ref.parameters), fn


def execute(name, view, tmp_path):
    """Run otter's ``view`` ("autograder" = with solutions, or "student") of a lab top to
    bottom; returns {question: output of its grader.check cell} and the seconds taken."""
    from nbclient import NotebookClient

    folder = build.assign_lab(name, SOLUTIONS, tmp_path) / view
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=(view == "student"),
                   resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.perf_counter() - start
    checks = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            question = cell.source.split('"')[1]
            checks[question] = "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                                       for o in cell.outputs)
    return checks, seconds


@pytest.mark.parametrize("name", LABS)
def test_solution_notebook_passes_all_public_checks(name, tmp_path):
    checks, seconds = execute(name, "autograder", tmp_path)
    assert sorted(checks) == sorted(ASKED[name])
    for question, output in checks.items():
        assert "All test cases passed" in output, f"{name} {question}: {output}"
    assert seconds < 60, f"{name} took {seconds:.1f} s to run top to bottom"


@pytest.mark.parametrize("name", LABS)
def test_student_notebook_checks_fail_clearly(name, tmp_path):
    checks, _ = execute(name, "student", tmp_path)
    assert sorted(checks) == sorted(ASKED[name])
    for question, output in checks.items():
        assert f"AssertionError: {question} is not implemented yet: replace the ... in its body" in output, output


def grade(name, notebook, out):
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", name, "--jobs", "1",
                           "--out", str(out), str(notebook)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / f"{notebook.stem}.json").read_text())


@pytest.mark.parametrize("name", LABS)
def test_grader_gives_the_solution_full_marks_and_the_stubs_zero(name, tmp_path):
    points = course.load().lab(name).points
    solved = grade(name, SOLUTIONS / name / f"{name}.ipynb", tmp_path / "solution")
    assert solved["score"] == points, [t for t in solved["tests"] if t["status"] != "passed"]
    untouched = grade(name, ASSIGNMENTS / name / f"{name}.ipynb", tmp_path / "student")
    assert untouched["score"] == 0
    assert {t["status"] for t in untouched["tests"]} == {"not implemented"}
    assert {t["tags"][0] for t in untouched["tests"]} == set(course.load().lab(name).functions)


# ---------------------------------------------------------------- the public checks themselves

def _extra(name, fns):
    """The other functions a check leans on (your own dense, the other pooling)."""
    return {"conv2d": {"dense": fns["dense"]}, "max_pool2d": {"avg_pool2d": fns["avg_pool2d"]},
            "avg_pool2d": {"max_pool2d": fns["max_pool2d"]}}.get(name, {})


def test_public_checks_pass_the_reference_quickly(monkeypatch):
    monkeypatch.chdir(SOLUTIONS / "week09")  # cnn_forward's check also runs the trained digits network
    fns = {name: getattr(reference, name) for name in lab_checks.CHECKS}
    for name, check in lab_checks.CHECKS.items():
        start = time.perf_counter()
        check(fns[name], **_extra(name, fns))
        assert time.perf_counter() - start < 5, f"the {name} check is slow"


def _conv_flipped(x, k, bias=None, strides=1, padding="valid"):
    return reference.conv2d(x, np.asarray(k)[::-1, ::-1], bias, strides, padding)


def _conv_same_top_left(x, k, bias=None, strides=1, padding="valid"):
    """'same' with all the padding at the top/left (not TensorFlow's rule)."""
    if padding != "same":
        return reference.conv2d(x, k, bias, strides, padding)
    kh, kw = np.asarray(k).shape[:2]
    xp = np.pad(np.asarray(x, float), ((0, 0), (kh - 1, 0), (kw - 1, 0), (0, 0)))
    return reference.conv2d(xp, k, bias, strides, "valid")[:, :x.shape[1], :x.shape[2]]


def _softmax_naive(x):
    e = np.exp(np.asarray(x, float))
    return e / e.sum(axis=-1, keepdims=True)


def _relu_in_place(x):
    x[x < 0] = 0
    return x


def _avg_counting_padding(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling that divides by the full window even where it hangs over the edge."""
    out = reference.avg_pool2d(x, pool_size, strides, padding)
    return out * 0.9 if padding == "same" else out


def _max_zero_padding(x, pool_size=2, strides=None, padding="valid"):
    out = reference.max_pool2d(x, pool_size, strides, padding)
    return np.maximum(out, 0) if padding == "same" else out


def _flatten_channels_first(x):
    return np.transpose(x, (0, 3, 1, 2)).reshape(len(x), -1) if np.ndim(x) == 4 else np.reshape(x, (len(x), -1))


def _cnn(pool, activation):
    def forward(x, w):
        h = activation(reference.conv2d(x, w[0], w[1]))
        return reference.softmax(reference.dense(reference.flatten(pool(h, 2)), w[2], w[3]))
    return forward


BUGS = [  # (function, buggy implementation, words the failure must contain)
    ("conv2d", _conv_flipped, "lecture's feature map"),
    ("conv2d", _conv_same_top_left, "padding='same'"),
    ("softmax", _softmax_naive, "overflowed"),
    ("softmax", lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(), "sum to 1"),  # over all rows
    ("relu", _relu_in_place, "changed its input"),
    ("relu", lambda x: np.clip(x, 0, 6), "relu([[-2, -0.5, 0, 0.5, 7.5]])"),
    ("dense", lambda x, kernel, bias=None: np.asarray(x) @ np.asarray(kernel), "should be [[6.5, -1]]"),  # bias ignored
    ("avg_pool2d", _avg_counting_padding, "padded cells must not count"),
    ("max_pool2d", _max_zero_padding, "padded cells must not count"),
    ("flatten", _flatten_channels_first, "Keras order"),
    ("cnn_forward", _cnn(reference.avg_pool2d, reference.relu), "max-pool"),
    ("cnn_forward", _cnn(reference.max_pool2d, lambda h: h), "ReLU"),
    ("conv2d", lambda *a, **k: None, "conv2d is not implemented yet"),
    ("flatten", lambda x: list(np.reshape(x, (len(x), -1))), "expected a NumPy array"),
    ("max_pool2d", lambda x, *a, **k: 1 / 0, "raised ZeroDivisionError"),
]


@pytest.mark.parametrize("name, buggy, words", BUGS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BUGS)])
def test_public_checks_catch_typical_bugs_in_one_sentence(name, buggy, words):
    fns = {n: getattr(reference, n) for n in lab_checks.CHECKS}
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
        lab_checks.CHECKS[name](buggy, **_extra(name, fns))
    message = str(failure.value)
    assert words in message
    assert "\n" not in message and len(message) < 400, message


def test_lab_data_runs_the_trained_networks():
    """The shipped weights, run through the reference layers, classify the test digits well."""
    with np.load(SOLUTIONS / "week08" / "digits.npz") as d:
        x = d["images"].reshape(len(d["images"]), 64) / 16.0
        probs = reference.softmax(reference.dense(reference.relu(reference.dense(x, d["hidden_kernel"], d["hidden_bias"])),
                                                  d["output_kernel"], d["output_bias"]))
        assert np.mean(probs.argmax(1) == d["labels"]) > 0.9
    with np.load(SOLUTIONS / "week09" / "digits.npz") as d:
        assert d["images"].shape == (360, 8, 8) and d["images"].dtype == np.uint8 and d["images"].max() <= 16
        weights = [d[k] for k in ("conv_kernel", "conv_bias", "dense_kernel", "dense_bias")]
        assert [w.shape for w in weights] == [(3, 3, 1, 8), (8,), (72, 10), (10,)]
        probs = reference.cnn_forward(d["images"][..., None] / 16.0, weights)
        assert np.mean(probs.argmax(1) == d["labels"]) > 0.9


@pytest.mark.parametrize("name", LABS)
def test_notebooks_need_neither_tensorflow_nor_matplotlib(name, monkeypatch, capsys):
    cells = code_cells(SOLUTIONS / name / f"{name}.ipynb")
    for source in cells:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert not [m for m in modules if m.split(".")[0] in ("tensorflow", "keras", "sklearn")], modules
    # The pictures fall back to printed numbers when matplotlib is missing.
    helper = [s for s in cells if s.lstrip().startswith("import numpy") and "def show(" in s]
    if helper:
        monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # makes the import fail
        namespace = {}
        exec(helper[0], namespace)
        namespace["show"]([np.eye(2)], ["identity"])
        assert "identity" in capsys.readouterr().out


# ---------------------------------------------------------------- dlgrade build runs the checks

def _copy_solutions(tmp_path):
    import shutil

    copy = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, copy, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return copy


def test_build_fails_when_a_public_check_fails_on_the_solution(tmp_path, capsys):
    """A check with a NameError (the bug that once shipped) stops the build, names the check,
    and nothing is written; `--check` fails the same way."""
    from autograder import cli

    solutions = _copy_solutions(tmp_path)
    checks = solutions / "lab_checks.py"
    checks.write_text(checks.read_text().replace(
        "def check_relu(relu):\n", "def check_relu(relu):\n    np.asarry(relu)\n", 1))
    out = tmp_path / "assignments"
    assert cli.main(["build", "--lab", "week08", "--out", str(out), "--solutions", str(solutions)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "public check 'relu' fails on the solution" in err, err
    assert "asarry" in err and not out.exists()
    assert cli.main(["build", "--check", "--lab", "week08", "--out", str(ASSIGNMENTS), "--solutions", str(solutions)]) == 2


def test_build_runs_the_checks_without_tensorflow(tmp_path, capsys):
    from autograder import cli

    solutions = _copy_solutions(tmp_path)
    master = solutions / "week08" / "week08.ipynb"
    nb = nbformat.read(master, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("import tensorflow as tf"))
    nbformat.write(nb, master)
    assert cli.main(["build", "--lab", "week08", "--out", str(tmp_path / "out"), "--solutions", str(solutions)]) == 2
    err = capsys.readouterr().err
    assert "fails (ImportError: the public checks must not need TensorFlow)" in err, err


def test_running_the_master_does_not_make_the_build_stale(tmp_path, capsys):
    """A master saved after Run All in Jupyter (outputs, counts, timing metadata, the
    language version) builds the same student notebook as the committed one."""
    from autograder import cli

    solutions = _copy_solutions(tmp_path)
    master = solutions / "week08" / "week08.ipynb"
    nb = nbformat.read(master, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9", "mimetype": "text/x-python"}
    nb.metadata["widgets"] = {"state": {}}
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {n}\n")]
        cell.metadata["execution"] = {"iopub.execute_input": "2027-04-16T10:00:00.000Z",
                                      "shell.execute_reply": "2027-04-16T10:00:01.000Z"}
        cell.metadata["scrolled"] = True
    nbformat.write(nb, master)
    code = cli.main(["build", "--check", "--lab", "week08", "--out", str(ASSIGNMENTS), "--solutions", str(solutions)])
    assert code == 0, capsys.readouterr().err


# ---------------------------------------------------------------- checks that teach, never wrong

CORPUS = ROOT / "tests" / "corpus"
STUDENT_CASES = ROOT / "tests" / "data" / "student_cases"  # from the student-side trial (issue 11)


def _functions_of(path):
    """The functions a corpus submission defines (our own files, run in-process), its cells
    cleaned of magics and run statement by statement as the grader does."""
    from autograder import submissions

    names = {"__name__": "submission"}
    def kept(statement):  # definitions and the imports the grader allows; not the (slow) demo lines
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in statement.names] if isinstance(statement, ast.Import) else [statement.module]
            return all(m and (m.split(".")[0] in sys.stdlib_module_names or m.split(".")[0] == "numpy")
                       for m in modules)
        return isinstance(statement, (ast.FunctionDef, ast.ClassDef))

    for cell in submissions.load(path).cells:
        for statement in filter(kept, ast.parse(cell.source).body):
            try:
                exec(compile(ast.Module(body=[statement], type_ignores=[]), str(path), "exec"), names)
            except Exception:  # noqa: BLE001 - a demo line (data file, matplotlib); the functions remain
                pass
    return names


def _run_check(name, fns):
    extra = {"conv2d": {"dense": fns.get("dense")}, "max_pool2d": {"avg_pool2d": fns.get("avg_pool2d")},
             "avg_pool2d": {"max_pool2d": fns.get("max_pool2d")}}.get(name, {})
    lab_checks.CHECKS[name](fns[name], **extra)


CORRECT = sorted(p for week in LABS for p in (CORPUS / week / "correct").iterdir() if p.suffix in (".py", ".ipynb"))


@pytest.mark.parametrize("path", CORRECT, ids=[f"{p.parent.parent.name}/{p.name}" for p in CORRECT])
def test_public_checks_never_fail_code_the_hidden_tests_pass(path, monkeypatch):
    """Every correct corpus submission (full marks from the hidden tests, test_corpus proves it)
    passes every public check of its functions, each in under a second."""
    monkeypatch.chdir(SOLUTIONS / "week09")
    fns = _functions_of(path)
    checked = 0
    for name in lab_checks.CHECKS:
        if name in fns:
            start = time.perf_counter()
            with np.errstate(all="ignore"):
                _run_check(name, fns)
            # (a guard against slow checks on shared CI cores; on a quiet core each takes < 1 s:
            # scripts/bench_public_checks.py measures it)
            assert time.perf_counter() - start < 3.0, f"the {name} check is slow on {path.name}"
            checked += 1
    assert checked >= 3


# (file, function, words of the public check's failure): each passed the old public checks
# (or gave no line) while the hidden tests failed it.
TRIAL = [
    ("conv_same_k_minus_1.py", "conv2d", "it depends on the stride"),
    ("conv_same_top_heavy.py", "conv2d", "goes at the right (bottom/right), not the left"),
    ("conv_flipped.py", "conv2d", "lecture's feature map"),
    ("conv_channel0_only.py", "conv2d", "input channel 1"),
    ("dense_if_bias.py", "dense", "(in your dense, line 18 of dense_if_bias.py: `if bias:`)"),
]


@pytest.mark.parametrize("case", TRIAL, ids=[c[0] for c in TRIAL])
def test_public_checks_teach_the_rules_the_trial_missed(case, monkeypatch):
    file, name, words = case
    monkeypatch.chdir(SOLUTIONS / "week09")
    fns = _functions_of(STUDENT_CASES / file)
    with pytest.raises(AssertionError) as failure:
        _run_check(name, fns)
    assert words in str(failure.value)
    assert "\n" not in str(failure.value)


def _rounding(fn):
    def wrapped(x, *args, **kwargs):
        out = fn(x, *args, **kwargs)
        return np.trunc(out).astype(np.asarray(x).dtype) if np.asarray(x).dtype.kind in "iu" else out
    return wrapped


def _same_top_heavy_pool(fn):
    def wrapped(x, pool_size=2, strides=None, padding="valid"):
        if padding != "same":
            return fn(x, pool_size, strides, padding)
        x = np.asarray(x, dtype=float)
        (ph, pw) = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
        s = pool_size if strides is None else strides
        (sh, sw) = (s, s) if isinstance(s, int) else s
        pads = [lab_checks.same_padding(n, k, st)[::-1] for n, k, st in zip(x.shape[1:3], (ph, pw), (sh, sw))]
        fill = -np.inf if fn is reference.max_pool2d else 0.0
        out = fn(np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill), (ph, pw), (sh, sw))
        if fn is reference.avg_pool2d:
            out = out / fn(np.pad(np.ones(x.shape), ((0, 0), *pads, (0, 0))), (ph, pw), (sh, sw))
        return out
    return wrapped


@pytest.mark.parametrize("name, buggy, words", [
    ("conv2d", _rounding(reference.conv2d), ("integer image",)),
    # the lecture's feature map is an integer image, and its 'same' pooling has a half window at the end
    ("avg_pool2d", _rounding(reference.avg_pool2d), ("integer image", "lecture's feature map")),
    ("max_pool2d", _same_top_heavy_pool(reference.max_pool2d), ("bottom/right", "lecture's feature map")),
    ("avg_pool2d", _same_top_heavy_pool(reference.avg_pool2d), ("bottom/right",)),
], ids=["conv-int-output", "avg-int-output", "max-same-top-heavy", "avg-same-top-heavy"])
def test_public_checks_catch_integer_output_and_pools_same_rule(name, buggy, words):
    fns = {n: getattr(reference, n) for n in lab_checks.CHECKS}
    fns[name] = buggy
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
        _run_check(name, fns)
    assert any(w in str(failure.value) for w in words), str(failure.value)


def test_pools_same_property_names_the_padding():
    """The new 'same' property alone (not the lecture's example) catches top-heavy pooling."""
    fns = {n: getattr(reference, n) for n in lab_checks.CHECKS}
    buggy = _same_top_heavy_pool(reference.max_pool2d)
    # right on the lecture's 5x5 map, top-heavy everywhere else
    with pytest.raises(AssertionError) as failure:
        lab_checks.check_max_pool2d(lambda x, pool_size=2, strides=None, padding="valid":
                                    reference.max_pool2d(x, pool_size, strides, padding)
                                    if not (padding == "same" and np.shape(x)[1:3] != (5, 5))
                                    else buggy(x, pool_size, strides, padding), fns["avg_pool2d"])
    assert "TensorFlow pads" in str(failure.value) and "bottom/right" in str(failure.value)


def test_the_lab_installs_what_the_grader_runs():
    """requirements.txt: a Jupyter front end and kernel, and NumPy of the grader's major.minor."""
    import re
    text = (SOLUTIONS / "requirements.txt").read_text()
    pinned = re.search(r'"numpy==([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert lab_checks.GRADER_NUMPY == pinned == np.__version__
    major, minor = pinned.split(".")[:2]
    assert f"numpy>={major}.{minor},<{major}.{int(minor) + 1}" in text
    for package in ("jupyterlab", "ipykernel", "otter-grader", "hypothesis"):
        assert re.search(rf"^{package}\b", text, re.M), package
    assert "Python 3.11" in text and lab_checks.MIN_PYTHON == (3, 11)
    for name in LABS:
        assert (ASSIGNMENTS / name / "requirements.txt").read_text() == text


@pytest.mark.parametrize("name", LABS)
def test_notebook_opens_with_a_setup_cell_and_closes_with_submit_instructions(name):
    cells = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4).cells
    setup = next(c for c in cells if c.cell_type == "code")
    assert "sys.version_info < (3, 11)" in setup.source and f'start_lab("{name}.ipynb")' in setup.source
    assert "import otter" not in setup.source  # started by lab_checks.start_lab, without its log file
    closing = cells[-1]
    assert closing.cell_type == "markdown" and "Restart & Run All" in closing.source
    assert f"submit this file: `{name}.ipynb`" in closing.source


def test_setup_refuses_a_folder_without_the_labs_files(tmp_path, monkeypatch):
    """grader.check outside the lab folder: one clear sentence instead of "Test relu not found"."""
    import importlib.util
    import shutil

    lab = tmp_path / "week09"
    shutil.copytree(ASSIGNMENTS / "week09", lab)
    spec = importlib.util.spec_from_file_location("lab_checks_copy", lab / "lab_checks.py")
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(RuntimeError, match=r"open week09.ipynb from its lab folder .* this notebook runs in"):
        copy.start_lab("week09.ipynb")
    shutil.rmtree(lab / "tests")
    monkeypatch.chdir(lab)
    with pytest.raises(RuntimeError, match=r"missing there: tests"):
        copy.start_lab("week09.ipynb")


def test_setup_starts_otter_without_writing_into_the_lab_folder(tmp_path, monkeypatch):
    import importlib.util
    import shutil

    lab = tmp_path / "week08"
    shutil.copytree(ASSIGNMENTS / "week08", lab)
    before = sorted(p.relative_to(lab) for p in lab.rglob("*"))
    monkeypatch.chdir(lab)
    monkeypatch.syspath_prepend(str(lab))
    spec = importlib.util.spec_from_file_location("lab_checks", lab / "lab_checks.py")
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    grader = copy.start_lab("week08.ipynb")
    result = grader.check("relu", global_env={"relu": reference.relu, "np": np})
    assert "All test cases passed" in repr(result) or "passed" in str(result)
    after = sorted(p.relative_to(lab) for p in lab.rglob("*") if "__pycache__" not in p.parts)
    assert after == before  # no .OTTER_LOG, no .hypothesis/
