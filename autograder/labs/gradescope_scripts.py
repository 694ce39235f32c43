"""The two scripts of a Gradescope autograder zip (templates filled in by ``gradescope.py``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build
the image, and runs ``run_autograder`` for every submission, which must leave
``/autograder/results/results.json``. ``dlgrade grade`` already writes that format, so
``run_autograder`` only picks the submitted file, grades it, and copies the result:
Gradescope's score is the local score.
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
# Gradescope runs this for every submission: grade it with dlgrade (the same grader and
# points as `dlgrade grade` on a laptop) and leave results/results.json.
# DLGRADE_GRADESCOPE_ROOT moves the /autograder tree (the kit's tests use a temp folder).
set -uo pipefail
ASSIGNMENT="{assignment}"
ROOT="${{DLGRADE_GRADESCOPE_ROOT:-/autograder}}"
RESULTS="$ROOT/results/results.json"
export PATH="/opt/dlgrade/bin:$PATH"   # where setup.sh installed the kit
mkdir -p "$ROOT/results"

give_zero() {{  # a results.json with score 0 and one clear message for the student
    python3 -c 'import json, sys; json.dump({{"score": 0, "output": sys.argv[2], "tests": []}}, open(sys.argv[1], "w"), indent=1)' \\
        "$RESULTS" "$1"
    echo "$1" >&2
    exit 0
}}

# The submitted file: $ASSIGNMENT.ipynb if there is one, else the first notebook, else the first .py.
pick() {{ find "$ROOT/submission" -type f -name "$1" -not -path '*/.*' 2>/dev/null | LC_ALL=C sort | head -n 1; }}
SUBMISSION="$(pick "$ASSIGNMENT.ipynb")"
[ -n "$SUBMISSION" ] || SUBMISSION="$(pick '*.ipynb')"
[ -n "$SUBMISSION" ] || SUBMISSION="$(pick '*.py')"
[ -n "$SUBMISSION" ] || give_zero "No notebook (.ipynb) or Python file (.py) was found in your submission; upload $ASSIGNMENT.ipynb."

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
dlgrade grade --assignment "$ASSIGNMENT" --jobs 1 --out "$OUT" "$SUBMISSION" \\
    || give_zero "The grader could not run on $(basename "$SUBMISSION"); please tell your instructor."
NAME="$(basename "$SUBMISSION")"
RESULT="$OUT/${{NAME%.*}}.json"
[ -f "$RESULT" ] || give_zero "The grader wrote no result for $NAME; please tell your instructor."
# Gradescope knows a test's status only as "passed" / "failed"; dlgrade's finer category
# (wrong shape, timed out, ...) moves to the test's extra_data. Scores are untouched.
python3 - "$RESULT" "$RESULTS" <<'PY'
import json, sys
result = json.load(open(sys.argv[1], encoding="utf-8"))
for test in result.get("tests", []):
    test["extra_data"] = {{"status": test["status"]}}
    test["status"] = "passed" if test["status"] == "passed" else "failed"
json.dump(result, open(sys.argv[2], "w", encoding="utf-8"), indent=1)
PY
"""
