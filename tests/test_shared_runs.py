"""The judge processes of a ``--jobs N`` batch share the Hypothesis runs they learn
(``autograder.shared_runs``). It is a speed-up only if it changes nothing: grade correct and
buggy week09 submissions in this process without sharing, then in a spawned process that
learns and publishes, then in a second spawned process that must walk only what the first
learned (no Hypothesis run of its own), and compare whole results. The exchange itself:
atomic files, own files not read back, forged files never unpickled, bounds kept."""
import json
import multiprocessing
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from autograder import grade, judge, shared_runs, submissions

CORPUS = Path(__file__).parent / "corpus" / "week09"
FILES = ["correct/vectorized.py", "buggy/conv_flipped_kernel.py", "buggy/conv_square_only.py",
         "buggy/avgpool_default_stride_1.py", "buggy/maxpool_same_zero_pad.py",
         "buggy/flatten_channels_first.py"]


def _grade_sharing(folder, secret):
    """In a fresh (spawned) judge process: grade FILES sharing through ``folder``."""
    judge.share_runs(folder, secret)
    results = [judge.grade(submissions.load(CORPUS / name), "week09", timeout=60) for name in FILES]
    return results, dict(judge.RUNS), judge._EXCHANGE.skipped


@pytest.fixture(scope="module")
def three_processes():
    trees, runs, exchange = dict(judge._RUN_TREES), judge.RUNS.copy(), judge._EXCHANGE
    try:  # this process alone, with no tree yet: the results to match
        judge._RUN_TREES.clear()
        judge.share_runs(None, None)
        alone = [judge.grade(submissions.load(CORPUS / name), "week09", timeout=60) for name in FILES]
    finally:
        judge._RUN_TREES.clear()
        judge._RUN_TREES.update(trees)
        judge.RUNS.clear()
        judge.RUNS.update(runs)
        judge._EXCHANGE = exchange
    folder, secret = shared_runs.create()
    try:
        context = multiprocessing.get_context("spawn")   # as grade's pool: nothing inherited
        with context.Pool(1) as pool:
            learner = pool.apply(_grade_sharing, (folder, secret))
        published = sorted(p.name for p in Path(folder).rglob("*"))
        with context.Pool(1) as pool:
            walker = pool.apply(_grade_sharing, (folder, secret))
    finally:
        shared_runs.remove(folder)
    return alone, learner, walker, published


@pytest.mark.parametrize("index", range(len(FILES)), ids=FILES)
def test_shared_runs_give_the_same_results(three_processes, index):
    alone, (learned, _, _), (walked, _, _), _ = three_processes
    assert learned[index] == alone[index]
    assert walked[index] == alone[index]


def test_the_second_process_only_walks_what_the_first_learned(three_processes):
    _, (_, first, _), (_, second, skipped), published = three_processes
    assert first.get("hypothesis", 0) >= 5 and "diverged" not in first   # there was something to learn
    assert len([name for name in published if name.endswith(".run")]) == first["hypothesis"]
    assert not [name for name in published if name.startswith(".")]      # no temp file left
    assert second.get("hypothesis", 0) == 0 and "diverged" not in second and skipped == 0
    assert second["remembered"] == first["hypothesis"] + first.get("remembered", 0)


def test_mixed_results_mean_something(three_processes):
    alone = three_processes[0]
    assert alone[0]["score"] == alone[0]["extra_data"]["max_score"]
    for result in alone[1:]:
        assert result["score"] < result["extra_data"]["max_score"]
        assert any("Smallest failing input" in t["output"] for t in result["tests"])


# ------------------------------------------------------------------ the exchange itself

KEY = ("conv2d", "matches the reference")


def _pair(tmp_path, **bounds):
    secret = os.urandom(32)
    return (shared_runs.RunExchange(tmp_path, secret, **bounds),
            shared_runs.RunExchange(tmp_path, secret, **bounds))


def test_a_path_is_read_once_by_the_others_and_never_by_its_writer(tmp_path):
    one, two = _pair(tmp_path)
    assert one.publish(KEY, [("case a", "pass"), ("case b", "fail")])
    assert one.news(KEY) == []
    assert two.news(KEY) == [[("case a", "pass"), ("case b", "fail")]]
    assert two.news(KEY) == []                     # read once
    assert two.news(("relu", "other test")) == []  # another test's folder: nothing yet
    assert two.publish(KEY, [("case c", "stop")])
    assert one.news(KEY) == [[("case c", "stop")]]


class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["PLANTED_MARK"]),))


