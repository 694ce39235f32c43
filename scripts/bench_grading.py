"""Benchmark: grading cost per submission and for a whole class, as ratios to the cost of
starting Python with NumPy, measured side by side in one run.

    python scripts/bench_grading.py [--kit DIR] [--baseline DIR] [--n 12] [--class-size 300] [--no-otter]
                                    [--no-class] [--no-hang] [--class hang:60 hang:5 clean:60]

The machine this runs on may be shared, so every number is printed next to the *floor*
(the median wall time of ``python -c "import numpy"``, measured in the same run, before and
after the rest) and as a ratio to it:

1. **Per submission, one job** (week08 and week09): ``dlgrade grade --jobs 1`` on a batch of
   ``N`` correct submissions (the corpus's correct files, copied round-robin) and on a batch
   of one; the cost per submission after start-up is ``(T(N) - T(1)) / (N - 1)``. The same
   for a mixed batch of the corpus (correct and buggy: failures are shrunk, which costs
   more calls).
2. **otter run**: the lab's solution notebook graded by ``otter run`` against an autograder
   zip built from the lab's sources (``otter assign`` + ``otter generate``), and by
   ``dlgrade grade`` alone; median of ``--repeat``.
3. **A class**: ``--class-size`` week09 submissions (correct and buggy corpus files, round
   robin, plus one whose conv2d never returns, unless ``--no-hang``) graded with ``--jobs 2``
   and ``--timeout --class-timeout``; its wall time, and as a ratio to the floor. ``--class``
   makes several such runs in one go (``hang:60`` with the hang at ``--timeout 60``,
   ``clean:60`` without it). The hang alone costs one job ``2 x --timeout`` (its conv2d and
   the cnn_forward that calls it each run out their budget), whatever the engine does.

``--kit DIR`` grades with the kit in DIR (e.g. an older commit unpacked with ``git archive``),
and ``--baseline DIR`` adds the same rows (per submission and class) for a second kit,
interleaved, so that before and after are compared in one run on the same machine state.
Nothing is written outside a temporary folder.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
HANG = CORPUS / "week09" / "hostile" / "conv2d_infinite_loop.py"


def timed(cmd, cwd=ROOT, env=None):
    """Run ``cmd``; return (seconds, completed process)."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started, proc


def floor(repeat=7):
    """Median wall seconds of starting the interpreter and importing NumPy."""
    times = []
    for _ in range(repeat):
        seconds, proc = timed([sys.executable, "-c", "import numpy"])
        if proc.returncode != 0:
            raise SystemExit(f"python -c 'import numpy' failed: {proc.stderr[-500:]}")
        times.append(seconds)
    return statistics.median(times)


class Kit:
    """The kit that grades: this checkout, or another one given with --kit."""

    def __init__(self, root):
        self.root = pathlib.Path(root).resolve()
        self.env = dict(os.environ, PYTHONPATH=str(self.root))

    def grade(self, week, out, *paths, jobs=1, timeout=None):
        cmd = [sys.executable, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
               "--jobs", str(jobs), "--force"]
        if timeout is not None:
            cmd += ["--timeout", str(timeout)]
        seconds, proc = timed(cmd + [str(p) for p in paths], cwd=self.root, env=self.env)
        if proc.returncode != 0:
            raise SystemExit(f"dlgrade grade failed:\n{proc.stderr[-2000:]}")
        return seconds


def corpus_files(week, kinds):
    return [p for kind in kinds for p in sorted((CORPUS / week / kind).iterdir())
            if p.suffix in (".py", ".ipynb")]


def copies(files, n, folder):
    """``n`` submissions in ``folder``, taken round-robin from ``files``."""
    folder.mkdir(parents=True)
    for i in range(n):
        source = files[i % len(files)]
        shutil.copy(source, folder / f"s{i:03d}_{source.stem}{source.suffix}")
    return folder


def per_submission(kit, week, kinds, n, tmp):
    """(seconds per submission after start-up, seconds of a batch of one)."""
    files = corpus_files(week, kinds)
    tag = "-".join(kinds)
    one = kit.grade(week, tmp / f"out-{week}-{tag}-1", copies(files, 1, tmp / f"in-{week}-{tag}-1"))
    many = kit.grade(week, tmp / f"out-{week}-{tag}-n", copies(files, n, tmp / f"in-{week}-{tag}-n"))
    return (many - one) / (n - 1), one


# --------------------------------------------------------------------- otter's side

def assign(week, tmp):
    """``otter assign`` output for ``week`` (folder with autograder/ and student/)."""
    from autograder.labs.build import assign_lab
    return assign_lab(week, ROOT / "solutions", tmp / "assign")


def otter_zip(dist, tmp):
    """Build autograder.zip from otter assign's autograder/ folder with ``otter generate``."""
    source = dist / "autograder"
    support = [p.name for p in source.iterdir() if p.is_file() and p.suffix not in (".ipynb", ".txt")]
    zip_path = tmp / "autograder.zip"
    cmd = [str(pathlib.Path(sys.executable).with_name("otter")), "generate", "-t", "tests",
           "-o", str(zip_path), *support]
    _, proc = timed(cmd, cwd=source)
    if proc.returncode != 0 or not zip_path.exists():
        raise RuntimeError(f"otter generate failed: {proc.stderr[-500:]}")
    return zip_path


