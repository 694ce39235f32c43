"""Submissions on disk -> ``Submission`` objects: a student id and the code cells to run.

A submission is a ``.py`` file (one cell) or a ``.ipynb`` notebook (one cell per code
cell, IPython magics and shell lines removed). ``collect`` takes what an instructor has:
single files, folders of them, and Canvas "Download Submissions" zips.

Rules this module applies (documented once, here):

- Student id: the file name without its extension; for a file inside a Canvas zip, the
  Canvas user id from its name (see ``CANVAS_NAME``). Members of a zip whose names do not
  follow Canvas naming fall back to the file name without extension.
- Folders: only their top-level ``.py`` / ``.ipynb`` files count (no recursion), so
  ``.ipynb_checkpoints/``, ``__pycache__/`` and students' helper folders are never graded
  by accident; hidden files (``.name``) are skipped.
- Zips are read in memory, member by member with a size cap, and never extracted, so a
  crafted member name (``../../x``) cannot write anywhere.
- Two files for one student is an error naming both, except inside a Canvas zip when the
  files differ only by the ``-N`` suffix Canvas adds to a re-uploaded file of the same
  name (``lab9.ipynb``, ``lab9-1.ipynb``): then the highest ``N`` (the latest upload) wins.
- A file that cannot be decoded or parsed still yields a ``Submission`` (with no cells, or
  with the decodable text) and a human-readable ``problems`` entry, so the student gets a
  result that says what went wrong; only missing/unreadable inputs raise ``SubmissionError``.
"""
import hashlib
import io
import json
import pathlib
import re
import tokenize
import zipfile
from dataclasses import dataclass

EXTENSIONS = (".py", ".ipynb")
# A submission is a few KB of code; notebooks with plots reach a few MB. Anything
# bigger is not a lab, and a zip member is never read past this (zip bombs).
MAX_FILE_BYTES = 32 * 1024 * 1024

# Canvas bulk download: "<namelogin>_<userid>_<submissionid>_<original name>", with
# "LATE_" after the login for late work, e.g. "doejane_LATE_123456_7890123_lab9.ipynb".
CANVAS_NAME = re.compile(r"^(?P<login>.+?)_(?:LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$")
# Canvas renames a re-uploaded file "lab9.ipynb" to "lab9-1.ipynb", "lab9-2.ipynb", ...
RESUBMISSION_SUFFIX = re.compile(r"^(?P<base>.*?)-(?P<n>\d+)$")


class SubmissionError(ValueError):
    """An input cannot be used at all (missing, unreadable, ambiguous); one-line message."""


@dataclass(frozen=True)
class Cell:
    source: str
    label: str      # where the code came from, for messages: "cell 4" or the file name


@dataclass(frozen=True)
class Submission:
    student: str
    path: pathlib.Path
    cells: tuple
    sha256: str     # of the file's bytes: the grading cache key
    problems: tuple  # human-readable messages about loading (bad encoding, broken JSON)


# --------------------------------------------------------------------------- reading


def load(path):
    """Read one ``.py`` or ``.ipynb`` file from disk into a ``Submission``.

    Raises ``SubmissionError`` when the file is missing or has another extension; a file
    that is too large or unreadable becomes a submission with no code and the reason, so
    its student gets a clear 0 and the rest of the batch is graded.
    """
    path = pathlib.Path(path)
    if path.suffix.lower() not in EXTENSIONS:
        raise SubmissionError(f"{path}: not a .py or .ipynb file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return unusable(path.stem, path, f"{path.name} is {size} bytes, larger than "
                            f"{MAX_FILE_BYTES // (1024 * 1024)} MB; that is not a lab submission "
                            "(clear the notebook's outputs and submit it again)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file") from None
    except OSError as exc:
        return unusable(path.stem, path, f"{path.name} could not be read ({exc.strerror or exc})")
    return from_bytes(path.stem, path.name, data, path)


def unusable(student, path, problem):
    """A submission with no code, only the reason: graded 0 with that message, batch goes on."""
    return Submission(student=student, path=pathlib.Path(path), cells=(),
                      sha256=hashlib.sha256(problem.encode()).hexdigest(), problems=(problem,))


