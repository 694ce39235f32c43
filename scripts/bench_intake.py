"""Intake benchmark: a class of 40 files mixing every messy case, graded in one command; and
each hostile file read alone in a fresh interpreter (wall time and peak memory).

    .venv/bin/python scripts/bench_intake.py [--jobs N] [--keep DIR]

Prints one line per parser case (seconds, MB) and the class's grading time and outcome.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "intake_cases"
sys.path.insert(0, str(ROOT / "tests"))
from test_intake import HOSTILE, notebook, official_correct_notebook  # noqa: E402


def parser_cases(folder):
    """Each hostile file, read by ``submissions.load`` in a fresh interpreter."""
    script = ("import json, re, sys, time\nt = time.perf_counter()\nfrom autograder.submissions import load\n"
              "t0 = time.perf_counter()\ns = load(sys.argv[1])\nt1 = time.perf_counter()\n"
              "peak = int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))\n"
              "print(json.dumps([t1 - t0, peak / 1024, len(s.cells), list(s.problems)]))")
    for name, (make, _, _) in sorted(HOSTILE.items()):
        path = folder / name
        path.write_text(make())
        proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
        seconds, mb, cells, problems = json.loads(proc.stdout)
        size = path.stat().st_size / 1e6
        print(f"read {name:18s} {size:6.1f} MB file: {seconds:6.3f} s, peak {mb:5.0f} MB "
              f"(cells {cells}; {problems[0][:60] if problems else 'no problem'})")
    baseline = subprocess.run([sys.executable, "-c", script, str(CASES / "ada_week09.ipynb")], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds, mb, *_ = json.loads(baseline.stdout)
    print(f"read {'a normal notebook':18s}: {seconds:6.3f} s, peak {mb:5.0f} MB (the interpreter and imports)")


def make_class(folder):
    """40 files: honest students in every layout and naming, and every messy case."""
    folder.mkdir()
    good = (CASES / "ada_week09.ipynb").read_text()
    for i in range(8):
        (folder / f"student{i:02d}.ipynb").write_text(good)
    (folder / "official.ipynb").write_text(official_correct_notebook())
    for name in ("week09 (1).ipynb", "notebook_one_latin1_byte.ipynb", "old_draft_cell_after_solution.ipynb",
                 "slow_demo_cells_8.ipynb", "long_expression_grader_error.py"):
        shutil.copy(CASES / name, folder / name)
    shutil.copy(CASES / "py_syntax_error_one_function" / "syntax_error_in_avg_pool2d.py", folder / "syntax.py")
    shutil.copy(CASES / "py_syntax_error_one_function" / "syntax_error_in_avg_pool2d_notebook.ipynb",
                folder / "syntax_nb.ipynb")
    for name, (make, _, _) in HOSTILE.items():
        (folder / f"hostile_{name}").write_text(make())
    (folder / "export.html").write_text("<html>exported notebook</html>")
    (folder / "undecided").mkdir()
    (folder / "undecided" / "a.ipynb").write_text(notebook("x = 1"))
    (folder / "undecided" / "b.ipynb").write_text(notebook("y = 2"))
    shutil.copytree(CASES / "nbgrader_submitted", folder.parent / "submitted")
    with zipfile.ZipFile(folder / "lab_folder.zip", "w") as archive:     # a student zipped the lab
        archive.writestr("week09/week09.ipynb", good)
        archive.writestr("week09/lab_checks.py", "x = 1")
    inputs = [folder, folder.parent / "submitted", CASES / "canvas_unrecognised_members.zip",
              CASES / "canvas_two_files_one_student.zip", CASES / "gradescope_export.zip"]
    files = sum(1 for f in inputs[:2] for p in f.rglob("*") if p.is_file())
    for archive in inputs[2:]:
        files += sum(1 for info in zipfile.ZipFile(archive).infolist() if not info.is_dir())
    return inputs, files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=pathlib.Path, default=None, help="keep the class and results here")
    args = parser.parse_args()
    work = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="dlgrade-bench-intake-"))
    work.mkdir(parents=True, exist_ok=True)
    parser_cases(work)
    inputs, files = make_class(work / "class")
    out = work / "out"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "week09", "--out",
                           str(out), "--jobs", str(args.jobs), *map(str, inputs)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - started
    print(f"class of {files} files in {len(inputs)} inputs: exit {proc.returncode} in {seconds:.0f} s "
          f"(--jobs {args.jobs})")
    for line in proc.stdout.splitlines():
        if re.match(r"dlgrade grade: \d+ student", line):
            print(line)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
