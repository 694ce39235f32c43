"""Weak machines, simulated: the grader refuses, or grades at a level where attacks gain nothing.

Each simulation runs ``dlgrade grade`` (a subprocess, in its own session) inside a
private mount namespace made for it, the way issue 9 found the holes:

- ``no-unshare``: `unshare` is /bin/false (as in a default Docker container, where the
  seccomp profile refuses new namespaces), and the interpreter lives under a 0700 folder
  (pyenv, conda, a venv under /root): the grader must refuse, name ``uid`` and accept it
  with ``--isolation uid``, and at ``uid`` run Python as another uid all the same;
- ``no-cgroups``: /sys/fs/cgroup is an empty tmpfs: the level's name says ``-nocgroup``;
- ``both``: no unshare and no cgroups: ``uid-nocgroup``;
- ``not-root``: the grader runs as ``nobody`` (``setpriv``): no level can be had, so it
  refuses, whatever ``--isolation`` says.

At each accepted level a small batch of issue 9's attacks runs beside honest code: the
honest code keeps full marks (the daemon that rewrites results changed nothing), the
attacks earn nothing, nothing is left in /dev/shm, /tmp, /var/tmp, no process outlives
the batch, no System V IPC object of a worker uid (a submission that makes four 64 MB
shared-memory segments) and no worker cgroup or copied root stays behind. About 60-90 s in all.
"""
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

import pytest

from autograder.sandbox import cgroup, launch
from test_hostile import become_subreaper, leftovers, reap, processes

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
ATTACKS = ("z_mallory", "z_copycat", "uid_snoop_litter", "userns_in_jail")
HONEST = CORPUS / "week09" / "correct" / "vectorized.py"
SYSV = CORPUS / "weak_machines" / "sysv_shm_outlives.py"   # 4 x 64 MB System V segments, never removed

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"),
                                reason="the simulations need root, unshare and setpriv (util-linux)")


def _site_packages():
    return sysconfig.get_paths()["purelib"]


def _prefix():
    return os.path.realpath(sys.base_prefix)


def _interpreter_name():
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    return os.path.relpath(exe, _prefix())


def simulate(workdir, machine, *grade_args):
    """Run ``dlgrade grade ARGS`` on a simulated machine; return (code, stdout, stderr, leftovers).

    The interpreter is bound under ``workdir/hidden`` (mode 0700) or, for ``not-root`` (whose
    user must reach it), under ``workdir/py``."""
    if machine == "not-root":
        home = workdir / "py"
    else:
        (workdir / "hidden").mkdir(exist_ok=True)
        os.chmod(workdir / "hidden", 0o700)
        home = workdir / "hidden" / "py"
    home.mkdir(parents=True, exist_ok=True)
    setup = [f"mount --bind {shlex.quote(_prefix())} {shlex.quote(str(home))}"]
    pythonpath = f"{ROOT}:{_site_packages()}"
    if machine == "not-root":
        # The kit and its site-packages may sit in a folder only root can enter (a clone in a
        # `mktemp -d` folder, mode 0700): show them to the unprivileged user where it can reach.
        # (the packages one by one: a bind of the folder itself would keep its mode 0700)
        for place, source in ((workdir / "kit" / "autograder", ROOT / "autograder"),
                              (workdir / "kit" / "reference", ROOT / "reference"),
                              (workdir / "site", _site_packages())):
            place.mkdir(parents=True, exist_ok=True)
            setup.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(place))}")
        pythonpath = f"{workdir / 'kit'}:{workdir / 'site'}"
    if machine in ("no-unshare", "both"):
        setup.append(f"mount --bind /bin/false {shlex.quote(os.path.realpath(shutil.which('unshare')))}")
    if machine in ("no-cgroups", "both"):
        setup.append("mount -t tmpfs none /sys/fs/cgroup")
    command = [str(home / _interpreter_name()), "-m", "autograder", "grade", *grade_args]
    if machine == "not-root":
        command = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *command]
    script = " && ".join(setup + ["exec " + shlex.join(command)])
    (workdir / "tmp").mkdir(exist_ok=True)   # the grader's temp folders (copied root, workers) go here
    os.chmod(workdir / "tmp", 0o777 if machine == "not-root" else 0o700)
    env = dict(os.environ, PYTHONPATH=pythonpath, TMPDIR=str(workdir / "tmp"))
    earlier = set(processes())
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = proc.communicate(timeout=400)
    deadline = time.monotonic() + 10
    while (left := leftovers(proc.pid, os.getpid(), earlier)) and time.monotonic() < deadline:
        time.sleep(0.5)
    reap(left)
    return proc.returncode, out, err, left


