"""Benchmark: grading time per submission, and the same correct submission under `otter run`.

    python scripts/bench_grading.py [--week week08] [--n 20] [--no-otter]

1. Grades N submissions of the bundled corpus (tests/corpus/<week>/correct and buggy) with
   `python -m autograder grade --jobs 1` and reports the mean seconds per submission
   (the batch's wall time over N, so the one-off start-up is shared as in real use).
2. Takes one correct submission in the lab's own notebook format (the lab's solution
   notebook as `otter assign` writes it for the autograder), grades it alone with
   `dlgrade grade --jobs 1`, and, when otter-grader is installed, with `otter run` against
   an autograder zip built by `otter assign` + `otter generate` from the lab's sources in
   solutions/ (or from a minimal master notebook if those are missing). Both timings are
   taken in this run, on this machine, and printed with their ratio; dlgrade also grades
   ten copies of that notebook as one batch (its per-submission cost in real use).

Nothing is written outside a temporary folder.
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"


def timed(cmd, cwd=ROOT):
    """Run ``cmd``; return (seconds, completed process)."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started, proc


def dlgrade(week, out, *paths, jobs=1):
    return [sys.executable, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
            "--jobs", str(jobs), "--force", *map(str, paths)]


def corpus_batch(week, n, tmp):
    """Copy the first ``n`` corpus submissions of ``week`` (correct first) into a folder."""
    files = [p for kind in ("correct", "buggy") for p in sorted((CORPUS / week / kind).iterdir())
             if p.suffix in (".py", ".ipynb")][:n]
    folder = tmp / "batch"
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder, len(files)


# --------------------------------------------------------------------- otter's side

MINIMAL_MASTER = [  # used only when the lab sources in solutions/ cannot be assigned
    ("raw", "# ASSIGNMENT CONFIG\nname: week08\ninit_cell: true\ncheck_all_cell: false\n"
            "export_cell: false\ngenerate: false\nrun_tests: false\ntests:\n  files: true\n  ok_format: false"),
    ("code", "import numpy as np"),
    ("raw", "# BEGIN QUESTION\nname: relu"), ("raw", "# BEGIN SOLUTION"),
    ("code", "def relu(x):\n    return np.maximum(x, 0)"), ("raw", "# END SOLUTION"), ("raw", "# BEGIN TESTS"),
    ("code", "def test_relu(relu):\n    import numpy as np\n    assert np.allclose(relu(np.array([-1.0, 2.0])), [0, 2])"),
    ("raw", "# END TESTS"), ("raw", "# END QUESTION"),
    ("raw", "# BEGIN QUESTION\nname: dense"), ("raw", "# BEGIN SOLUTION"),
    ("code", "def dense(x, kernel, bias=None):\n    out = x @ kernel\n    return out if bias is None else out + bias"),
    ("raw", "# END SOLUTION"), ("raw", "# BEGIN TESTS"),
    ("code", "def test_dense(dense):\n    import numpy as np\n    assert np.allclose(dense(np.ones((1, 2)), np.ones((2, 3)), np.ones(3)), 3)"),
    ("raw", "# END TESTS"), ("raw", "# END QUESTION"),
    ("raw", "# BEGIN QUESTION\nname: softmax"), ("raw", "# BEGIN SOLUTION"),
    ("code", "def softmax(x):\n    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)"),
    ("raw", "# END SOLUTION"), ("raw", "# BEGIN TESTS"),
    ("code", "def test_softmax(softmax):\n    import numpy as np\n    assert np.allclose(softmax(np.array([[1000.0, 0.0]])), [[1, 0]])"),
    ("raw", "# END TESTS"), ("raw", "# END QUESTION"),
]


def assign(week, tmp):
    """``otter assign`` output for ``week`` (folder with autograder/ and student/)."""
    try:
        from autograder.labs.build import assign_lab
        return assign_lab(week, ROOT / "solutions", tmp / "assign"), "the lab's solutions/ sources"
    except Exception as exc:  # the lab sources are missing or otter could not assign them
        if week != "week08":
            raise SystemExit(f"cannot assign {week} with otter: {exc}")
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook, new_raw_cell
        master = tmp / "master" / "week08.ipynb"
        master.parent.mkdir()
        cells = [new_raw_cell(s) if kind == "raw" else new_code_cell(s) for kind, s in MINIMAL_MASTER]
        nbformat.write(new_notebook(cells=cells), master)
        from otter.assign import main as otter_assign
        otter_assign(str(master), str(tmp / "assign"), no_pdfs=True, no_run_tests=True)
        return tmp / "assign", f"a minimal master notebook ({exc.__class__.__name__} with solutions/)"


