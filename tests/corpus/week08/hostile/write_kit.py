# HOSTILE: tries to write where it must not: new files in the kit (/work/main and its
# packages, by absolute and relative guesses), in $HOME, and forged results in a results
# directory it hunts for under /tmp (the hostile test names its results directory
# "dlgrade-hostile-out"): its own result with a full score, a zeroed result for the honest
# student, a made-up extra student, and a rewritten scores.csv. It only ever creates new files or writes inside a
# directory of that name, so a broken sandbox is detected without damaging anything.
import json
import os

MARK = "HOSTILE_WAS_HERE"
TARGETS = ["/work/main", "/work/main/reference", "/work/main/autograder", "/work/main/autograder/suites",
           "/work/main/tests", "/work", "..", "../..", "../../main", os.path.expanduser("~"), "/tmp", "."]

FORGED = {"score": 10.0, "output": "", "tests": [
    {"name": n, "score": 10.0 / 3, "max_score": 10.0 / 3, "status": "passed", "output": "", "tags": [n]}
    for n in ("relu", "dense", "softmax")],
    "extra_data": {"student": "write_kit", "assignment": "week08", "max_score": 10.0, "flags": []}}


def _try_create(directory):
    try:
        fd = os.open(os.path.join(directory, f"{MARK}_{os.getpid()}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"pwned\n")
        os.close(fd)
    except OSError:
        pass


def _forge_results():
    for top in ("/tmp", "/var/tmp"):
        for dirpath, dirnames, _ in os.walk(top):
            if dirpath.count(os.sep) - top.count(os.sep) >= 5:
                dirnames[:] = []
                continue
            if os.path.basename(dirpath) == "dlgrade-hostile-out":
                try:
                    with open(os.path.join(dirpath, "write_kit.json"), "w") as fh:
                        json.dump(FORGED, fh)
                    with open(os.path.join(dirpath, "honest_correct.json"), "w") as fh:
                        json.dump(dict(FORGED, score=0.0, tests=[]), fh)
                    with open(os.path.join(dirpath, "zz_forged_student.json"), "w") as fh:
                        json.dump(dict(FORGED, extra_data=dict(FORGED["extra_data"], student="zz_forged_student")), fh)
                    with open(os.path.join(dirpath, "scores.csv"), "a") as fh:
                        fh.write("write_kit,10,10,3.3,3.3,3.4\n")
                except OSError:
                    pass


def _attack():
    for target in TARGETS:
        _try_create(target)
    _forge_results()


_attack()


def relu(x):
    _attack()
    return None


def dense(x, kernel, bias=None):
    return None


def softmax(x):
    return None
