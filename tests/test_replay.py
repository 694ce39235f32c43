"""The judge replays the examples of a passing Hypothesis run instead of drawing them for
every submission. That is a speed-up only if it changes nothing: grade correct and buggy
submissions both ways and compare the results test by test."""
from pathlib import Path

import pytest

from autograder import judge, submissions

CORPUS = Path(__file__).parent / "corpus" / "week09"
FILES = ["correct/loops.py", "correct/noisy_notebook.ipynb", "buggy/conv_flipped_kernel.py",
         "buggy/conv_same_pad_top_heavy.py", "buggy/maxpool_same_zero_pad.py", "buggy/flatten_channels_first.py"]


@pytest.fixture(scope="module")
def both_ways():
    subs = [submissions.load(CORPUS / name) for name in FILES]
    try:
        judge.REPLAY = False
        drawn = [judge.grade(s, "week09", timeout=60) for s in subs]
        judge.REPLAY = True
        replayed = [judge.grade(s, "week09", timeout=60) for s in subs]
    finally:
        judge.REPLAY = True
    return drawn, replayed


@pytest.mark.parametrize("index", range(len(FILES)), ids=FILES)
def test_replay_gives_the_same_result(both_ways, index):
    drawn, replayed = both_ways
    assert replayed[index] == drawn[index]


def test_corpus_mix_has_failures_to_shrink(both_ways):
    """The comparison means something only if some of these submissions fail property tests."""
    drawn, _ = both_ways
    failed = [t for r in drawn for t in r["tests"] if t["status"] != "passed"]
    assert any("Smallest failing input" in t["output"] for t in failed)
    assert drawn[0]["score"] == drawn[0]["extra_data"]["max_score"]