def test_a_file_not_signed_with_the_batch_secret_is_never_unpickled(tmp_path, monkeypatch):
    one, two = _pair(tmp_path)
    other = shared_runs.RunExchange(tmp_path, os.urandom(32))      # another batch's secret
    mark = tmp_path / "unpickled"
    monkeypatch.setenv("PLANTED_MARK", str(mark))
    body = pickle.dumps((KEY, [_Planted()]))
    one.publish(KEY, [("real", "pass")])                           # makes the test's folder
    where = next(p for p in tmp_path.iterdir() if p.is_dir())
    (where / "forged-0.run").write_bytes(b"\0" * 32 + body)        # no valid HMAC
    (where / "short-0.run").write_bytes(b"x")
    other.publish(KEY, [("theirs", "pass")])
    assert two.news(KEY) == [[("real", "pass")]]
    assert two.skipped == 3 and not mark.exists()


def test_a_path_stored_under_another_tests_folder_is_skipped(tmp_path):
    one, two = _pair(tmp_path)
    one.publish(("relu", "x"), [("case", "fail")])
    (tmp_path / shared_runs._digest(("relu", "x"))).rename(tmp_path / shared_runs._digest(KEY))
    assert two.news(KEY) == [] and two.skipped == 1


def test_a_writer_stops_at_its_bounds(tmp_path):
    one, two = _pair(tmp_path, max_files=2)
    assert [one.publish(KEY, [(n, "pass")]) for n in range(3)] == [True, True, False]
    assert len(two.news(KEY)) == 2
    (tmp_path / "b").mkdir()
    small, _ = _pair(tmp_path / "b", max_bytes=300)
    assert small.publish(KEY, [("x", "pass")])
    assert not small.publish(KEY, [("y" * 400, "pass")])           # would pass the byte bound
    assert small.written_files == 1 and small.written_bytes <= 300


def test_a_removed_batch_folder_is_not_made_again(tmp_path):
    folder, secret = shared_runs.create()
    assert os.stat(folder).st_mode & 0o777 == 0o700
    one = shared_runs.RunExchange(folder, secret)
    shared_runs.remove(folder)
    assert not one.publish(KEY, [("case", "pass")])
    assert one.news(KEY) == [] and not os.path.exists(folder)


def test_the_pool_shares_through_a_private_folder_removed_at_the_end(tmp_path, monkeypatch):
    """grade's pool hands the folder to each process's judge, and removes it afterwards."""
    made, left = [], []
    real_create, real_remove = shared_runs.create, shared_runs.remove

    def create():
        made.append(real_create())
        return made[-1]

    def remove(folder):
        left.extend(p.name for p in Path(folder).rglob("*.run"))
        real_remove(folder)

    monkeypatch.setattr(shared_runs, "create", create)
    monkeypatch.setattr(shared_runs, "remove", remove)
    task_args = (grade.JUDGE_MODULE, "week09", 60.0, "hidden", 60.0)
    subs = [submissions.load(CORPUS / name) for name in ("buggy/conv_no_bias.py", "buggy/avgpool_same_full_window.py")]
    graded = {s.student: result for s, (result, _) in grade._run_in_pool(subs, task_args, 2, share_runs=True)}
    assert len(made) == 1 and not os.path.exists(made[0][0])
    assert left    # the pool's judges published what they learned
    alone = [judge.grade(s, "week09", timeout=60.0, visibility="hidden") for s in subs]
    assert [graded[s.student] for s in subs] == alone
    assert all(r["score"] < r["extra_data"]["max_score"] for r in alone)


SNOOP = '''
import glob, os, tempfile
import numpy as np
SEEN = glob.glob(os.path.join(tempfile.gettempdir(), "dlgrade-runs-*")) + glob.glob("/tmp/dlgrade-runs-*")
def relu(x):
    seen = SEEN + glob.glob("/tmp/dlgrade-runs-*")
    return np.maximum(x, 0) if not seen else np.full_like(x, 7.0)
def dense(x, kernel, bias=None):
    return x @ kernel if bias is None else x @ kernel + bias
def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''


def test_student_code_never_sees_the_batch_folder(tmp_path, monkeypatch):
    """The folder exists while the pool grades; the sandboxed code looks for it and fails
    relu if it finds it (the default isolation on this machine: own /tmp, other uid)."""
    made = []
    real_create = shared_runs.create
    probe, (visible, _) = {}, real_create()
    try:   # the probe works: outside the sandbox it finds a batch folder
        exec(SNOOP, probe)
        assert (probe["relu"](np.ones(2)) == 7.0).all()
    finally:
        shared_runs.remove(visible)
    monkeypatch.setattr(shared_runs, "create", lambda: made.append(real_create()) or made[-1])
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("alice", "bob"):
        (folder / f"{name}.py").write_text(SNOOP)
    out = tmp_path / "out"
    from autograder import cli
    assert cli.main(["grade", "--assignment", "week08", "--out", str(out), "--jobs", "2", str(folder)]) == 0
    assert len(made) == 1 and not os.path.exists(made[0][0])
    for name in ("alice", "bob"):
        result = json.loads((out / f"{name}.json").read_text())
        assert result["score"] == result["extra_data"]["max_score"], result["output"]
