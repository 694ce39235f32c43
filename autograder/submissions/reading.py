"""One file's bytes -> a ``Submission``: a notebook by its content, else Python source.

Nothing here raises for a student's file: a file that cannot be read becomes a submission
with no cells and a message (its student gets a clear 0, the batch goes on).
"""
import hashlib
import io
import pathlib
import re
import tokenize

from . import notebooks
from .model import Cell, Submission, SubmissionError

# A submission is a few KB of code; notebooks with plots reach a few MB. Anything bigger
# is not a lab, and a file or zip member is never read past this.
MAX_FILE_BYTES = 32 * 1024 * 1024
# "def name(" at the start of a line: what Restart & Run All would define, in order.
_TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.M)


def kind(name, head):
    """``"notebook"``, ``"python"`` or ``None`` (not gradable) for a file name and its first bytes."""
    if notebooks.looks_like_notebook(head):
        return "notebook"
    lower = name.lower()
    if lower.endswith(".ipynb"):
        return "notebook"          # broken JSON: parsed anyway, for a message that says why
    if lower.endswith(".py"):
        return "python"
    return None


def from_bytes(student, name, data, path=None, **fields):
    """A ``Submission`` of the file ``name`` with content ``data`` (never raises for bad content).

    ``fields`` are further ``Submission`` fields (``notes``, ``late``, ``submitted_at``).
    """
    sha = hashlib.sha256(data).hexdigest()
    path = pathlib.Path(path if path is not None else name)
    notes = list(fields.pop("notes", ()))
    what = kind(name, data[:65536])
    if what == "notebook":
        try:
            cells, problems = _notebook_cells(name, data)
        except notebooks.NotebookError as exc:   # nothing to run: no sandbox, a clear 0
            return unusable(student, path, f"{name} could not be read: {exc}", missing=True, file=name,
                            sha256=sha, notes=tuple(notes), **fields)
    elif what == "python":
        source, problems = _decode_python(name, data)
        if not source.strip():
            return unusable(student, path, f"{name} is empty ({len(data)} bytes): the upload or the "
                            "save did not finish; submit the file again", missing=True, file=name,
                            sha256=sha, notes=tuple(notes), **fields)
        cells = (Cell(source, name),)
    else:
        return unusable(student, path, f"{name} is not a notebook or a Python file", file=name,
                        notes=tuple(notes), **fields)
    notes += twice_defined(cells)
    return Submission(student=student, path=path, cells=tuple(cells), sha256=sha,
                      problems=tuple(problems), file=name,
                      notes=tuple(notes), **fields)


def load(path, student=None):
    """Read one file from disk (any extension; a notebook is recognised by its content).

    Raises ``SubmissionError`` only when the file does not exist.
    """
    path = pathlib.Path(path)
    student = student or path.stem
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return unusable(student, path, too_big(path.name, size), file=path.name)
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file") from None
    except OSError as exc:
        return unusable(student, path, f"{path.name} could not be read ({exc.strerror or exc})",
                        file=path.name)
    return from_bytes(student, path.name, data, path)


def too_big(name, size):
    """``size`` may be the cap + 1 (a read stops there): the message never states it."""
    return (f"{name} is larger than {MAX_FILE_BYTES / (1024 * 1024):g} MB; that is not a lab "
            "submission (clear the notebook's outputs and submit it again)")


def unusable(student, path, problem, *, missing=True, **fields):
    """A submission with no code, only the reason: graded 0 with that message (status ``no
    submission``, no sandbox started), and the batch goes on."""
    sha256 = fields.pop("sha256", None) or hashlib.sha256(problem.encode()).hexdigest()
    return Submission(student=student, path=pathlib.Path(path), cells=(), sha256=sha256,
                      problems=(problem,), missing=missing, **fields)


def _decode_python(name, data):
    """Decode a .py file the way Python does (BOM, PEP 263 coding line, else UTF-8).

    Undecodable bytes become U+FFFD and a problem is reported, so a stray Latin-1 byte in a
    comment does not cost the student the whole file.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding), []
    except (UnicodeDecodeError, LookupError) as exc:
        where = f" (byte {exc.start})" if isinstance(exc, UnicodeDecodeError) else ""
        problem = (f"{name} is not valid {encoding} text{where}; unreadable characters were "
                   "replaced before grading; save the file as UTF-8")
        return data.decode("utf-8", errors="replace"), [problem]


def _notebook_cells(name, data):
    """The code cells of a notebook, cleaned of IPython syntax, labelled as Jupyter shows them.

    Raises ``notebooks.NotebookError`` (for the student) when the bytes are no readable notebook.
    """
    raw_cells, problems = notebooks.parse(name, data)
    cells = []
    for position, cell_type, source in raw_cells:
        if cell_type != "code":
            continue
        code = notebooks.strip_ipython(source)
        if code.strip():
            cells.append(Cell(code, notebooks.label(position, source)))
    return cells, problems


def twice_defined(cells):
    """Notes for functions defined at the top level more than once (the last one is graded)."""
    seen = {}
    for cell in cells:
        line, last = 1, 0
        for match in _TOP_LEVEL_DEF.finditer(cell.source):
            line += cell.source.count("\n", last, match.start())   # linear: counts each stretch once
            last = match.start()
            where = f"line {line}" if len(cells) == 1 else cell.label
            seen.setdefault(match.group(1), []).append(where)
    notes = []
    for function, places in seen.items():
        if len(places) > 1:
            notes.append(f"{function} is defined {len(places)} times ({', '.join(places[:5])}): "
                         f"graded as Restart & Run All leaves it, the definition in {places[-1]}")
    return notes
