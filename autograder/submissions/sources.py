"""Files of a folder or a zip as ``Entry`` objects: a name, a size, and a bounded read.

Zips are read in memory, member by member, and never extracted, so a crafted member name
(``../../x``) cannot write anywhere; a zip inside a student's files is opened the same way,
at most ``MAX_ZIP_DEPTH`` deep, with at most ``MAX_MEMBERS`` members and
``MAX_TOTAL_BYTES`` of content per student (zip bombs). Folders are walked without
following symbolic links (a link to a file outside the submission is never read).

Nothing is dropped unseen: a symbolic link, named pipe (FIFO), socket or device file (in a
folder, or as a zip member's Unix mode) becomes an ``Entry`` with ``skipped`` set to the
reason; it is never opened (opening a FIFO for reading would block the batch), and its
student is told.
"""
import dataclasses
import io
import os
import pathlib
import stat
import zipfile
from dataclasses import dataclass, field

from .model import SubmissionError
from . import reading

MAX_ZIP_DEPTH = 2                 # a zip inside a student's zip inside the class zip
MAX_MEMBERS = 1000                # files of one student (nested zips included)
MAX_TOTAL_BYTES = 128 << 20       # content read from the nested zips of one student
MAX_INPUT_FILES = 100_000         # files in one folder or zip given on the command line
MAX_FOLDER_DEPTH = 33             # folder levels walked below an input (a student folder + 32)
HEAD_BYTES = 65536                # what sniffing a file reads


@dataclass(frozen=True)
class Entry:
    """One file: ``name`` is its path relative to the input (or to its student), posix style."""

    name: str
    origin: str                   # for messages and Submission.path: disk path or "zip:member"
    size: int
    reader: object = field(repr=False, compare=False)   # (limit) -> bytes, at most limit bytes
    late: bool = None             # Canvas named the file LATE
    crc: int = None               # CRC-32 of a zip member (its header's), None for a disk file
    head_cost: int = None         # bytes ``head`` may decompress (bzip2/lzma unpack whole blocks)
    skipped: str = None           # why this is never read (a symbolic link, a FIFO, ...), else None

    def read(self):
        """The content, at most ``reading.MAX_FILE_BYTES + 1`` bytes (so "too large" shows)."""
        return self.reader(reading.MAX_FILE_BYTES + 1)

    def head(self):
        """The first 64 KB, for sniffing (only that much is read or decompressed)."""
        return self.reader(HEAD_BYTES)

    def renamed(self, name, **changes):
        return dataclasses.replace(self, name=name, **changes)

    def sniff_cost(self):
        """What ``head`` counts against a student's byte budget."""
        return self.head_cost if self.head_cost is not None else min(self.size, HEAD_BYTES)


