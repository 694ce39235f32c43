"""Golden results of the test corpora: what the grader gives every corpus submission.

    python scripts/golden_results.py            # grade the corpora, (re)write tests/golden/corpus.json
    python scripts/golden_results.py --check    # grade them and compare with the file (exit 1 on a change)

Grades every folder of ``tests/corpus/<week>/`` (correct, buggy, hostile, stubs) through the
command line, exactly as an instructor would, and keeps per student the score and, per
test, its name, score and status. ``tests/test_golden.py`` grades the corpora again and
compares with the file, which is how "identical before and after" is proven for changes
to the engine (speed-ups must not change a single grade).

A change that is meant to change grades (new test names or points, a new corpus file)
regenerates the file with this script in the same commit; the diff of the file then
shows exactly which grades moved.

The hostile folders are graded with a short ``--timeout`` (their hangs cost that much per
function); everything else with the default. Results of a few hostile submissions depend
on the machine's speed (``MACHINE_DEPENDENT``); their other functions are compared. The
isolation level is recorded: results under another level may legitimately differ (the
network, the view of the kit).
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
GOLDEN = ROOT / "tests" / "golden" / "corpus.json"
WEEKS = tuple(sorted(p.name for p in CORPUS.glob("week[0-9][0-9]") if p.is_dir()))
KINDS = ("correct", "buggy", "stubs", "hostile")
HOSTILE_TIMEOUT = 5  # seconds per function, as tests/test_hostile.py uses
JOBS = 2
# Hostile submissions whose results depend on the machine's speed and load, not on the grader's
# logic: for the functions listed, the tests' names are compared but not their scores and
# statuses. (How fast memory runs out or a fork bomb is reaped; a top-level hang or exit that
# the loader skips; code that spends a fixed share of its budget sleeping while its own
# spinners compete for its CPU, or that walks the file system in every call, so which test
# runs out of time depends on how fast everything else runs.)
MACHINE_DEPENDENT = {
    "week08/hostile/relu_fork_bomb": ("relu",),
    "week08/hostile/dense_memory_hog": ("dense",),
    "week08/hostile/relu_background_processes": ("relu",),
    "week08/hostile/toplevel_infinite_loop": ("relu", "dense", "softmax"),
    "week08/hostile/toplevel_os_exit": ("relu", "dense", "softmax"),
    "week09/hostile/cpu_starve_neighbours": ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward"),
    "week09/hostile/uid_snoop_litter": ("conv2d",),
    "week11/hostile/lstm_fork_bomb": ("lstm",),   # like relu_fork_bomb: how fast the bomb is reaped
}


def folders():
    """``[(week, kind, folder)]`` of every corpus folder that holds submissions."""
    found = []
    for week in WEEKS:
        for kind in KINDS:
            folder = CORPUS / week / kind
            if folder.is_dir() and any(p.suffix in (".py", ".ipynb") for p in folder.iterdir()):
                found.append((week, kind, folder))
    return found


def grade_folder(week, kind, folder, out, python=sys.executable, root=ROOT):
    """Grade one corpus folder with the CLI; return ``{student: result}``."""
    cmd = [python, "-m", "autograder", "grade", "--assignment", week, "--out", str(out),
           "--jobs", str(JOBS), "--force"]
    if kind == "hostile":
        cmd += ["--timeout", str(HOSTILE_TIMEOUT)]
    cmd.append(str(folder))
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=1800, start_new_session=True)
    if proc.returncode != 0:
        raise RuntimeError(f"grading {week}/{kind} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(pathlib.Path(out).glob("*.json"))}


def summarize(result):
    """What must not change: the score, and each test's name, score and status."""
    return {"score": result["score"],
            "tests": [[t["name"], t["score"], t["status"]] for t in result["tests"]]}


def grade_corpora(workdir):
    """``{"isolation": level, "results": {"week/kind/student": summary}}`` for every corpus folder."""
    results, isolation = {}, set()
    for week, kind, folder in folders():
        graded = grade_folder(week, kind, folder, pathlib.Path(workdir) / f"{week}-{kind}")
        for student, result in graded.items():
            results[f"{week}/{kind}/{student}"] = summarize(result)
            isolation.add(result["extra_data"]["isolation"])
    return {"isolation": ",".join(sorted(isolation)), "results": results}


def differences(golden, now):
    """Lines naming every difference between two ``grade_corpora`` outputs (none: identical)."""
    lines = []
    old, new = golden["results"], now["results"]
    for key in sorted(set(old) - set(new)):
        lines.append(f"{key}: graded before, missing now")
    for key in sorted(set(new) - set(old)):
        lines.append(f"{key}: new (not in the golden file)")
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        loose = MACHINE_DEPENDENT.get(key, ())
        if [t[0] for t in a["tests"]] != [t[0] for t in b["tests"]]:
            lines.append(f"{key}: the tests differ: {[t[0] for t in a['tests']]} -> {[t[0] for t in b['tests']]}")
            continue
        for (name, score_a, status_a), (_, score_b, status_b) in zip(a["tests"], b["tests"]):
            if name.split(":")[0] not in loose and (score_a, status_a) != (score_b, status_b):
                lines.append(f"{key}: {name}: {score_a} {status_a} -> {score_b} {status_b}")
        if not loose and a["score"] != b["score"]:
            lines.append(f"{key}: score {a['score']} -> {b['score']}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the golden file instead of writing it")
    parser.add_argument("--golden", type=pathlib.Path, default=GOLDEN, help=f"default: {GOLDEN.relative_to(ROOT)}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlgrade-golden-") as tmp:
        now = grade_corpora(tmp)
    if args.check:
        golden = json.loads(args.golden.read_text(encoding="utf-8"))
        diff = differences(golden, now)
        if golden["isolation"] != now["isolation"]:
            print(f"note: golden results were made under isolation {golden['isolation']}, "
                  f"these under {now['isolation']}")
        print("\n".join(diff) if diff else f"identical: {len(now['results'])} submissions")
        return 1 if diff else 0
    args.golden.parent.mkdir(parents=True, exist_ok=True)
    args.golden.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.golden}: {len(now['results'])} submissions, isolation {now['isolation']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
