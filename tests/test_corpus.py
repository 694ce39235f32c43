"""The grader against a corpus of real-looking submissions, through its command line only.

``tests/corpus/<week>/correct`` holds right answers in different styles (loops,
vectorized, im2col, noisy notebooks); every one must get the week's full points.
``tests/corpus/<week>/buggy`` holds one realistic student bug per file, named on its first
line as ``# BUG: <function>: <what went wrong>``; every one must lose points in that
function. Grading is also checked to be deterministic: a second run gives byte-identical
result files.
"""
import csv
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from autograder import course

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
WEEKS = ("week08", "week09")
STATUSES = {"passed", "wrong shape", "wrong values", "modified input", "not implemented",
            "crashed", "timed out", "policy violation"}
BUG_LINE = re.compile(r"# BUG: (\w+): (.+)")
# Where the kind of failure is certain from the bug itself, the function's failed tests must
# include this status (the rest of the buggy corpus only has to lose points):
EXPECTED_STATUS = {
    # writes into its input array
    "relu_in_place": "modified input",
    "avgpool_divides_input_in_place": "modified input",
    # np.max(x, 0) reduces an axis; flattening drops or adds axes
    "relu_np_max": "wrong shape",
    "dense_single_sample": "wrong shape",
    "flatten_drops_batch": "wrong shape",
    "flatten_one_column": "wrong shape",
    "conv_valid_size_off_by_one": "wrong shape",
    "conv_always_valid": "wrong shape",
    "maxpool_valid_keeps_remainder": "wrong shape",
    # raise on a legal call: bias=None, a strides pair, a pool_size pair
    "dense_bias_required": "crashed",
    "conv_int_strides_only": "crashed",
    "maxpool_int_pool_size_only": "crashed",
    # right shape, wrong numbers
    "conv_flipped_kernel": "wrong values",
    "maxpool_same_zero_pad": "wrong values",
    "avgpool_same_full_window": "wrong values",
    "softmax_no_max_shift": "wrong values",
    "flatten_channels_first": "wrong values",
}


def grade(week, out, *paths, jobs=2, timeout=None, force=False):
    """Run ``python -m autograder grade`` and return the finished process (output captured)."""
    cmd = [sys.executable, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
           "--jobs", str(jobs)]
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    if force:
        cmd.append("--force")
    cmd += [str(p) for p in paths]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)


def read_scores(out):
    with open(pathlib.Path(out) / "scores.csv", newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def read_results(out):
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in pathlib.Path(out).glob("*.json")}


def function_max(result):
    """Points available per graded function, from the result's own tests."""
    maxima = {}
    for test in result["tests"]:
        maxima[test["tags"][0]] = maxima.get(test["tags"][0], 0.0) + test["max_score"]
    return maxima


def submissions(week, kind):
    return sorted(p for p in (CORPUS / week / kind).iterdir() if p.suffix in (".py", ".ipynb"))


def bug_of(path):
    match = BUG_LINE.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path} must start with '# BUG: <function>: <what>'"
    return match.group(1), match.group(2)


