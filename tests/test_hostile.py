"""Hostile submissions are contained, through the command line only.

The submissions under ``tests/corpus/<week>/hostile`` hang, exit, fork, hog memory, flood
the output, patch numpy, read or write the kit, kill their parent, use the network, forge
results, return lying or huge objects, crash the interpreter and leave processes behind.
They are graded in ONE batch together with honest submissions, and then:

- every submission has a result and the batch exits 0, in a time bounded by the timeouts;
- the honest submissions score exactly what they score when graded alone;
- each hostile submission scores, function by function, what the table EXPECTED says:
  never more than the same code would earn honestly (see the reasoning per entry);
- no process outlives the batch; the kit's files are unchanged and nothing new appears in
  it; the results folder holds exactly the expected files; forged results changed nothing;
  no hidden-test or reference source reaches any result.

The hostile files never run outside the grader (they are only ever passed to it).
"""
import csv
import ctypes
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
TIMEOUT = 5          # --timeout: seconds per function; the hanging functions cost this much
LOAD_TIMEOUT = 10    # --load-timeout: what a top-level hang costs (the default, 60 s, is for slow demo cells)
MARK = "HOSTILE_WAS_HERE"
SLEEP_MARKERS = ("1001.5", "1002.5")     # arguments of the processes relu_background_processes leaves

FULL, ZERO, ANY, STUB = "full", "zero", "any", "stub"
# Per function, what a hostile file must score:
#   FULL: that function is correct and must be graded normally (its hostile neighbour must
#         not cost it anything);
#   ZERO: the honest equivalent of the hostile function earns nothing (it hangs, exits,
#         crashes, returns None or a non-array), so it must earn nothing;
#   STUB: at most what the same body earns without the hostility (stubs/zeros.py);
#   ANY:  the hostile part returns the right answer after misbehaving, or stops a module
#         whose functions are correct; the grader may grade or fail it, but never above full.
W08 = ("relu", "dense", "softmax")
EXPECTED_08 = {
    "toplevel_infinite_loop": (ANY, ANY, ANY),
    "relu_infinite_loop_ignores_signals": (ZERO, FULL, FULL),
    "dense_os_exit": (FULL, ZERO, FULL),
    "softmax_sys_exit": (FULL, FULL, ZERO),
    "raise_base_exceptions": (ZERO, ZERO, FULL),
    # CONTRACT section 2: each top-level statement runs on its own; a failing line (here one
    # raising KeyboardInterrupt / SystemExit) stops nothing else.
    "toplevel_raise_exit": (FULL, FULL, FULL),
    "toplevel_os_exit": (ANY, ANY, ANY),
    # the hanging top-level loop is skipped; dense's honest equivalent (it exits) earns nothing
    "toplevel_loop_then_dense_exits": (FULL, ZERO, FULL),
    "relu_fork_bomb": (ANY, FULL, FULL),
    "dense_memory_hog": (FULL, ANY, FULL),
    "print_flood": (FULL, FULL, ZERO),
    "patch_numpy_checks": (STUB, STUB, STUB),
    "read_kit": (ZERO, ZERO, ZERO),
    "write_kit": (ZERO, ZERO, ZERO),
    "relu_kills_parent": (ZERO, FULL, FULL),
    # softmax answers right only when no network is reachable: full marks under net isolation
    "softmax_network": (FULL, FULL, ANY),
    "forge_stdout_toplevel": (ZERO, ZERO, ZERO),
    "relu_forges_protocol": (ZERO, FULL, FULL),
    "lying_outputs": (STUB, STUB, ZERO),
    "huge_outputs": (ZERO, ZERO, FULL),
    "relu_deep_recursion": (ZERO, FULL, FULL),
    "dense_ctypes_segfault": (FULL, ZERO, FULL),
    "relu_background_processes": (ANY, FULL, FULL),
    "patch_worker_internals": (STUB, STUB, STUB),
}
W09 = ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward")
EXPECTED_09 = {   # cnn_forward uses the file's own conv2d / max_pool2d, so it fails with them
    "conv2d_infinite_loop": (ZERO, FULL, FULL, FULL, ZERO),
    "max_pool2d_os_exit": (FULL, ZERO, FULL, FULL, ZERO),
    # The attacks of issue 9 (shared/cases/isolation): each defines only conv2d (or nothing
    # that works without a classmate's code), so they earn nothing; what they must not do is
    # hurt anyone else: see test_isolation_attacks_are_contained.
    "z_mallory": (ZERO,) * 5,             # a daemon that rewrites every result
    "z_copycat": (ZERO,) * 5,             # runs a classmate's file found via /proc/<pid>/cmdline
    "uid_snoop_litter": (ZERO,) * 5,      # reads other results, litters /dev/shm, /tmp, /var/tmp
    "userns_in_jail": (ZERO,) * 5,        # unshare --user --map-root-user inside the jail
    "memory_multiproc": (ZERO,) * 5,      # 10 children x 0.5 GiB against a 3 GiB tree limit
    # correct code whose 30 setsid spinners try to starve the neighbours; its own functions
    # sleep half their budget, so whether it keeps its points does not matter
    "cpu_starve_neighbours": (ANY,) * 5,
}
# Weeks 10 and 11 (issue 13): the same attacks on the recurrent labs' functions. A function that
# calls a hostile neighbour (rnn_forward -> simple_rnn) fails with it.
W10 = ("simple_rnn_cell", "simple_rnn", "rnn_forward")
EXPECTED_10 = {
    "simple_rnn_infinite_loop": (FULL, ZERO, ZERO),
    "rnn_forward_os_exit": (FULL, FULL, ZERO),
    "simple_rnn_cell_kills_parent": (ZERO, FULL, FULL),
    "read_kit": (ZERO, ZERO, ZERO),
    "patch_numpy_checks": (ZERO, ZERO, ZERO),      # zeros of the wrong shape earn nothing honestly
}
W11 = ("lstm", "gru", "lstm_forward")
EXPECTED_11 = {
    "gru_infinite_loop": (FULL, ZERO, FULL),
    "lstm_fork_bomb": (ANY, FULL, ANY),            # right answers after the fork bomb
    "lstm_forward_kills_parent": (FULL, FULL, ZERO),
    "read_kit": (ZERO, ZERO, ZERO),
    "patch_numpy_checks": (ZERO, ZERO, ZERO),
}
# Honest submissions in the same batch (copied in under these names).
HONEST_08 = {"honest_correct": CORPUS / "week08" / "correct" / "vectorized.py",
             "honest_buggy": CORPUS / "week08" / "buggy" / "softmax_axis0.py",
             "honest_zeros": CORPUS / "week08" / "stubs" / "zeros.py"}
