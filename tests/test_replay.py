"""The judge replays the examples of a passing Hypothesis run instead of drawing them for
every submission, and remembers how Hypothesis shrank a failure so that a later submission
whose examples come out the same way walks that path without running Hypothesis. Both are
speed-ups only if they change nothing: grade correct and buggy submissions without them, with
them (first time: paths recorded) and again (paths walked), and compare the results."""
from pathlib import Path

import pytest

from autograder import judge, submissions

CORPUS = Path(__file__).parent / "corpus" / "week09"
FILES = ["correct/loops.py", "correct/noisy_notebook.ipynb", "buggy/conv_flipped_kernel.py",
         "buggy/conv_same_pad_top_heavy.py", "buggy/conv_same_pad_k_over_2.py", "buggy/maxpool_same_zero_pad.py",
         "buggy/flatten_channels_first.py", "buggy/avgpool_same_full_window.py"]


@pytest.fixture(scope="module")
def three_ways():
    subs = [submissions.load(CORPUS / name) for name in FILES]
    try:
        judge.REPLAY = False
        drawn = [judge.grade(s, "week09", timeout=60) for s in subs]
        judge.REPLAY = True
        judge._RUN_TREES.clear()
        judge.RUNS.clear()
        replayed = [judge.grade(s, "week09", timeout=60) for s in subs]
        first = dict(judge.RUNS)
        remembered = [judge.grade(s, "week09", timeout=60) for s in subs]
        second = dict(judge.RUNS)
    finally:
        judge.REPLAY = True
    return drawn, replayed, remembered, first, second


@pytest.mark.parametrize("index", range(len(FILES)), ids=FILES)
def test_replay_and_remembered_runs_give_the_same_result(three_ways, index):
    drawn, replayed, remembered, _, _ = three_ways
    assert replayed[index] == drawn[index]
    assert remembered[index] == drawn[index]


def test_remembered_runs_are_walked_and_never_diverge(three_ways):
    _, _, _, first, second = three_ways
    assert first.get("hypothesis", 0) > 0 and "diverged" not in second
    # the second time every failing property test walks a remembered run to its end
    assert second["remembered"] - first.get("remembered", 0) == first["hypothesis"] + first.get("remembered", 0)
    assert second["hypothesis"] == first["hypothesis"]


def test_corpus_mix_has_failures_to_shrink(three_ways):
    """The comparison means something only if some of these submissions fail property tests."""
    drawn = three_ways[0]
    failed = [t for r in drawn for t in r["tests"] if t["status"] != "passed"]
    assert any("Smallest failing input" in t["output"] for t in failed)
    assert drawn[0]["score"] == drawn[0]["extra_data"]["max_score"]


STATEFUL = '''
import numpy as np
_calls = [0]
def relu(x):
    _calls[0] += 1
    if _calls[0] == 10:          # wrong once, on the 10th call only
        return np.asarray(x, dtype=float) * 0 - 1
    return np.maximum(x, 0)
def dense(x, kernel, bias=None):
    y = x @ kernel
    return y if bias is None else y + bias
def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''


@pytest.mark.parametrize("replay", [False, True])
def test_a_function_wrong_only_once_loses_points_either_way(tmp_path, replay):
    """Hypothesis's second run (to shrink) may not see the failure again; it still counts."""
    path = tmp_path / "stateful.py"
    path.write_text(STATEFUL)
    try:
        judge.REPLAY = replay
        result = judge.grade(submissions.load(path), "week08", timeout=60)
    finally:
        judge.REPLAY = True
    relu = [t for t in result["tests"] if t["tags"] == ["relu"]]
    assert sum(t["score"] for t in relu) < sum(t["max_score"] for t in relu)
    assert [t["status"] for t in relu if t["status"] != "passed"] == ["wrong values"]
    others = [t for t in result["tests"] if t["tags"] != ["relu"]]
    assert all(t["status"] == "passed" for t in others)