def code_hash():
    """sha256 over the grading code and data (to tell a changed kit from a nondeterministic one)."""
    digest = hashlib.sha256()
    for folder in ("autograder", "reference"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Each week's correct + buggy corpus graded in one batch: {week: (out_dir, results, scores)}."""
    runs = {"code": code_hash()}
    for week in WEEKS:
        out = tmp_path_factory.mktemp(f"corpus-{week}")
        proc = grade(week, out, CORPUS / week / "correct", CORPUS / week / "buggy")
        assert proc.returncode == 0, f"grade exited {proc.returncode}:\n{proc.stderr[-3000:]}"
        runs[week] = (out, read_results(out), read_scores(out))
    return runs


def test_corpus_is_large_and_varied():
    buggy = sum(len(submissions(week, "buggy")) for week in WEEKS)
    assert buggy >= 30
    for week in WEEKS:
        names = {p.name for p in submissions(week, "correct")}
        assert len(names) >= 4 and any(n.endswith(".ipynb") for n in names), names
        for path in submissions(week, "buggy"):
            function, _ = bug_of(path)
            assert function in course.load().lab(week).functions, (path, function)


@pytest.mark.parametrize("week", WEEKS)
def test_every_result_is_well_formed(graded, week):
    out, results, scores = graded[week]
    lab = course.load().lab(week)
    expected = {p.stem for kind in ("correct", "buggy") for p in submissions(week, kind)}
    assert set(results) == expected
    assert set(scores) == expected
    assert not (pathlib.Path(out) / "grader-errors.log").exists()
    for student, result in results.items():
        assert result["extra_data"]["student"] == student
        assert result["extra_data"]["assignment"] == week
        assert sum(t["max_score"] for t in result["tests"]) == pytest.approx(lab.points)
        assert result["score"] == pytest.approx(sum(t["score"] for t in result["tests"]))
        assert float(scores[student]["score"]) == pytest.approx(result["score"])
        assert float(scores[student]["max_score"]) == pytest.approx(lab.points)
        assert set(function_max(result)) == set(lab.functions)
        for test in result["tests"]:
            assert test["status"] in STATUSES, test
            # a test scores its maximum exactly when it passed
            assert (test["status"] == "passed") == (test["score"] == test["max_score"]), test


@pytest.mark.parametrize("week", WEEKS)
def test_correct_submissions_get_full_marks(graded, week):
    _, results, scores = graded[week]
    lab = course.load().lab(week)
    assert lab.points == {"week08": 10, "week09": 5}[week]   # the syllabus (CONTRACT section 4)
    for path in submissions(week, "correct"):
        result = results[path.stem]
        failed = [(t["name"], t["status"], t["output"][:300]) for t in result["tests"] if t["status"] != "passed"]
        assert not failed, f"{path.name} lost points: {failed}"
        assert result["score"] == pytest.approx(lab.points)
        assert float(scores[path.stem]["score"]) == pytest.approx(lab.points)
        for function, points in function_max(result).items():
            assert float(scores[path.stem][function]) == pytest.approx(points)


def test_every_bug_loses_points_in_its_function(graded):
    caught, missed, lines = 0, [], []
    for week in WEEKS:
        _, results, scores = graded[week]
        for path in submissions(week, "buggy"):
            function, what = bug_of(path)
            result = results[path.stem]
            maximum = function_max(result)[function]
            earned = float(scores[path.stem][function])
            statuses = sorted({t["status"] for t in result["tests"]
                               if t["tags"][0] == function and t["status"] != "passed"})
            ok = earned < maximum - 1e-9 and statuses
            want = EXPECTED_STATUS.get(path.stem)
            if ok and want and want not in statuses:
                ok = False
                statuses.append(f"(expected {want!r})")
            caught += bool(ok)
            if not ok:
                missed.append(f"{week}/{path.name}: {function} {earned}/{maximum} {statuses}: {what}")
            lines.append(f"  {'caught' if ok else 'MISSED'} {week}/{path.stem}: {function} "
                         f"{earned:g}/{maximum:g} {', '.join(statuses)}")
    total = sum(len(submissions(week, "buggy")) for week in WEEKS)
    print("\n".join(lines))
    print(f"buggy submissions caught: {caught}/{total}")
    assert caught == total, "missed:\n" + "\n".join(missed)


def test_grading_twice_gives_identical_results(graded, tmp_path):
    """A second run (--force, another folder) writes byte-identical result files."""
    first, _, _ = graded["week08"]
    second = tmp_path / "again"
    proc = grade("week08", second, CORPUS / "week08" / "correct", CORPUS / "week08" / "buggy", force=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in pathlib.Path(first).iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    differing = [n for n in names if (pathlib.Path(first) / n).read_bytes() != (second / n).read_bytes()]
    if differing and code_hash() != graded["code"]:
        # The grading code itself was edited between the runs (only while developing): its
        # fingerprint in extra_data.options legitimately differs; everything else must not.
        print("note: the grading code changed between the two runs; comparing without its fingerprint")
        differing = [n for n in differing if n.endswith(".json")
                     and _without_fingerprint(pathlib.Path(first) / n) != _without_fingerprint(second / n)]
    assert not differing, f"results differ between two runs: {differing}"


def _without_fingerprint(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    data["extra_data"].get("options", {}).pop("grader", None)
    return data


def test_results_carry_no_run_specific_paths(graded):
    """Determinism across machines: no temp folder or home path inside a result."""
    for week in WEEKS:
        out, _, _ = graded[week]
        for path in pathlib.Path(out).glob("*.json"):
            text = path.read_text(encoding="utf-8")
            assert str(out) not in text and os.path.expanduser("~") + os.sep not in text, path.name


# ---------------------------------------------------------------- replayable feedback

REPLAY_RUNNER = r'''
import ast, copy, json, sys
import numpy as np
from autograder.suites import Case, properties

path, blocks = sys.argv[1], json.loads(sys.stdin.read())
student = {"__name__": "student"}
exec(compile(open(path, encoding="utf-8").read(), path, "exec"), student)
verdicts = []
for block in blocks:
    tree = ast.parse(block)
    *setup, last = tree.body
    names = dict(student)
    exec(compile(ast.Module(body=setup, type_ignores=[]), "<block>", "exec"), names)
    call = last.value
    function = call.func.id
    args = [eval(compile(ast.Expression(a), "<arg>", "eval"), names) for a in call.args]
    kwargs = {k.arg: eval(compile(ast.Expression(k.value), "<arg>", "eval"), names) for k in call.keywords}
    expected, scale = properties.expected_for(function, Case(tuple(copy.deepcopy(args)), copy.deepcopy(kwargs)))
    sent = copy.deepcopy((args, kwargs))
    try:
        with np.errstate(all="ignore"):
            got = eval(compile(ast.Expression(call), "<call>", "eval"), names)
    except Exception as exc:
        verdicts.append(f"crashed: {type(exc).__name__}")
        continue
    arrays = properties.arrays_in(Case(tuple(args), kwargs))
    if any(not properties.same_bits(a, b) for a, b in zip(properties.arrays_in(Case(tuple(sent[0]), sent[1])), arrays)):
        verdicts.append("modified input")
    elif not isinstance(got, np.ndarray) or got.shape != expected.shape:
        verdicts.append("wrong shape")
    elif not properties.tolerance.within(got, expected, scale).all():
        verdicts.append("wrong values")
    else:
        verdicts.append("right")
print(json.dumps(verdicts))
'''


def blocks_of(output):
    return re.findall(r"```python\n(.*?)\n```", output, re.S)


@pytest.mark.parametrize("week", WEEKS)
def test_every_failing_case_can_be_replayed(graded, week):
    """Each failing test of a buggy submission carries a block; run in a fresh Python with the
    student's functions, every block reproduces a wrong output (checked against the reference)."""
    _, results, _ = graded[week]
    replayed = 0
    for path in submissions(week, "buggy"):
        blocks = []
        for test in results[path.stem]["tests"]:
            if test["status"] in ("passed", "timed out", "not implemented", "policy violation"):
                continue
            found = blocks_of(test["output"])
            # a fixed case too large to print says so by its label and shows the wrong slice instead
            assert found or ("Failing case:" in test["output"] and "expected:" in test["output"]
                             or test["status"] != "wrong values"), (path.name, test["name"], test["output"])
            assert len(found) <= 1
            blocks += found
        if not blocks:
            continue
        for block in blocks:
            assert block.startswith("import numpy as np\n") and "(" in block.splitlines()[-1], block
        proc = subprocess.run([sys.executable, "-c", REPLAY_RUNNER, str(path)], input=json.dumps(blocks),
                              capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        verdicts = json.loads(proc.stdout)
        assert "right" not in verdicts, (path.name, list(zip(verdicts, blocks)))
        replayed += len(blocks)
    assert replayed >= 20


def test_a_same_padding_bug_costs_only_the_same_padding_tests(tmp_path):
    # A user's trial: conv2d with the odd 'same' pad at the top/left, right for every 'valid'
    # input and for integer images, lost the integer-images test too because its cases used
    # 'same'. A bug costs the feature it is in: only tests that use 'same' (or mix every
    # feature: the fixtures and padding corners) may fail.
    cases = pathlib.Path(__file__).resolve().parent / "data" / "student_cases"
    proc = grade("week09", tmp_path, cases / "conv_same_top_heavy.py", cases / "conv_same_k_minus_1.py")
    assert proc.returncode == 0, proc.stderr[-2000:]
    for student, result in read_results(tmp_path).items():
        conv = [t for t in result["tests"] if t["tags"][0] == "conv2d"]
        failed = {t["name"] for t in conv if t["status"] != "passed"}
        assert failed, f"{student}: its 'same' bug went unnoticed"
        for name in failed:
            assert "same" in name or "golden fixtures" in name, f"{student}: {name!r} failed"
        integer = [t for t in conv if t["name"].startswith("conv2d: integer images")]
        assert integer and integer[0]["status"] == "passed", student