HONEST_09 = {"honest_correct": CORPUS / "week09" / "correct" / "vectorized.py",
             "honest_buggy": CORPUS / "week09" / "buggy" / "maxpool_same_zero_pad.py"}
HONEST_10 = {"honest_correct": CORPUS / "week10" / "correct" / "vectorized.py",
             "honest_buggy": CORPUS / "week10" / "buggy" / "rnn_time_major.py"}
HONEST_11 = {"honest_correct": CORPUS / "week11" / "correct" / "vectorized.py",
             "honest_buggy": CORPUS / "week11" / "buggy" / "gru_reset_before.py"}


# ----------------------------------------------------------------------------- helpers

SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "dlgrade.egg-info"}


def kit_fingerprint():
    """sha256 of every file of the kit on disk (tracked or not; not .git, .venv or caches)."""
    digests = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            path = pathlib.Path(dirpath) / name
            try:
                digests[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                pass
    return digests


def planted_files():
    """Files write_kit.py would have managed to create outside its sandbox."""
    places = [ROOT, ROOT / "reference", ROOT / "autograder", ROOT / "autograder" / "suites", ROOT / "tests",
              ROOT.parent, pathlib.Path.home(), pathlib.Path("/tmp")]
    return sorted(str(p) for place in places if place.is_dir() for p in place.glob(f"{MARK}_*"))


def become_subreaper():
    """Make this process adopt orphans of the batch, so escaped daemons can be found."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0     # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def processes():
    """{pid: (ppid, sid, cmdline)} of every process we can see."""
    table = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z":
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[3]), cmd)
    return table


def leftovers(batch_sid, me, earlier=()):
    """Processes still alive from the batch: adopted by us, in its session, or with our markers.

    ``earlier``: processes that existed before the batch (pytest's own children, such as the
    multiprocessing resource tracker of a test that graded in-process) are not the batch's.
    """
    found = {}
    for pid, (ppid, sid, cmd) in processes().items():
        if pid == me or pid in earlier:
            continue
        if ppid == me or sid == batch_sid or any(m in cmd.split() for m in SLEEP_MARKERS):
            found[pid] = cmd
    return found


def reap(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for _ in range(50):
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def run_batch(week, out, folder):
    """Grade ``folder`` in its own session; return (returncode, stderr, leftover processes)."""
    cmd = [sys.executable, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
           "--jobs", "2", "--timeout", str(TIMEOUT), "--load-timeout", str(LOAD_TIMEOUT), str(folder)]
    earlier = set(processes())
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        stderr += "\n[test] the batch did not finish in 600 s"
    # Give processes that are already on their way out (a dying sandbox, multiprocessing's
    # resource tracker, which exits when it sees its parent gone) a few seconds to finish;
    # anything still there after that has outlived the batch.
    deadline = time.monotonic() + 10
    while (left := leftovers(proc.pid, os.getpid(), earlier)) and time.monotonic() < deadline:
        time.sleep(0.5)
    reap(left)
    return proc.returncode, stderr, left


def scores_of(out):
    with open(pathlib.Path(out) / "scores.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    students = [row["student"] for row in rows]
    assert len(students) == len(set(students)), f"duplicate rows in scores.csv: {students}"
    return {row["student"]: row for row in rows}


def results_of(out):
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in pathlib.Path(out).glob("*.json")}


def function_max(result):
    maxima = {}
    for test in result["tests"]:
        maxima[test["tags"][0]] = maxima.get(test["tags"][0], 0.0) + test["max_score"]
    return maxima


def source_lines():
    """Distinctive code lines of the hidden tests and the reference: none may reach a result."""
    lines = set()
    for folder in (ROOT / "autograder" / "suites", ROOT / "reference"):
        for path in folder.rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if len(line) >= 25 and line.startswith(("def ", "return ", "assert ", "for ", "if ", "import ", "from ")):
                    lines.add(line)
    return lines


def batch(tmp_path_factory, week, hostile, honest):
    folder = tmp_path_factory.mktemp(f"hostile-{week}-in")
    for path in sorted((CORPUS / week / "hostile").glob("*.py")):
        shutil.copy(path, folder / path.name)
    for name, path in honest.items():
        shutil.copy(path, folder / f"{name}.py")
    assert {p.stem for p in folder.glob("*.py")} == set(hostile) | set(honest), "EXPECTED table out of date"
    out = tmp_path_factory.mktemp(f"hostile-{week}") / "dlgrade-hostile-out"   # write_kit.py hunts for this name
    solo = tmp_path_factory.mktemp(f"hostile-{week}-solo")
    honest_only = tmp_path_factory.mktemp(f"hostile-{week}-honest-in")
    for name in honest:
        shutil.copy(folder / f"{name}.py", honest_only / f"{name}.py")

    subreaper = become_subreaper()
    kit_before, planted_before = kit_fingerprint(), planted_files()
    try:
        started = time.monotonic()
        code, stderr, left = run_batch(week, out, folder)
        seconds = time.monotonic() - started
        kit_after, planted_after = kit_fingerprint(), planted_files()
        solo_code, solo_err, _ = run_batch(week, solo, honest_only)
    finally:
        if subreaper:
            ctypes.CDLL(None).prctl(36, 0, 0, 0, 0)
    planted = sorted(set(planted_after) - set(planted_before))
    for path in planted:          # clean up, then fail below
        os.unlink(path)
    assert solo_code == 0, solo_err[-3000:]
    return dict(out=out, code=code, stderr=stderr, left=left, kit_before=kit_before, kit_after=kit_after,
                planted=planted, solo=solo, subreaper=subreaper, seconds=seconds)


@pytest.fixture(scope="module")
def week08(tmp_path_factory):
    return batch(tmp_path_factory, "week08", EXPECTED_08, HONEST_08)


@pytest.fixture(scope="module")
def week09(tmp_path_factory):
    return batch(tmp_path_factory, "week09", EXPECTED_09, HONEST_09)


@pytest.fixture(scope="module")
def week10(tmp_path_factory):
    return batch(tmp_path_factory, "week10", EXPECTED_10, HONEST_10)


@pytest.fixture(scope="module")
def week11(tmp_path_factory):
    return batch(tmp_path_factory, "week11", EXPECTED_11, HONEST_11)


CASES = [("week08", W08, EXPECTED_08, HONEST_08), ("week09", W09, EXPECTED_09, HONEST_09),
         ("week10", W10, EXPECTED_10, HONEST_10), ("week11", W11, EXPECTED_11, HONEST_11)]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def case(request):
    week, functions, expected, honest = request.param
    return week, functions, expected, honest, request.getfixturevalue(week)


# ----------------------------------------------------------------------------- tests

def test_batch_finishes_with_a_result_for_everyone(case):
    week, _, expected, honest, run = case
    assert run["code"] == 0, f"grade exited {run['code']}:\n{run['stderr'][-3000:]}"
    files = sorted(p.name for p in run["out"].iterdir())
    # exactly one result per student, the scores table and the list of files passed over:
    # no forged extra, no error log
    assert files == sorted([f"{s}.json" for s in (*expected, *honest)] + ["scores.csv", "passed-over.txt"])
    for student, result in results_of(run["out"]).items():
        assert result["extra_data"]["student"] == student
        assert result["extra_data"]["assignment"] == week
        assert result["extra_data"]["isolation"]
        assert (run["out"] / f"{student}.json").stat().st_size < 256_000, f"{student}: result not capped"


# Wall-time bound of each batch. Serially, the hanging submissions may cost what --timeout
# allows per function (relu_infinite_loop_ignores_signals, print_flood: 5 s each;
# conv2d_infinite_loop: 2 x 5 s), each top-level hang the load timeout once (LOAD_TIMEOUT plus the sandbox's
# margin: toplevel_infinite_loop, toplevel_loop_then_dense_exits), and the rest 1-3 s each: about
# 110 s for week08 and 30 s for week09, so 55-60 s and 15-20 s on two jobs (measured: 113 s
# and 14 s on a 2-core machine busy with other work). week09 also holds issue 9's attacks:
# cpu_starve_neighbours sleeps 25 s while loading and half of each function's budget (37.5 s
# at --timeout 5, by design), memory_multiproc 8 s per worker it gets (60-110 s measured for the
# batch on a busy 2-core machine). The bounds leave room for a slow machine; a submission that
# makes the grader wait far beyond its timeouts (e.g. by hanging every reload of its code:
# 430 s seen) breaks them.
# weeks 10 and 11: one 5 s hang each (two functions for simple_rnn_infinite_loop), the rest 1-3 s.
TIME_BOUND = {"week08": 300, "week09": 240, "week10": 120, "week11": 120}


def test_hostile_code_cannot_stretch_the_batch(case):
    week, *_, run = case
    print(f"\n{week} hostile batch: {run['seconds']:.0f} s")
    assert run["seconds"] < TIME_BOUND[week]


def test_no_process_outlives_the_batch(case):
    *_, run = case
    assert not run["left"], f"processes left behind: {run['left']}"


def test_kit_is_unchanged(case):
    *_, run = case
    assert run["planted"] == [], f"a submission created files outside its sandbox: {run['planted']}"
    changed = sorted(name for name in set(run["kit_before"]) | set(run["kit_after"])
                     if run["kit_before"].get(name) != run["kit_after"].get(name))
    assert not changed, f"kit files changed during the batch: {changed}"


def test_honest_submissions_keep_their_solo_scores(case):
    _, functions, _, honest, run = case
    together, alone = results_of(run["out"]), results_of(run["solo"])
    scores, solo_scores = scores_of(run["out"]), scores_of(run["solo"])
    key = lambda result: [(t["number"], t["tags"][0], t["score"], t["max_score"], t["status"]) for t in result["tests"]]
    for name in honest:
        assert key(together[name]) == key(alone[name]), name
        assert together[name]["score"] == alone[name]["score"], name
        assert [scores[name][f] for f in ("score", *functions)] == [solo_scores[name][f] for f in ("score", *functions)]
    # and the correct one has full marks, so a forged zero result did not stick
    correct = together["honest_correct"]
    assert correct["score"] == sum(t["max_score"] for t in correct["tests"])


def test_hostile_submissions_gain_nothing(case):
    week, functions, expected, honest, run = case
    scores, results = scores_of(run["out"]), results_of(run["out"])
    stub = scores.get("honest_zeros")
    lines, wrong = [], []
    for name, want in expected.items():
        maxima = function_max(results[name])
        got = {f: float(scores[name][f]) for f in functions}
        statuses = {f: sorted({t["status"] for t in results[name]["tests"] if t["tags"][0] == f}) for f in functions}
        for f, rule in zip(functions, want):
            bound = {FULL: maxima[f], ZERO: 0.0, ANY: maxima[f],
                     STUB: float(stub[f]) if stub else 0.0}[rule]
            ok = got[f] <= bound + 1e-9 and (rule != FULL or got[f] >= bound - 1e-9)
            if not ok:
                wrong.append(f"{name}.{f}: expected {rule} ({bound:g}), got {got[f]:g} {statuses[f]}")
        assert float(scores[name]["score"]) <= sum(maxima.values())
        lines.append(f"  {name:36s} {float(scores[name]['score']):5.2f}  "
                     + "  ".join(f"{f}={got[f]:g}{statuses[f]}" for f in functions))
    print(f"\n{week} hostile outcomes (isolation: {results['honest_correct']['extra_data']['isolation']}):")
    print("\n".join(lines))
    assert not wrong, "\n".join(wrong)


def test_nothing_secret_reaches_the_results(case):
    *_, run = case
    secrets = source_lines()
    for path in run["out"].glob("*.json"):
        text = json.loads(path.read_text(encoding="utf-8"))
        flat = json.dumps(text)
        leaked = [line for line in secrets if line in flat or json.dumps(line)[1:-1] in flat]
        assert not leaked, f"{path.name} contains kit source: {leaked[:3]}"


def test_isolation_attacks_are_contained(week09):
    """Issue 9's attacks: nothing read, nothing left behind, no user namespace, memory capped."""
    results = results_of(week09["out"])
    snoop = json.dumps(results["uid_snoop_litter"])
    # it reports what it read ("<out>/<name>.json: score ..."); what it wrote is checked on the host
    # below (the namespace levels' private /tmp, a 64 MB tmpfs, takes some and vanishes with it)
    assert ".json: score" not in snoop, snoop[:2000]
    assert not [p for d in ("/dev/shm", "/tmp", "/var/tmp") for p in pathlib.Path(d).glob("redteam-litter-*")]
    userns = json.dumps(results["userns_in_jail"])
    assert "rc=0" not in userns and "rc=" in userns, userns[:2000]
    memory = [t["output"] for t in results["memory_multiproc"]["tests"] if t["tags"][0] == "conv2d"]
    for output in memory:   # either the tree was capped, or the worker was killed for memory
        held = [float(w) for w in re.findall(r"hold (\d+\.\d+) GiB resident", output)]
        assert all(h <= 3.0 for h in held), output
    copycat = results["z_copycat"]
    assert copycat["score"] == 0


def test_integrity_lists_attempts_and_nothing_for_honest_code(case):
    week, _, expected, honest, run = case
    results = results_of(run["out"])
    for student, result in results.items():
        integrity = result["extra_data"]["integrity"]
        assert isinstance(integrity, list) and integrity == sorted(integrity)
        assert all(isinstance(line, str) and line for line in integrity)
    for name in honest:
        assert results[name]["extra_data"]["integrity"] == [], name
    if week == "week09":
        assert "started a process (subprocess)" in results["userns_in_jail"]["extra_data"]["integrity"]
        assert any(line.startswith("tried to open /") for line in results["uid_snoop_litter"]["extra_data"]["integrity"])
        # its conv2d times out: the lines are read from the audit pipe even so
        assert "forked a process (os.fork)" in results["memory_multiproc"]["extra_data"]["integrity"]
