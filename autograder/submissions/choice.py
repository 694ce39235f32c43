"""Which one of a student's files is graded: the contract's fixed rule, in one function.

``choose(paths, assignment)`` is used by ``dlgrade grade`` (for every student of a folder,
zip or export) and by the Gradescope autograder's run script (for the uploaded files), so
both pick the same file. The rule, first match wins:

1. a notebook named like the assignment (``week09.ipynb``, also ``Week09.ipynb.txt``);
   of several, the latest Canvas resubmission (``week09-2.ipynb`` over ``week09-1.ipynb``);
2. the only notebook;
3. the latest Canvas resubmission, when all notebooks are uploads of one file name;
4. (no notebook at all) the only ``.py``, or the latest resubmission of one ``.py``.

A notebook is a ``.ipynb`` file or any file whose content is a notebook's JSON
(``week09.ipynb.json``, ``.txt``). Never candidates: the lab's own files
(``lab_checks.py``, ``requirements.txt``, the data file ``digits.npz``, anything under
``tests/``), Jupyter's ``.ipynb_checkpoints/``, hidden files, ``__pycache__/``,
``__MACOSX/`` and nbgrader's ``timestamp.txt``. When no step decides, nothing is graded and
the problem names the files found.
"""
import pathlib
import re
from dataclasses import dataclass

from . import notebooks
from .ids import without_extensions

LAB_FILES = {"lab_checks.py", "requirements.txt", "digits.npz"}
LAB_FOLDERS = {"tests"}
JUNK_FOLDERS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}
JUNK_FILES = {"timestamp.txt", "submission_metadata.yml", "Thumbs.db", "desktop.ini"}
_RESUBMISSION = re.compile(r"^(?P<base>.*?)-(?P<n>\d+)$")   # Canvas: lab9.ipynb -> lab9-1.ipynb


@dataclass(frozen=True)
class Choice:
    """The outcome of ``choose``.

    Attributes:
        file: the path chosen, exactly as given; ``None`` when no rule decides.
        rule: why it was chosen ("a notebook named like the assignment", ...), or "".
        passed_over: the other files that were not graded (candidates and unusable files).
        lab_files: the lab's own files found (never candidates).
        problem: when ``file`` is None, one sentence for the student naming the files found.
    """

    file: object
    rule: str
    passed_over: tuple
    lab_files: tuple
    problem: str = None


def is_junk(path):
    """Hidden files and folders, editor/OS droppings, Jupyter checkpoints: never mentioned."""
    parts = pathlib.PurePosixPath(str(path).replace("\\", "/")).parts
    return (any(p.startswith(".") or p in JUNK_FOLDERS for p in parts)
            or (parts and parts[-1] in JUNK_FILES))


# Files the OS, Jupyter or an export leaves behind: passed over quietly (counted and listed
# in the batch's passed-over list, but not in the student's feedback).
_QUIET = ((lambda part: part == ".ipynb_checkpoints", "a Jupyter checkpoint"),
          (lambda part: part == "__MACOSX" or part.startswith("._"), "macOS zip metadata"),
          (lambda part: part in {".DS_Store", "Thumbs.db", "desktop.ini"}, "operating-system metadata"),
          (lambda part: part == "__pycache__", "Python's cache"),
          (lambda part: part == ".git", "a git folder"),
          (lambda part: part == "timestamp.txt", "nbgrader's timestamp"),
          (lambda part: part == "submission_metadata.yml", "Gradescope's metadata"))
HIDDEN_REASON = "a hidden file (its name starts with '.'): hidden files are never graded"


def junk_reason(path):
    """``(reason, quiet)`` for a file ``is_junk`` or ``is_lab_file`` names, else None.

    ``quiet``: the OS's, Jupyter's and exports' leftovers and the lab's own files, which need
    no word in the student's feedback; a hidden file of the student's own is worth one.
    """
    parts = pathlib.PurePosixPath(str(path).replace("\\", "/")).parts
    for test, reason in _QUIET:
        if any(test(part) for part in parts):
            return reason, True
    if any(part.startswith(".") for part in parts):
        return HIDDEN_REASON, False
    if is_lab_file(path):
        return "the lab's own file (never graded)", True
    return None


