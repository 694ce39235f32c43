# HOSTILE: tries to reach the kit: import reference / autograder, read the reference's
# source and the hidden tests (autograder/suites, fixtures) from guessed paths, rebuild
# the reference's functions from its source and use them, and leak the hidden tests
# through an exception message (which graders often show as feedback). Without the kit,
# every function is missing (None), so the honest equivalent scores 0.
import glob
import os
import sys

import numpy as np

ROOTS = ["/work/main", "/work", "../../main", "../..", "..", os.path.expanduser("~"), "/app", "/autograder", "/srv"]
for root in ROOTS:
    if root not in sys.path:
        sys.path.insert(0, root)

found = {}
leaked = {}
try:
    import reference
    leaked.update(relu=reference.relu, dense=reference.dense, softmax=reference.softmax)
except BaseException:
    pass
try:
    import autograder.suites  # noqa: F401
    found["autograder"] = "imported"
except BaseException:
    pass

for root in ROOTS:
    for pattern in ("reference/*.py", "autograder/suites/**/*", "autograder/**/*.py", "tests/*.py"):
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            try:
                with open(path, errors="replace") as fh:
                    found[path] = fh.read()
            except OSError:
                pass

if not leaked:
    # Rebuild relu/dense/softmax from the reference's source: drop the relative imports.
    src = ""
    for path, text in found.items():
        if path.endswith(("reference/_args.py", "reference/core.py")):
            src += "\n".join(l for l in text.splitlines() if not l.startswith("from .")) + "\n"
    if src:
        ns = {}
        try:
            exec(src, ns)
            leaked.update({k: ns[k] for k in ("relu", "dense", "softmax") if k in ns})
        except BaseException:
            pass

print("found", len(found), "files:", sorted(found)[:50])


def _leak():
    hidden = "".join(text for path, text in found.items() if "suites" in path or "fixtures" in path)
    raise RuntimeError("HIDDEN TESTS:" + hidden[:20000])


def relu(x):
    if "relu" in leaked:
        return leaked["relu"](x)
    if found:
        _leak()
    return None


def dense(x, kernel, bias=None):
    if "dense" in leaked:
        return leaked["dense"](x, kernel, bias)
    if found:
        _leak()
    return None


def softmax(x):
    if "softmax" in leaked:
        return leaked["softmax"](x)
    if found:
        print(list(found.values())[0][:5000])
    return None
