"""``dlgrade build``: the student notebooks in ``assignments/`` from the masters in ``solutions/``.

Each lab is one Otter Assign master notebook, ``solutions/<lab>/<lab>.ipynb``, next to
the data it ships with. The build stages the lab folder together with the shared
``solutions/lab_checks.py`` (the public checks, written once), runs ``otter assign``
on it, and copies only the student view -- notebook, data, ``lab_checks.py`` and the
public ``tests/`` -- into ``assignments/<lab>/``. Otter's autograder view (with the
solutions) is thrown away: grading is done by ``dlgrade grade``.

Before anything is written (and in ``--check``), the master notebook runs top to bottom
in a fresh kernel from otter's solution view, with TensorFlow made unimportable: every
``grader.check(...)`` must say "All test cases passed", so a public check that is broken
(a NameError, a wrong expectation) or that needs TensorFlow never ships.

The output is made deterministic (otter gives new cells random ids; running a master in
Jupyter adds execution counts, outputs and timing metadata), so rebuilding unchanged masters
gives byte-identical files and ``--check`` can spot stale copies, and only those.
"""
import filecmp
import pathlib
import re
import shutil
import sys
import tempfile

SHARED_FILES = ("lab_checks.py", "requirements.txt")  # copied from solutions/ into every lab
IGNORED = ("__pycache__", ".ipynb_checkpoints", ".hypothesis", ".OTTER_LOG")
# Metadata that says something about the lab (otter's cell locks and tags, the kernel); the
# rest (execution timings, scroll state, editor settings) comes from running the master.
KEPT_CELL_METADATA = ("deletable", "editable", "tags", "otter", "nbgrader")
KEPT_NOTEBOOK_METADATA = ("kernelspec", "otter")
CHECK_TIMEOUT = 300          # seconds for one master notebook, top to bottom
PASSED = "All test cases passed"
# A "tensorflow" package that refuses to import, first on the kernel's path: the public
# checks must run on a student's laptop without TensorFlow.
NO_TENSORFLOW = 'raise ImportError("the public checks must not need TensorFlow")\n'



def add_arguments(parser):
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if assignments/ differs from a fresh build")
    parser.add_argument("--lab", action="append", metavar="NAME",
                        help="build only this lab (repeatable; default: every lab in the solutions folder)")
    parser.add_argument("--solutions", type=pathlib.Path, default=pathlib.Path("solutions"), metavar="DIR",
                        help="folder of master notebooks (default: ./solutions)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("assignments"), metavar="DIR",
                        help="folder for the student versions (default: ./assignments)")


class BuildError(Exception):
    """A lab cannot be built; the message says why in one line."""


def find_labs(solutions, names=None):
    """Lab names: folders ``solutions/<name>/`` holding ``<name>.ipynb``."""
    if not solutions.is_dir():
        raise BuildError(f"no solutions folder at {solutions} (run from the repository root or pass --solutions)")
    found = sorted(p.name for p in solutions.iterdir() if (p / f"{p.name}.ipynb").is_file())
    if names:
        unknown = sorted(set(names) - set(found))
        if unknown:
            raise BuildError(f"no master notebook for {', '.join(unknown)}; found: {', '.join(found) or 'none'}")
        return sorted(set(names))
    return found


def _copy_tree(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)


