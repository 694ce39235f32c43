"""Seconds per public check (solutions/lab_checks.py) on the reference and on each correct corpus
submission: the lab promises each check takes under a second. Run on a quiet machine:

    PYTHONPATH=. python scripts/bench_public_checks.py
"""
import importlib.util
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import reference  # noqa: E402
import test_labs  # noqa: E402  (its loader runs a corpus file's definitions as the grader does)


def main():
    os.chdir(ROOT / "solutions" / "week09")  # cnn_forward's check also runs the lab's digits
    subjects = {"reference": {n: getattr(reference, n) for n in test_labs.lab_checks.CHECKS}}
    for path in test_labs.CORRECT:
        subjects[f"{path.parent.parent.name}/{path.name}"] = test_labs._functions_of(path)
    worst = 0.0
    for subject, fns in subjects.items():
        times = []
        for name in test_labs.lab_checks.CHECKS:
            if name in fns:
                best = min(_timed(name, fns) for _ in range(3))
                times.append(f"{name} {best:.2f}")
                worst = max(worst, best)
        print(f"{subject:32s} " + ", ".join(times))
    print(f"slowest check: {worst:.2f} s (best of 3 runs)")


def _timed(name, fns):
    start = time.perf_counter()
    test_labs._run_check(name, fns)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