def from_bytes(student, name, data, path=None):
    """Build a ``Submission`` from a file's bytes; ``name`` (with extension) picks the format."""
    sha = hashlib.sha256(data).hexdigest()
    path = pathlib.Path(path if path is not None else name)
    if name.lower().endswith(".ipynb"):
        cells, problems = _notebook_cells(name, data)
    else:
        source, problems = _decode_python(name, data)
        cells = (Cell(source, name),)
    return Submission(student=student, path=path, cells=tuple(cells), sha256=sha, problems=tuple(problems))


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
    """The code cells of a notebook, cleaned of IPython syntax, as ``Cell("...", "cell N")``.

    N counts code cells from 1 (what students see as the order of their code). Broken JSON
    gives no cells and one problem message.
    """
    import nbformat  # imported here: only notebooks need it

    try:
        text = data.decode("utf-8-sig")
        json.loads(text)  # our own parse, for a message with a line number
    except UnicodeDecodeError as exc:
        return [], [f"{name} is not valid notebook JSON (not UTF-8 text at byte {exc.start}); "
                    "open it in Jupyter and save it again"]
    except json.JSONDecodeError as exc:
        return [], [f"{name} is not valid notebook JSON (line {exc.lineno}: {exc.msg}); "
                    "open it in Jupyter and save it again"]
    try:
        # reader.reads + convert, not nbformat.reads: that one logs schema warnings to
        # stderr; a notebook with a slightly off schema is still graded from its cells.
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        raw_cells = list(notebook.get("cells", []))
    except Exception as exc:  # nbformat raises many types for "JSON, but not a notebook"
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return [], [f"{name} is JSON but not a Jupyter notebook ({reason}); "
                    "open it in Jupyter and save it again"]
    cells = []
    code_cells = [c for c in raw_cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        source = strip_ipython(str(source))
        if source.strip():
            cells.append(Cell(source, f"cell {number}"))
    return cells, []


# Cell magics whose body is ordinary Python: keep the body, drop the magic line.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|\?)")                    # %magic, !shell, ?help
_ASSIGNED_MAGIC = re.compile(r"^(\s*)[\w.,\s\[\]()*]+?=\s*[%!]")   # x = !ls, x = %env
_HELP_SUFFIX = re.compile(r"^(\s*)[\w.]+\?\??\s*$")               # np.pad?  np.pad??


def strip_ipython(source):
    """Remove IPython-only syntax from one cell's source, keeping line numbers.

    - a cell starting with a cell magic (``%%bash``, ``%%writefile``, ...) is dropped whole,
      except ``%%time``/``%%timeit``/``%%capture``/``%%prun``, whose body is Python: only
      their first line goes;
    - line magics ``%...``, shell lines ``!...``, help lines ``x?``, and assignments from
      them (``files = !ls``) become ``pass`` at the same indentation, so blocks around them
      stay valid and error line numbers still match the notebook.
    """
    lines = source.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if magic not in PYTHON_CELL_MAGICS:
            return ""
        start = next(i for i, line in enumerate(lines) if line.strip())
        lines[start] = ""
    out = []
    continued = False  # a magic/shell line ending in "\" continues on the next line
    for line in lines:
        if continued:
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        match = (_MAGIC_LINE.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP_SUFFIX.match(line))
        # "% (a, b)" continuing a format expression, or "!" inside a docstring, is Python.
        if match and not _inside_statement("\n".join(out)):
            out.append(match.group(1) + "pass")
            continued = line.rstrip().endswith("\\")
        else:
            out.append(line)
    return "\n".join(out)


def _inside_statement(text):
    """True when ``text`` ends inside an open bracket, string or backslash continuation."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            pass
    except tokenize.TokenError:   # "EOF in multi-line statement/string"
        return True
    except SyntaxError:           # e.g. bad dedent: not our concern here
        return False
    return False


# --------------------------------------------------------------------------- collecting


def collect(inputs):
    """All submissions in ``inputs`` (files, folders, Canvas zips), sorted by student id.

    Raises ``SubmissionError`` for a missing or unreadable input, an input that holds no
    submission, or two different files for one student (the message lists them all).
    """
    found = []   # (student, origin description, Submission)
    seen = set()  # resolved files already taken: a file named twice is not a duplicate student

    def first_time(path):
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for raw in inputs:
        path = pathlib.Path(raw)
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        if path.is_dir():
            files = _folder_files(path)
            if not files:
                raise SubmissionError(f"{path}: no .py or .ipynb files in this folder "
                                      "(sub-folders are not searched)")
            found.extend((f.stem, str(f), load(f)) for f in files if first_time(f))
        elif path.suffix.lower() == ".zip":
            if first_time(path):
                found.extend(_zip_submissions(path))
        elif path.suffix.lower() in EXTENSIONS:
            if first_time(path):
                found.append((path.stem, str(path), load(path)))
        else:
            raise SubmissionError(f"{path}: not a .py, .ipynb or .zip file")
    return _check_unique(found)


def _folder_files(folder):
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise SubmissionError(f"{folder}: cannot list it ({exc.strerror or exc})") from None
    return [p for p in entries
            if p.suffix.lower() in EXTENSIONS and not p.name.startswith(".") and p.is_file()]


def canvas_student(member_name):
    """``(user id, original name)`` for a Canvas bulk-download file name, else ``None``.

    >>> canvas_student("doejane_LATE_123456_7890123_lab9.ipynb")
    ('123456', 'lab9.ipynb')
    """
    match = CANVAS_NAME.match(member_name)
    return (match["user"], match["original"]) if match else None


def _zip_submissions(zip_path):
    """Read a zip's ``.py``/``.ipynb`` members in memory; Canvas names give the student id."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SubmissionError(f"{zip_path}: not a readable zip file ({exc})") from None
    chosen = {}   # student -> (resubmission number, base name, member name, original)
    ambiguous = {}
    with archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if (info.is_dir() or not name or name.startswith(".")
                    or info.filename.startswith("__MACOSX/")
                    or pathlib.PurePath(name).suffix.lower() not in EXTENSIONS):
                continue
            canvas = canvas_student(name)
            student, original = canvas if canvas else (pathlib.PurePath(name).stem, name)
            stem, ext = pathlib.PurePath(original).stem, pathlib.PurePath(original).suffix.lower()
            suffix = RESUBMISSION_SUFFIX.match(stem) if canvas else None
            number, base = (int(suffix["n"]), suffix["base"] + ext) if suffix else (0, stem + ext)
            entry = (number, base, info, original)
            if student in chosen:
                previous = chosen[student]
                if canvas and previous[1] == base:   # same file, re-uploaded: latest wins
                    chosen[student] = max(previous, entry, key=lambda e: e[0])
                    continue
                ambiguous.setdefault(student, [previous[2].filename]).append(info.filename)
                continue
            chosen[student] = entry
        if ambiguous:
            details = "; ".join(f"{s}: {', '.join(names)}" for s, names in sorted(ambiguous.items()))
            raise SubmissionError(f"{zip_path}: more than one file for a student ({details}); "
                                  "keep one file per student and grade again")
        result = []
        for student, (_, _, info, original) in chosen.items():
            where, member = f"{zip_path}:{info.filename}", pathlib.Path(zip_path) / info.filename
            data, problem = _read_member(archive, info)
            result.append((student, where, unusable(student, member, problem) if problem
                           else from_bytes(student, original, data, member)))
    if not result:
        raise SubmissionError(f"{zip_path}: no .py or .ipynb files in this zip")
    return result


def _read_member(archive, info):
    """``(bytes, None)``, or ``(None, problem)`` when this one member cannot be used."""
    # Read at most the cap + 1 bytes: the size in the zip header may lie.
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
        return None, f"{info.filename} could not be read from the zip ({exc})"
    if len(data) > MAX_FILE_BYTES:
        return None, (f"{info.filename} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                      "that is not a lab submission (clear the notebook's outputs and submit it again)")
    return data, None


def _check_unique(found):
    # Case-insensitive: "Alice.py" and "alice.py" would share one result file on macOS.
    by_id = {}
    for student, origin, submission in found:
        by_id.setdefault(student.casefold(), []).append((student, origin, submission))
    clashes = {k: v for k, v in by_id.items() if len(v) > 1}
    if clashes:
        details = "; ".join(f"{v[0][0]}: " + ", ".join(o for _, o, _ in v) for v in clashes.values())
        raise SubmissionError(f"more than one submission for a student ({details}); "
                              "keep one file per student and grade again")
    return sorted((s for _, _, s in found), key=lambda s: s.student)
