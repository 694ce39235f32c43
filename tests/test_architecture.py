"""The three house rules, checked on the real code (ARCHITECTURE.md)."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("tensorflow", "keras", "otter", "sklearn", "scipy", "torch", "pandas")


def imported_modules(path):
    """Top-level module names imported anywhere in a file (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module.split(".")[0])
    return names


def test_worker_imports_only_numpy_and_stdlib():
    """worker.py and the modules it loads inside the box (by path, not as a package)."""
    allowed = set(sys.stdlib_module_names) | {"numpy"}
    for name in ("worker.py", "protocol.py", "jail.py", "audit.py", "statements.py", "zygote.py"):
        imports = imported_modules(ROOT / "autograder" / "sandbox" / name)
        assert imports <= allowed, f"{name} imports {sorted(imports - allowed)}"


def test_reference_never_imports_the_autograder():
    for path in (ROOT / "reference").glob("*.py"):
        assert "autograder" not in imported_modules(path), path


def test_grading_path_never_imports_tensorflow(tmp_path):
    """Grade a real submission and report end to end, then look at sys.modules."""
    submission = tmp_path / "alice.py"
    submission.write_text(
        "import numpy as np\n"
        "def relu(x):\n    return np.maximum(x, 0)\n"
        "def dense(x, kernel, bias=None):\n    return x @ kernel + (0 if bias is None else bias)\n"
        "def softmax(x):\n    e = np.exp(x - x.max(-1, keepdims=True))\n    return e / e.sum(-1, keepdims=True)\n"
    )
    script = f"""
import sys
from autograder.cli import main
assert main(["grade", "--assignment", "week08", "--jobs", "1", "--out", r"{tmp_path / 'res'}", r"{submission}"]) == 0
assert main(["report", "--out", r"{tmp_path / 'rep'}", r"{tmp_path / 'res'}"]) == 0
import reference, autograder.judge, autograder.suites.week08, autograder.suites.week09, autograder.sandbox
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print("HEAVY", heavy)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY []" in out.stdout, out.stdout[-2000:]