def _batch(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ATTACKS:
        shutil.copy(CORPUS / "week09" / "hostile" / f"{name}.py", folder / f"{name}.py")
    shutil.copy(HONEST, folder / "honest_correct.py")
    shutil.copy(HONEST, folder / "honest_twin.py")
    shutil.copy(SYSV, folder / "sysv_shm_outlives.py")
    return folder


def _worker_ipc():
    """System V objects (this IPC namespace, the host's) owned or made by a worker uid."""
    found = []
    for kind in ("shm", "sem", "msg"):
        header, *rows = [line.split() for line in pathlib.Path(f"/proc/sysvipc/{kind}").read_text().splitlines()]
        found += [f"{kind} {row[1]}" for row in rows
                  if any(launch._UID_BASE <= int(row[header.index(c)]) < launch._UID_BASE + launch._UID_SPAN
                         for c in ("uid", "cuid"))]
    return found


def _orphan_cgroups():
    """Worker cgroups no live grader owns (other graders may run on this machine meanwhile)."""
    found = []
    for base in pathlib.Path("/sys/fs/cgroup").iterdir():
        if base.is_dir():
            found += [str(p) for p in base.rglob(f"{cgroup.PREFIX}*")
                      if p.is_dir() and p.name[len(cgroup.PREFIX):].isdigit()
                      and cgroup._lease_free(int(p.name[len(cgroup.PREFIX):]))]
    return found


def _litter():
    return [str(p) for d in ("/dev/shm", "/tmp", "/var/tmp") for p in pathlib.Path(d).glob("redteam-litter-*")]


@pytest.fixture
def subreaper():
    ok = become_subreaper()
    yield ok
    if ok:
        import ctypes
        ctypes.CDLL(None).prctl(36, 0, 0, 0, 0)


@pytest.mark.parametrize("machine, level", [("no-unshare", "uid"), ("no-cgroups", "namespaces+uid-nocgroup"),
                                            ("both", "uid-nocgroup")])
def test_weak_machine_refuses_then_grades_safely_when_accepted(tmp_path, subreaper, machine, level):
    folder = _batch(tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr, left = simulate(tmp_path, machine, "--assignment", "week09", "--out", str(out), str(folder))
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1, stderr
    assert f"provides '{level}'" in lines[0] and f"--isolation {level}" in lines[0], lines[0]
    # ... and why the strongest level is not there
    assert {"no-unshare": "unshare refused to make namespaces", "both": "(no writable cgroup",
            "no-cgroups": "(no writable cgroup"}[machine] in lines[0], lines[0]
    assert not out.exists() or not list(out.glob("*.json"))   # stopped before grading

    cgroups_before = set(_orphan_cgroups())
    code, stdout, stderr, left = simulate(tmp_path, machine, "--assignment", "week09", "--out", str(out),
                                          "--jobs", "2", "--timeout", "5", "--isolation", level, str(folder))
    print(f"\n{machine}: {stdout.strip().splitlines()[0]}")
    assert code == 0, stderr[-3000:]
    assert f"isolation: {level}" in stdout
    results = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(results) == {*ATTACKS, "honest_correct", "honest_twin", "sysv_shm_outlives"}
    sysv = results.pop("sysv_shm_outlives")   # correct but for flatten, which reports the segments made
    assert sysv["score"] < sum(t["max_score"] for t in sysv["tests"])
    if not level.startswith("namespaces+"):   # the filter refused shmget; the namespace levels' own IPC
        assert "made shm []" in json.dumps(sysv), json.dumps(sysv)[:1500]   # namespace dies with them
    assert not _worker_ipc(), "System V objects of worker uids outlived the batch"
    for name, result in results.items():
        assert result["extra_data"]["isolation"] == level
        max_score = sum(t["max_score"] for t in result["tests"])
        want = max_score if name.startswith("honest") else 0.0
        assert result["score"] == want, (name, result["score"], result["output"][:500])
        assert (out / f"{name}.json").stat().st_mode & 0o077 == 0   # private
    time.sleep(1)   # a daemon that survived would rewrite the results within 0.2 s
    again = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert again == {**results, "sysv_shm_outlives": sysv}, "results changed after the batch"
    snoop = json.dumps(results["uid_snoop_litter"])
    # it reports what it read ("<out>/<name>.json: score ..."); what it wrote is checked on the host
    # below (the namespace levels' private /tmp, a 64 MB tmpfs, takes some and vanishes with it)
    assert ".json: score" not in snoop, snoop[:1500]
    assert "rc=0" not in json.dumps(results["userns_in_jail"])
    assert not left, f"processes left behind: {left}"
    assert not _litter()
    assert set(_orphan_cgroups()) <= cgroups_before, "worker cgroups left behind"
    assert not list((tmp_path / "tmp").iterdir()), "temp folders (copied root, worker folders) left behind"


def test_not_root_is_refused_whatever_is_accepted(subreaper):
    base = pathlib.Path(tempfile.mkdtemp(prefix="dlgrade-sim-"))   # pytest's tmp is root's alone
    try:
        os.chmod(base, 0o755)
        folder = _batch(base)
        out = base / "out"
        out.mkdir()
        os.chmod(out, 0o777)
        for args in ((), ("--isolation", "uid-nocgroup")):
            code, stdout, stderr, left = simulate(base, "not-root", "--assignment", "week09", "--out", str(out),
                                                  *args, str(folder))
            lines = stderr.strip().splitlines()
            assert code == 2 and len(lines) == 1, stderr
            assert "cannot be isolated here" in lines[0] and "root" in lines[0], lines[0]
            assert not list(out.glob("*.json")) and not left
    finally:
        shutil.rmtree(base, ignore_errors=True)
