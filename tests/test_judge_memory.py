"""The judge's own memory stays bounded however large the (wrong) answers it judges.

The judge process has no memory limit, so a 300-byte submission whose functions return a
64 MB array of the wrong shape (within the protocol's caps) must not make it keep one such
array per failing example: Hypothesis shrinks hundreds of them (issue: judge_oom_big_wrong,
peak 2.7 GB before the fix).
"""
import json
import subprocess
import sys

import numpy as np

from autograder import judge

# Only conv2d is defined (the other functions are "not implemented" at once): it returns a
# 64 MB float64 array of the wrong shape on every call.
BIG_WRONG = '''
import numpy as np
_BIG = np.zeros(8_000_000)
def conv2d(*args, **kwargs):
    return _BIG
'''

# Runs the CLI in this child process (--jobs 1 grades in process) and reports the child's own
# peak resident set size (VmHWM), so the sandboxed workers' memory is not counted. Not
# ru_maxrss: Linux carries the forking process's RSS into it across exec, so a child of a
# pytest process that has grown to 900 MB over the suite would report 900 MB whatever it did.
CHILD = """
import runpy, sys
sys.argv = ["autograder"] + sys.argv[1:]
try:
    runpy.run_module("autograder", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print("PEAK_KB", peak, file=sys.stderr)
"""

LIMIT_MB = 512  # fixed: ~250-300 MB (baseline ~50, one answer being read ~130, two kept ~130)


def test_grading_huge_wrong_answers_keeps_the_judge_small(tmp_path):
    submission = tmp_path / "big_wrong.py"
    submission.write_text(BIG_WRONG)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", CHILD, "grade", "--assignment", "week09", "--out", str(out),
                          "--jobs", "1", "--timeout", "6", str(submission)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    peak_mb = int(run.stderr.split("PEAK_KB")[-1].split()[0]) / 1024
    result = json.loads((out / "big_wrong.json").read_text())
    conv = [t for t in result["tests"] if t["tags"] == ["conv2d"]]
    # The grade itself is right: conv2d's answers are judged (wrong shape, with the shapes
    # named), the other functions are not implemented.
    assert {t["status"] for t in conv} <= {"wrong shape", "timed out"}
    shaped = [t for t in conv if t["status"] == "wrong shape"]
    assert len(shaped) >= 3
    assert all("got shape (8000000,)" in t["output"] for t in shaped)
    assert {t["status"] for t in result["tests"] if t["tags"] != ["conv2d"]} == {"not implemented"}
    assert peak_mb < LIMIT_MB, f"the judge's peak was {peak_mb:.0f} MB"


def _failure(n):
    return judge.Outcome("wrong shape", got=np.full(n, 1.0), expected=np.zeros(2))


def test_only_failures_that_can_be_the_result_keep_their_answer():
    failures = []
    for n in range(3, 9):
        judge._add_failure(failures, _failure(n))
    # While shrinking: the first (a replayed failure may stand) and the latest keep the array.
    assert isinstance(failures[0].got, np.ndarray) and isinstance(failures[-1].got, np.ndarray)
    assert all(isinstance(f.got, judge.Summary) for f in failures[1:-1])
    assert [f.got.shape for f in failures] == [(n,) for n in range(3, 9)]
    # Once the run ends, only its result does.
    result = judge._result(failures, failures[0])
    assert result is failures[-1] and isinstance(result.got, np.ndarray)
    assert all(isinstance(f.got, judge.Summary) for f in failures[:-1])


def test_a_replayed_failure_stands_when_the_second_run_finds_none():
    replayed = _failure(5)
    assert judge._result([], replayed) is replayed
    assert isinstance(replayed.got, np.ndarray) and replayed.got.shape == (5,)

