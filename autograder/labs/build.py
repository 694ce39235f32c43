"""``dlgrade build``: the student notebooks in ``assignments/`` from the masters in ``solutions/``.

Each lab is one Otter Assign master notebook, ``solutions/<lab>/<lab>.ipynb``, next to
the data it ships with. The build stages the lab folder together with the shared
``solutions/lab_checks.py`` (the public checks, written once), runs ``otter assign``
on it, and copies only the student view -- notebook, data, ``lab_checks.py`` and the
public ``tests/`` -- into ``assignments/<lab>/``. Otter's autograder view (with the
solutions) is thrown away: grading is done by ``dlgrade grade``.

The output is made deterministic (otter gives new cells random ids), so rebuilding
unchanged masters gives byte-identical files and ``--check`` can spot stale copies.
"""
import filecmp
import pathlib
import shutil
import sys
import tempfile

SHARED_FILES = ("lab_checks.py", "requirements.txt")  # copied from solutions/ into every lab
IGNORED = ("__pycache__", ".ipynb_checkpoints", ".hypothesis", ".OTTER_LOG")


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
    """Make otter's output reproducible and tidy: sequential cell ids, no outputs or counts."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        if cell.cell_type == "code":
            # removed solution blocks leave trailing blank lines behind
            cell.source, cell.outputs, cell.execution_count = cell.source.rstrip(), [], None
    nbformat.write(nb, path)


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


def build_lab(name, solutions, dest):
    """Build one lab's student version into ``dest`` (replacing what was there)."""
    with tempfile.TemporaryDirectory(prefix=f"dlgrade-build-{name}-") as tmp:
        student = assign_lab(name, solutions, tmp) / "student"
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
                build_lab(name, args.solutions, args.out / name)
                print(f"built {args.out / name}/ from {args.solutions / name / (name + '.ipynb')}")
            return 0
        with tempfile.TemporaryDirectory(prefix="dlgrade-check-") as tmp:
            stale = []
            for name in labs:
                build_lab(name, args.solutions, pathlib.Path(tmp) / name)
                stale += [f"{args.out / name}/{f}" for f in stale_files(pathlib.Path(tmp) / name, args.out / name)]
        if stale:
            print("dlgrade build --check: out of date (run dlgrade build): " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"dlgrade build --check: {', '.join(labs)} up to date")
        return 0
    except BuildError as exc:
        print(f"dlgrade build: {exc}", file=sys.stderr)
        return 2
