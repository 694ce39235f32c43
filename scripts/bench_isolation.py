"""What isolation costs per worker, and what it buys a neighbour of a CPU hog.

    python scripts/bench_isolation.py [--repeat N] [--skip-hog]

Prints (needs root, like grading):

1. the set-up cost per worker: making + removing its cgroups, building the seccomp
   filter (once per process) and loading it (per worker), building the uid levels'
   copy of Python (once per batch), and a whole worker start
   (spawn, jail, ready, load a one-line cell) at every level this machine offers;
2. the grading time of a correct week09 submission alone, next to its start-up cost;
3. the same submission graded while `cpu_starve_neighbours` (30 busy setsid children)
   runs in another worker, with and without cgroups: the ratio to its time alone.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import judge, submissions  # noqa: E402
from autograder.sandbox import Limits, Worker, cgroup, launch, seccomp  # noqa: E402

HOG = ROOT / "tests" / "corpus" / "week09" / "hostile" / "cpu_starve_neighbours.py"
HONEST = ROOT / "tests" / "corpus" / "week09" / "correct" / "vectorized.py"


def ms(seconds):
    return f"{seconds * 1000:7.1f} ms"


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def setup_costs(repeat):
    layout, why = cgroup.detect()
    if layout is not None:
        lim = Limits()

        def one():
            cg = cgroup.WorkerCgroup(layout, f"{cgroup.PREFIX}bench{os.getpid()}", memory_bytes=lim.memory_bytes,
                                     tasks=lim.processes, cpus=lim.cpus)
            cg.remove()
        print(f"cgroup make + limits + remove (v{'2' if layout.v2 else '1'}):  {ms(median_time(one, repeat))}")
    else:
        print(f"cgroups: not available ({why})")
    seccomp.filter_bpf.cache_clear()
    print(f"seccomp filter build (once per process): {ms(median_time(seccomp.filter_bpf, 1))}"
          f"  ({len(seccomp.filter_bpf()) // 8} BPF instructions)")
    code = ("import sys, time, json; sys.path.insert(0, %r); ns = {}; "
            "exec(compile(open(%r).read(), 'jail', 'exec'), ns); ns['_libc'].prctl(38, 1, 0, 0, 0); "
            "t = time.perf_counter(); ns['install_seccomp'](bytes.fromhex(sys.argv[1])); "
            "print(time.perf_counter() - t)") % (str(ROOT), str(ROOT / "autograder" / "sandbox" / "jail.py"))
    loads = [float(subprocess.run([sys.executable, "-I", "-c", code, seccomp.filter_bpf().hex()],
                                  capture_output=True, text=True, check=True).stdout) for _ in range(repeat)]
    print(f"seccomp filter load (per worker):        {ms(statistics.median(loads))}")
    from autograder.sandbox import pyroot

    def build_root():
        pyroot.remove(pyroot.build(launch._interpreter(), launch._numpy_dirs()))
    print(f"copied root of the uid levels (once per batch): {ms(median_time(build_root, 3))}")
    starts = {}
    for level in launch.LEVELS:
        try:
            def start():
                with Worker([("cell", "x = 1")], isolation=level):
                    pass
            start()   # builds the uid levels' copied root once
            starts[level] = median_time(start, repeat)
            print(f"worker start + load + close, {level:24s} {ms(starts[level])}")
        except Exception as exc:   # a level this machine does not offer
            print(f"worker start, {level:24s} not available: {str(exc)[:100]}")
    return starts


def grade_time(level):
    launch.pin_level(level)
    sub = submissions.collect([str(HONEST)])[0]
    start = time.perf_counter()
    result = judge.grade(sub, "week09", timeout=60)
    return time.perf_counter() - start, result["score"]


def beside_hog(level):
    """Grade the honest file while the hog's worker loads (its spinners run all that time)."""
    launch.pin_level(level)
    cells = [("hog", HOG.read_text())]
    ready = threading.Event()
    holder = {}

    def hog():
        ready.set()
        try:
            holder["w"] = Worker(cells, load_timeout=60, load_retries=0, isolation=level)
        except Exception as exc:
            holder["error"] = exc

    thread = threading.Thread(target=hog, daemon=True)
    thread.start()
    ready.wait()
    time.sleep(3)   # the spinners are up
    seconds, score = grade_time(level)
    thread.join()
    if "w" in holder:
        holder["w"].close()
    return seconds, score


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-hog", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_isolation: run as root (every level needs it)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    starts = setup_costs(args.repeat)
    level = next(iter(starts))
    alone, score = grade_time(level)
    print(f"\ngrading a correct week09 submission alone at {level}: {alone:.2f} s (score {score:g}); "
          f"one worker start is {starts[level] / alone:.1%} of it")
    if args.skip_hog:
        return
    print("\nneighbour of a CPU hog (30 setsid busy children), same machine:")
    for lv in ("namespaces+uid", "namespaces+uid-nocgroup"):
        if lv not in starts:
            continue
        solo, _ = grade_time(lv)
        beside, score = beside_hog(lv)
        print(f"  {lv:24s} alone {solo:6.2f} s, beside the hog {beside:6.2f} s: {beside / solo:5.1f}x "
              f"(score {score:g})")


if __name__ == "__main__":
    main()