def otter_vs_dlgrade(kit, week, repeat, tmp):
    """(otter run seconds, dlgrade grade seconds) for the same solution notebook, medians."""
    dist = assign(week, tmp)
    zip_path = otter_zip(dist, tmp)
    notebook = tmp / "same" / f"{week}.ipynb"
    notebook.parent.mkdir()
    shutil.copy(dist / "autograder" / f"{week}.ipynb", notebook)
    ours, theirs = [], []
    for i in range(repeat):
        ours.append(kit.grade(week, tmp / f"out-one-{i}", notebook))
        result = json.loads((tmp / f"out-one-{i}" / f"{week}.json").read_text())
        if result["score"] != result["extra_data"]["max_score"]:
            raise SystemExit(f"the solution notebook scored {result['score']} with dlgrade")
        out = tmp / f"otter-{i}"
        out.mkdir()
        seconds, proc = timed([str(pathlib.Path(sys.executable).with_name("otter")), "run", "-a",
                               str(zip_path), "-o", str(out), str(notebook)])
        if proc.returncode != 0 or not (out / "results.json").exists():
            raise SystemExit(f"otter run failed: {proc.stderr[-800:]}")
        theirs.append(seconds)
    return statistics.median(theirs), statistics.median(ours)


def a_class(kit, size, timeout, tmp, hang=True):
    """Wall seconds of grading ``size`` week09 submissions (one hangs unless not ``hang``) with --jobs 2."""
    files = corpus_files("week09", ("correct", "buggy"))
    folder = copies(files, size - 1 if hang else size, tmp / "class")
    if hang:
        shutil.copy(HANG, folder / "s999_hang.py")
    seconds = kit.grade("week09", tmp / "out-class", folder, jobs=2, timeout=timeout)
    results = list((tmp / "out-class").glob("*.json"))
    if len(results) != size:
        raise SystemExit(f"the class run wrote {len(results)} results for {size} submissions")
    return seconds


def _variant(text):
    """'hang:60' -> (True, 60.0); 'clean:5' -> (False, 5.0)."""
    kind, _, timeout = text.partition(":")
    try:
        if kind not in ("hang", "clean"):
            raise ValueError
        return kind == "hang", float(timeout or 60)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected hang:SECONDS or clean:SECONDS, got {text!r}") from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=pathlib.Path, default=ROOT, help="the kit that grades (default: this one)")
    parser.add_argument("--n", type=int, default=12, help="submissions per one-job batch (default 12)")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the single notebook (median)")
    parser.add_argument("--class-size", type=int, default=300, help="submissions in the class (default 300)")
    parser.add_argument("--class-timeout", type=float, default=60.0,
                        help="--timeout for the class run (default 60, dlgrade's default)")
    parser.add_argument("--class", dest="classes", type=_variant, nargs="+", metavar="KIND:TIMEOUT",
                        help="class runs to make, e.g. hang:60 hang:5 clean:60 (default: one, from "
                             "--class-timeout and --no-hang)")
    parser.add_argument("--no-otter", action="store_true", help="skip the otter-grader comparison")
    parser.add_argument("--no-class", action="store_true", help="skip the class run")
    parser.add_argument("--no-hang", action="store_true",
                        help="the class has no hanging submission (all --class-size from the corpus)")
    parser.add_argument("--baseline", type=pathlib.Path, default=None,
                        help="another kit (e.g. the commit before a change, unpacked with git archive): its "
                             "per-submission and class rows are measured in the same run, interleaved "
                             "with --kit's")
    args = parser.parse_args()
    kits = [("", Kit(args.kit))] + ([("baseline: ", Kit(args.baseline))] if args.baseline else [])
    kit = kits[0][1]
    load = os.getloadavg()[0]
    print(f"kit: {kit.root}" + (f"; baseline: {args.baseline}" if args.baseline else "")
          + f"; {os.cpu_count()} cores, load average {load:.2f} at the start")
    floors = [floor()]
    rows = []  # (what, seconds)
    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-") as name:
        tmp = pathlib.Path(name)
        for week in ("week08", "week09"):
            for tag, each in kits:
                where = tmp / f"{tag.strip(': ') or 'kit'}"
                where.mkdir(exist_ok=True)
                seconds, one = per_submission(each, week, ("correct",), args.n, where)
                rows.append((f"{tag}{week}, --jobs 1, per correct submission after start-up", seconds))
                rows.append((f"{tag}{week}, --jobs 1, a batch of one correct submission (start-up included)", one))
                seconds, _ = per_submission(each, week, ("correct", "buggy"), args.n, where)
                rows.append((f"{tag}{week}, --jobs 1, per corpus submission (correct and buggy)", seconds))
        if not args.no_otter:
            try:
                otter, ours = otter_vs_dlgrade(kit, "week09", args.repeat, tmp)
                rows.append(("week09 solution notebook alone: otter run", otter))
                rows.append(("week09 solution notebook alone: dlgrade grade", ours))
            except (ImportError, RuntimeError) as exc:
                print(f"no otter comparison: {exc}")
        variants = args.classes or [(not args.no_hang, args.class_timeout)]
        for hang, timeout in ([] if args.no_class else variants):
            for tag, each in kits:
                where = tmp / f"class-{tag.strip(': ') or 'kit'}-{'hang' if hang else 'clean'}-{timeout:g}"
                where.mkdir()
                seconds = a_class(each, args.class_size, timeout, where, hang=hang)
                rows.append((f"{tag}a class of {args.class_size} week09 submissions "
                             f"({'one hangs' if hang else 'none hangs'}), --jobs 2, "
                             f"--timeout {timeout:g}: wall time", seconds))
    floors.append(floor())
    base = statistics.mean(floors)
    print(f"floor (python -c 'import numpy', median of 7, before/after): "
          f"{floors[0]:.3f} / {floors[1]:.3f} s; load average {os.getloadavg()[0]:.2f} at the end")
    width = max(len(what) for what, _ in rows)
    for what, seconds in rows:
        print(f"  {what:<{width}}  {seconds:8.2f} s  {seconds / base:7.1f}x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