def is_lab_file(path):
    parts = pathlib.PurePosixPath(str(path).replace("\\", "/")).parts
    return bool(parts) and (parts[-1] in LAB_FILES or any(p in LAB_FOLDERS for p in parts[:-1]))


def _read_head(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(65536)
    except OSError:
        return b""


def _disk_sniff(path):
    return notebooks.looks_like_notebook(_read_head(path))


def _stem(path):
    """The name a student gave the file, without extensions, resubmission suffix, case."""
    return without_extensions(pathlib.PurePosixPath(str(path).replace("\\", "/")).name).strip().casefold()


def _version(path):
    """``(base name, upload number)``: Canvas names a re-upload ``lab9-1.ipynb``, ``lab9-2.ipynb``."""
    stem = _stem(path)
    match = _RESUBMISSION.match(stem)
    return (match["base"], int(match["n"])) if match else (stem, 0)


def _latest(paths):
    """The latest upload when ``paths`` are re-uploads of one file name, else None."""
    versions = [_version(p) for p in paths]
    if len({base for base, _ in versions}) != 1 or len({n for _, n in versions}) != len(versions):
        return None
    return max(zip(versions, range(len(paths))))[1]


def _names(paths):
    return ", ".join(str(p) for p in paths)


def choose(paths, assignment, is_notebook=None):
    """Pick the one file of a student to grade.

    Args:
        paths: the student's files (str or path-like), in any order; each ``str(path)`` is
            what messages show, so give paths relative to the submission where possible.
        assignment: the assignment name, e.g. ``"week09"``.
        is_notebook: ``callable(path) -> bool`` telling whether a file that is not named
            ``.ipynb`` holds a notebook; by default the file's first 64 KB are read from disk.

    Returns:
        ``Choice``; deterministic for the same names and contents, whatever their order.
    """
    is_notebook = is_notebook or _disk_sniff
    paths = sorted(paths, key=lambda p: str(p))
    lab = tuple(p for p in paths if not is_junk(p) and is_lab_file(p))
    usable = [p for p in paths if not is_junk(p) and not is_lab_file(p)]
    notebooks_, pythons, others = [], [], []
    for path in usable:
        name = str(path).lower()
        if name.endswith(".ipynb") or is_notebook(path):
            notebooks_.append(path)
        elif name.endswith(".py"):
            pythons.append(path)
        else:
            others.append(path)

    def chosen(index_or_path, pool, rule):
        path = pool[index_or_path] if isinstance(index_or_path, int) else index_or_path
        return Choice(path, rule, tuple(p for p in usable if p is not path), lab)

    target = assignment.casefold()
    named = [p for p in notebooks_ if _version(p)[0] == target]
    if len(named) == 1:
        return chosen(named[0], named, "a notebook named like the assignment")
    if len(named) > 1 and (latest := _latest(named)) is not None:
        return chosen(latest, named, "the latest upload of the notebook named like the assignment")
    if not named and len(notebooks_) == 1:
        return chosen(notebooks_[0], notebooks_, "the only notebook")
    if not named and len(notebooks_) > 1 and (latest := _latest(notebooks_)) is not None:
        return chosen(latest, notebooks_, "the latest upload of the notebook")
    if not notebooks_ and len(pythons) == 1:
        return chosen(pythons[0], pythons, "the only .py file")
    if not notebooks_ and len(pythons) > 1 and (latest := _latest(pythons)) is not None:
        return chosen(latest, pythons, "the latest upload of the .py file")

    if named or notebooks_ or pythons:
        pool = named or notebooks_ or pythons
        what = "notebooks" if notebooks_ else ".py files"
        problem = (f"no file was graded: {len(pool)} {what} ({_names(pool)}) and no rule decides "
                   f"which one counts; submit one file, named {assignment}.ipynb")
    elif others:
        problem = (f"no notebook (.ipynb) or Python file (.py) was found, only: {_names(others)}; "
                   f"submit {assignment}.ipynb itself")
    else:
        problem = f"no files were found for this student; submit {assignment}.ipynb"
    return Choice(None, "", tuple(usable), lab, problem)
