"""Every corpus submission gets exactly the grade recorded in tests/golden/corpus.json.

The file was written by ``scripts/golden_results.py`` (which this test reuses) from the
grader as it was before the engine's speed-ups; a change meant to move grades (new test
names or points) regenerates it with that script in the same commit. Slow: it grades every
corpus submission of every week (130 today, hostile ones included: 5-9 minutes on 2 shared cores).
"""
import importlib.util
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("golden_results", ROOT / "scripts" / "golden_results.py")
golden_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden_results)


def test_golden_file_covers_every_corpus_submission():
    golden = json.loads(golden_results.GOLDEN.read_text(encoding="utf-8"))
    on_disk = {f"{week}/{kind}/{p.stem}" for week, kind, folder in golden_results.folders()
               for p in folder.iterdir() if p.suffix in (".py", ".ipynb")}
    assert set(golden["results"]) == on_disk
    kinds = {key.split("/")[1] for key in golden["results"]}
    assert kinds == {"correct", "buggy", "stubs", "hostile"}
    # the comparison means something only if the file holds passes and failures of many kinds
    statuses = {t[2] for r in golden["results"].values() for t in r["tests"]}
    assert {"passed", "wrong values", "wrong shape", "crashed", "timed out", "modified input"} <= statuses


def test_differences_are_found():
    """The comparison itself: a changed status, score or test list is reported."""
    golden = {"isolation": "x", "results": {
        "week08/buggy/a": {"score": 1.0, "tests": [["relu: t", 1.0, "passed"], ["dense: t", 0.0, "crashed"]]},
        "week08/hostile/relu_fork_bomb": {"score": 1.0, "tests": [["relu: t", 1.0, "passed"]]}}}
    same = json.loads(json.dumps(golden))
    assert golden_results.differences(golden, same) == []
    changed = json.loads(json.dumps(golden))
    changed["results"]["week08/buggy/a"]["tests"][1] = ["dense: t", 0.0, "timed out"]
    changed["results"]["week08/hostile/relu_fork_bomb"]["tests"][0] = ["relu: t", 0.0, "crashed"]  # machine-dependent
    assert golden_results.differences(golden, changed) == ["week08/buggy/a: dense: t: 0.0 crashed -> 0.0 timed out"]
    del changed["results"]["week08/buggy/a"]
    assert golden_results.differences(golden, changed) == ["week08/buggy/a: graded before, missing now"]
    changed["results"]["week08/hostile/relu_fork_bomb"]["tests"][0] = ["softmax: t", 1.0, "passed"]
    assert "the tests differ" in golden_results.differences(golden, changed)[-1]


def test_corpora_grade_exactly_as_recorded(tmp_path):
    golden = json.loads(golden_results.GOLDEN.read_text(encoding="utf-8"))
    now = golden_results.grade_corpora(tmp_path)
    assert len(now["results"]) == len(golden["results"])
    diff = golden_results.differences(golden, now)
    assert not diff, (f"grades changed (golden under {golden['isolation']}, now {now['isolation']}):\n"
                      + "\n".join(diff))