def normalize_notebook(path):
    """Make otter's output reproducible and tidy: sequential cell ids, no outputs or counts,
    and no metadata from running the master (execution times, scroll state)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEPT_NOTEBOOK_METADATA}
    nb.metadata["language_info"] = {"name": "python"}   # not the version of whoever ran it
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
        if cell.cell_type == "code":
            # removed solution blocks leave trailing blank lines behind
            cell.source, cell.outputs, cell.execution_count = cell.source.rstrip(), [], None
    nbformat.write(nb, path)


def run_public_checks(name, folder):
    """Run otter's solution view of a lab (``folder/<name>.ipynb``, next to its tests/ and
    data) top to bottom without TensorFlow; raise ``BuildError`` naming the first public check
    that does not pass, or the first cell that fails. Returns the questions checked."""
    import os

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = pathlib.Path(folder) / f"{name}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory(prefix="dlgrade-no-tf-") as blocker:
        (pathlib.Path(blocker) / "tensorflow").mkdir()
        (pathlib.Path(blocker) / "tensorflow" / "__init__.py").write_text(NO_TENSORFLOW)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (blocker, os.environ.get("PYTHONPATH", "")) if p))
        client = NotebookClient(nb, timeout=CHECK_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        try:
            client.execute(env=env)
        except CellTimeoutError:
            raise BuildError(f"{name}: the solution notebook did not finish in {CHECK_TIMEOUT} s") from None
        except CellExecutionError as exc:
            cell = next((i for i, c in enumerate(nb.cells, 1) if c.cell_type == "code"
                         and any(o.get("output_type") == "error" for o in c.get("outputs", []))), "?")
            error = next((f"{o['ename']}: {o['evalue']}" for c in nb.cells for o in c.get("outputs", [])
                          if o.get("output_type") == "error"), str(exc).strip().splitlines()[-1])
            raise BuildError(f"{name}: cell {cell} of the solution notebook fails ({error})") from None
    checked = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("grader.check("):
            question = cell.source.split("(", 1)[1].split(")", 1)[0].strip("\"' ")
            text = "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                           for o in cell.outputs)
            if PASSED not in text:
                # otter prints the traceback; its last "SomeError: message" line says what broke
                errors = [line.strip() for line in text.splitlines()
                          if re.match(r"^\s*\w+(Error|Exception|Failure)\b.*:", line)]
                first = errors[-1] if errors else " ".join(text.split())[:200]
                raise BuildError(f"{name}: the public check {question!r} fails on the solution: {first}")
            checked.append(question)
    if not checked:
        raise BuildError(f"{name}: the solution notebook has no grader.check(...) cell")
    return checked


def assign_lab(name, solutions, workdir):
    """Run otter assign on one lab staged in ``workdir``; returns otter's output folder,
    holding ``student/`` and ``autograder/`` (the view with solutions, for tests)."""
    from otter.assign import main as otter_assign

    stage = pathlib.Path(workdir) / name
    _copy_tree(solutions / name, stage)
    for shared in SHARED_FILES:
        shutil.copy2(solutions / shared, stage / shared)
    result = pathlib.Path(workdir) / "dist"
    try:
        otter_assign(str(stage / f"{name}.ipynb"), str(result), no_pdfs=True, no_run_tests=True)
    except Exception as exc:  # otter's own message names the bad cell
        raise BuildError(f"otter assign failed on {solutions / name / (name + '.ipynb')}: "
                         f"{type(exc).__name__}: {exc}") from None
    return result


def build_lab(name, solutions, dest, run_checks=False):
    """Build one lab's student version into ``dest`` (replacing what was there). With
    ``run_checks``, first run the public checks on the solution (``run_public_checks``):
    a failing check raises ``BuildError`` and nothing is written."""
    with tempfile.TemporaryDirectory(prefix=f"dlgrade-build-{name}-") as tmp:
        dist = assign_lab(name, solutions, tmp)
        if run_checks:
            run_public_checks(name, dist / "autograder")
        student = dist / "student"
        normalize_notebook(student / f"{name}.ipynb")
        if dest.exists():
            shutil.rmtree(dest)
        _copy_tree(student, dest)


def stale_files(built, committed):
    """Relative paths that differ between two trees (missing on either side counts)."""
    def files(root):
        return {p.relative_to(root).as_posix() for p in root.rglob("*")
                if p.is_file() and not any(part in IGNORED for part in p.parts)} if root.exists() else set()

    a, b = files(built), files(committed)
    differ = {f for f in a & b if not filecmp.cmp(built / f, committed / f, shallow=False)}
    return sorted((a ^ b) | differ)


def run(args):
    try:
        import otter  # noqa: F401  (only the build needs it)
    except ImportError:
        print("dlgrade build: needs otter-grader; install it with pip install 'dlgrade[lab]'", file=sys.stderr)
        return 2
    try:
        labs = find_labs(args.solutions, args.lab)
        if not labs:
            raise BuildError(f"no labs in {args.solutions} (expected <name>/<name>.ipynb)")
        if not args.check:
            for name in labs:
                build_lab(name, args.solutions, args.out / name, run_checks=True)
                print(f"built {args.out / name}/ from {args.solutions / name / (name + '.ipynb')} "
                      "(its public checks pass on the solution)")
            return 0
        with tempfile.TemporaryDirectory(prefix="dlgrade-check-") as tmp:
            stale = []
            for name in labs:
                build_lab(name, args.solutions, pathlib.Path(tmp) / name, run_checks=True)
                stale += [f"{args.out / name}/{f}" for f in stale_files(pathlib.Path(tmp) / name, args.out / name)]
        if stale:
            print("dlgrade build --check: out of date (run dlgrade build): " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"dlgrade build --check: {', '.join(labs)} up to date; public checks pass on the solutions")
        return 0
    except BuildError as exc:
        print(f"dlgrade build: {exc}", file=sys.stderr)
        return 2