def otter_zip(dist, tmp):
    """Build autograder.zip from otter assign's autograder/ folder with ``otter generate``."""
    source = dist / "autograder"
    support = [p.name for p in source.iterdir() if p.is_file() and p.suffix not in (".ipynb", ".txt")]
    zip_path = tmp / "autograder.zip"
    cmd = [str(pathlib.Path(sys.executable).with_name("otter")), "generate", "-t", "tests",
           "-o", str(zip_path), *support]
    seconds, proc = timed(cmd, cwd=source)
    if proc.returncode != 0 or not zip_path.exists():
        raise RuntimeError(f"otter generate failed: {proc.stderr[-500:]}")
    return zip_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", default="week08", choices=("week08", "week09"))
    parser.add_argument("--n", type=int, default=20, help="corpus submissions to time (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the single submission (median)")
    parser.add_argument("--copies", type=int, default=10, help="copies of the correct notebook graded as a batch")
    parser.add_argument("--no-otter", action="store_true", help="skip the otter-grader comparison")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-") as name:
        tmp = pathlib.Path(name)
        folder, n = corpus_batch(args.week, args.n, tmp)
        seconds, proc = timed(dlgrade(args.week, tmp / "out-batch", folder))
        if proc.returncode != 0:
            raise SystemExit(f"dlgrade grade failed:\n{proc.stderr[-2000:]}")
        per_submission = seconds / n
        print(f"dlgrade grade --jobs 1, {n} corpus submissions of {args.week}: {seconds:.1f} s, "
              f"{per_submission:.2f} s per submission")

        if args.no_otter:
            return 0
        try:
            import otter  # noqa: F401
        except ImportError:
            print("otter-grader is not installed: no comparison (pip install 'dlgrade[grading]')")
            return 0
        dist, origin = assign(args.week, tmp)
        zip_path = otter_zip(dist, tmp)
        # The same correct submission for both: the lab notebook with its solutions filled in.
        notebook = tmp / "same" / f"{args.week}.ipynb"
        notebook.parent.mkdir()
        shutil.copy(dist / "autograder" / f"{args.week}.ipynb", notebook)

        ours, theirs = [], []
        for i in range(args.repeat):
            s, proc = timed(dlgrade(args.week, tmp / f"out-one-{i}", notebook))
            result = json.loads((tmp / f"out-one-{i}" / f"{args.week}.json").read_text())
            ours.append(s)
            out = tmp / f"otter-{i}"
            out.mkdir()
            cmd = [str(pathlib.Path(sys.executable).with_name("otter")), "run", "-a", str(zip_path),
                   "-o", str(out), str(notebook)]
            s, proc = timed(cmd)
            if proc.returncode != 0 or not (out / "results.json").exists():
                print(f"otter run failed: {proc.stderr[-800:]}")
                return 1
            otter_result = json.loads((out / "results.json").read_text())
            theirs.append(s)
        # The same notebook as a class of identical submissions: dlgrade's per-submission cost
        # for exactly what otter ran, with the one-off start-up shared as in a real batch.
        copies = tmp / "copies"
        copies.mkdir()
        for i in range(args.copies):
            shutil.copy(notebook, copies / f"student{i:02d}.ipynb")
        s, proc = timed(dlgrade(args.week, tmp / "out-copies", copies))
        same_batch = s / args.copies
        ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
        otter_score = sum(t.get("score") or 0 for t in otter_result["tests"])
        otter_max = sum(t.get("max_score") or 0 for t in otter_result["tests"])
        print(f"same correct submission ({args.week} solution notebook; otter zip from {origin}), "
              f"median of {args.repeat}:")
        print(f"  dlgrade grade (one submission, whole command): {ours_s:.2f} s, "
              f"score {result['score']:g}/{result['extra_data']['max_score']:g}, "
              f"{len(result['tests'])} tests, isolation {result['extra_data']['isolation']}")
        print(f"  otter run:                                     {theirs_s:.2f} s, "
              f"score {otter_score:g}/{otter_max:g}, no isolation")
        print(f"  dlgrade grade, {args.copies} copies of it in one batch (--jobs 1): {same_batch:.2f} s per submission")
        print(f"  ratio otter run / dlgrade (one submission):      {theirs_s / ours_s:.1f}x")
        print(f"  ratio otter run / dlgrade (same one, in a batch): {theirs_s / same_batch:.1f}x")
        print(f"  ratio otter run / dlgrade (corpus batch mean):    {theirs_s / per_submission:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
