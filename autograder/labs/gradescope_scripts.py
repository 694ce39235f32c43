"""The two scripts of a Gradescope autograder zip (templates filled in by ``gradescope.py``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build
the image, and runs ``run_autograder`` for every submission, which must leave
``/autograder/results/results.json``. ``dlgrade grade`` already writes that format, so
``run_autograder`` hands over to ``autograder.labs.gradescope_run``, which picks the
submitted file by the kit's one-file rule, grades it with ``dlgrade grade`` and applies the
chosen visibility: Gradescope's score is the local score.
"""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python (3.11 or newer) and the dlgrade kit bundled in this zip, with only
# the grader's own dependencies (numpy, hypothesis, nbformat, tqdm): no TensorFlow.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    # Ubuntu 22.04 images ship Python 3.10; the kit needs 3.11 (choose Ubuntu 24.04 to skip this).
    apt-get install -y -q python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv /opt/dlgrade
/opt/dlgrade/bin/pip install -q --upgrade pip
/opt/dlgrade/bin/pip install -q /autograder/source/dlgrade
/opt/dlgrade/bin/dlgrade --version
# Student code runs under a uid of its own. If Gradescope's container allows no namespaces,
# the kit's files are still on its disk: make the answers (reference, hidden tests and
# fixtures, the bundled source) readable by root only; the worker needs only NumPy and
# autograder/sandbox.
SITE="$(/opt/dlgrade/bin/python -c 'import os, reference; print(os.path.dirname(os.path.dirname(reference.__file__)))')"
chmod -R go-rwx "$SITE/reference" "$SITE/autograder/suites" /autograder/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: pick the submitted file, grade it with dlgrade
# (the same grader and points as `dlgrade grade` on a laptop) and leave results/results.json
# (autograder/labs/gradescope_run.py does the work; this script only finds it).
# DLGRADE_GRADESCOPE_ROOT moves the /autograder tree (the kit's tests use a temp folder).
set -uo pipefail
ASSIGNMENT="{assignment}"
VISIBILITY="{visibility}"
ISOLATION="{isolation}"
ROOT="${{DLGRADE_GRADESCOPE_ROOT:-/autograder}}"
RESULTS="$ROOT/results/results.json"
export PATH="/opt/dlgrade/bin:$PATH"   # where setup.sh installed the kit
mkdir -p "$ROOT/results"
PYTHON=/opt/dlgrade/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

ARGS=(--assignment "$ASSIGNMENT" --visibility "$VISIBILITY" --root "$ROOT")
[ -z "$ISOLATION" ] || ARGS+=(--isolation "$ISOLATION")
if ! "$PYTHON" -m autograder.labs.gradescope_run "${{ARGS[@]}}"; then
    # The kit itself failed: still give the student a result that says so.
    python3 -c 'import json, sys; json.dump({{"score": 0, "output": sys.argv[2], "tests": []}}, open(sys.argv[1], "w"), indent=1)' \
        "$RESULTS" "The autograder failed before grading your submission; please tell your instructor."
fi
exit 0
"""