def _clean_member(name):
    """A zip member name as a safe relative posix path (no drive, no '..', no leading '/')."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]
    return "/".join(parts)


# Why a file that is not a regular file is never read (``stat`` file types).
SYMLINK_REASON = ("a symbolic link: links are never followed, so nothing outside the "
                  "submissions is read")
_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO), not an ordinary file: it was not read"),
            (stat.S_ISSOCK, "a socket, not an ordinary file: it was not read"),
            (stat.S_ISCHR, "a device file, not an ordinary file: it was not read"),
            (stat.S_ISBLK, "a device file, not an ordinary file: it was not read"))


def special_reason(mode):
    """Why a file of ``mode`` (``lstat``'s) is not read; None for a regular file or folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISLNK(mode):
        return SYMLINK_REASON
    return next((reason for test, reason in _SPECIAL if test(mode)), "not a regular file: it was not read")


def _refused(reason):
    def read(limit):
        raise OSError(f"not read: {reason}")
    return read


def skipped_entry(name, origin, reason):
    """An entry that is never read, only reported."""
    return Entry(name, origin, 0, _refused(reason), skipped=reason)


def _member_reader(archive, info):
    def read(limit):
        # Read at most ``limit`` bytes: the size in the zip header may lie.
        with archive.open(info) as stream:
            return stream.read(limit)
    return read


def _head_cost(info):
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return min(info.file_size, HEAD_BYTES)
    return min(info.file_size, reading.MAX_FILE_BYTES + 1)   # a bzip2 block unpacks to ~45 MB


def zip_entries(source, origin, *, limit=MAX_INPUT_FILES):
    """Entries of a zip (a path or bytes); raises ``zipfile.BadZipFile``/``OSError`` if unreadable.

    Returns ``(entries, skipped)``: ``skipped`` counts members past ``limit``.
    """
    archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    entries, skipped = [], 0
    for info in archive.infolist():
        name = _clean_member(info.filename)
        if info.is_dir() or not name:
            continue
        if len(entries) >= limit:
            skipped += 1
            continue
        mode = info.external_attr >> 16                  # Unix zips keep st_mode here
        reason = special_reason(mode) if info.create_system == 3 and stat.S_IFMT(mode) else None
        if reason:                      # a link or FIFO stored with its Unix mode: its text is no file
            entries.append(skipped_entry(name, f"{origin}:{info.filename}",
                                         reason.replace("a symbolic link", "a symbolic link in the zip")))
            continue
        entries.append(Entry(name, f"{origin}:{info.filename}", info.file_size, _member_reader(archive, info),
                             crc=info.CRC, head_cost=_head_cost(info)))
    return entries, skipped


def _file_reader(path):
    def read(limit):
        # O_NONBLOCK + O_NOFOLLOW + a regular-file check: a file swapped for a FIFO or a link
        # after the folder was listed is refused, never waited on or followed.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as handle:
            reason = special_reason(os.fstat(fd).st_mode)
            if reason:
                raise OSError(f"not read: {reason}")
            return handle.read(limit)
    return read


def folder_entries(folder, too_deep=None, max_depth=MAX_FOLDER_DEPTH, skip=frozenset(), special=False):
    """Entries of every regular file under ``folder``; with ``special``, also (``skipped``
    set, never opened) its symbolic links, FIFOs, sockets and device files, so that they can
    be reported. The folders whose real paths are in ``skip`` are left out.

    Walked without recursion (a 1000-deep tree cannot overflow the stack), at most
    ``max_depth`` folder levels below ``folder``; the relative posix paths of the folders
    not walked for that reason are appended to ``too_deep`` (a list) when given.

    Raises:
        SubmissionError: ``folder`` cannot be listed, or holds more than ``MAX_INPUT_FILES`` files.
    """
    folder = pathlib.Path(folder)
    entries = []
    stack = [(folder, 0)]                       # folders still to list, deepest last
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError as exc:
            if here == folder:
                raise SubmissionError(f"{folder}: cannot list it ({exc.strerror or exc})") from None
            continue                            # a sub-folder that vanished or is unreadable
        subfolders = []
        for item in items:
            path = pathlib.Path(item.path)
            name = path.relative_to(folder).as_posix()
            try:
                mode = item.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                if special:
                    entries.append(skipped_entry(name, os.path.abspath(path),
                                                 f"a file that could not be examined ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(mode):
                if skip and os.path.realpath(path) in skip:
                    continue
                if depth + 1 > max_depth:
                    if too_deep is not None:
                        too_deep.append(path.relative_to(folder).as_posix())
                else:
                    subfolders.append((path, depth + 1))
                continue
            if len(entries) >= MAX_INPUT_FILES:
                raise SubmissionError(f"{folder}: more than {MAX_INPUT_FILES} files; is this the "
                                      "right folder?")
            reason = special_reason(mode)
            if reason:      # abspath, not realpath: a link's own place, not where it points
                if special:
                    entries.append(skipped_entry(name, os.path.abspath(path), reason))
                continue
            entries.append(Entry(name, os.path.realpath(path), item.stat(follow_symlinks=False).st_size,
                                 _file_reader(path)))
        stack += reversed(subfolders)           # so the walk keeps name order
    return entries


def is_zip(entry):
    return entry.name.lower().endswith(".zip") and entry.skipped is None


def expand(entries, depth=0, budget=None):
    """Replace each zip among ``entries`` by its members (named ``zipname/member``), bounded.

    Returns ``(entries, notes)``; a zip that cannot be opened stays as it is (a file that is
    not graded) and gets a note.
    """
    budget = budget if budget is not None else {"members": MAX_MEMBERS, "bytes": MAX_TOTAL_BYTES}
    out, notes = [], []
    for entry in entries:
        if not is_zip(entry) or depth >= MAX_ZIP_DEPTH:
            out.append(entry)
            if is_zip(entry):
                notes.append(f"{entry.name} was not opened (zips are opened {MAX_ZIP_DEPTH} deep at most)")
            continue
        if entry.size > budget["bytes"] or budget["members"] <= 0:
            out.append(entry)
            notes.append(f"{entry.name} was not opened (too large, or too many files already)")
            continue
        try:
            data = entry.read()
            if len(data) > reading.MAX_FILE_BYTES:
                raise ValueError("too large")
            budget["bytes"] -= len(data)
            members, skipped = zip_entries(data, entry.origin, limit=budget["members"])
        except (OSError, ValueError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
            out.append(entry)
            notes.append(f"{entry.name} could not be opened as a zip ({type(exc).__name__})")
            continue
        budget["members"] -= len(members)
        if skipped:
            notes.append(f"{entry.name}: only the first {len(members)} files were searched "
                         f"({skipped} more)")
        inner = [m.renamed(f"{entry.name}/{m.name}", late=entry.late) for m in members]
        inner, more = expand(inner, depth + 1, budget)
        out += inner
        notes += more
    return out, notes
