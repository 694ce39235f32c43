"""Command-line inputs -> one ``Submission`` per student, whatever the layout.

Files, folders and zips are read into entries (``sources``), grouped by student
(``layouts``), the same student's files from several inputs merged, zips among a
student's files opened, one file chosen by the contract's rule (``choice``) and read
(``reading``). Ids are cleaned and kept apart (``ids``). Every student found gets a
``Submission``: one that cannot be graded has ``missing=True`` and a problem naming its files.
"""
import dataclasses
import hashlib
import os
import pathlib
import zipfile

from . import ids as ids_
from . import layouts, notebooks, reading, sources
from . import choice as choice_
from .choice import choose
from .model import SubmissionError

# What reading one file of a folder or zip may raise (a broken or encrypted member, a vanished file).
_READ_ERRORS = (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError)


def collect(inputs, assignment=None, skip=()):
    """All students in ``inputs`` (files, folders, zips, exports), one ``Submission`` each.

    Args:
        inputs: paths given on the command line.
        assignment: e.g. ``"week09"``: a notebook named like it is graded first.
        skip: folders never read, wherever they are (the results folder, which an instructor
            may well put inside the submissions folder).

    Returns:
        ``Submission`` list sorted by student id.

    Raises:
        SubmissionError: an input is missing, cannot be listed, is a broken zip, or holds no
            files at all (instructor errors: one line). A student's file never raises.
    """
    merged = {}                 # raw id -> layouts.Group, across inputs
    seen = set()
    skip = frozenset(os.path.realpath(folder) for folder in skip)
    for raw in inputs:
        path = pathlib.Path(raw)
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        for group in _groups(path, skip):
            into = merged.setdefault(group.raw_id, layouts.Group(group.raw_id))
            known = {e.origin for e in into.entries}          # a file reached through two inputs
            into.entries += [e for e in group.entries if e.origin not in known]
            into.notes += [n for n in group.notes if n not in into.notes]
            into.submitted_at = into.submitted_at or group.submitted_at
    names = ids_.unique_ids(merged)
    return sorted((_printable(_submission(group, names[raw], assignment or ""))
                   for raw, group in merged.items()), key=lambda s: s.student)


def _printable(submission):
    """The submission with file names that are not UTF-8 shown with U+FFFD (results are UTF-8)."""
    text = ids_.printable
    return dataclasses.replace(
        submission, path=pathlib.Path(text(submission.path)),
        file=None if submission.file is None else text(submission.file),
        notes=tuple(map(text, submission.notes)), problems=tuple(map(text, submission.problems)),
        passed_over=tuple(map(text, submission.passed_over)))


def _groups(path, skip=frozenset()):
    if path.is_dir():
        try:
            folders = [p.name for p in path.iterdir()
                       if p.is_dir() and not p.is_symlink() and os.path.realpath(p) not in skip]
        except OSError as exc:
            raise SubmissionError(f"{path}: cannot list it ({exc.strerror or exc})") from None
        too_deep = []
        groups = layouts.groups(sources.folder_entries(path, too_deep, skip=skip), str(path), folders)
        if not groups:
            raise SubmissionError(f"{path}: no submissions in this folder")
        _note_too_deep(groups, too_deep)
        return groups
    if path.suffix.lower() == ".zip":
        try:
            entries, skipped = sources.zip_entries(path, str(path))
        except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise SubmissionError(f"{path}: not a readable zip file ({exc})") from None
        if skipped:
            raise SubmissionError(f"{path}: more than {sources.MAX_INPUT_FILES} files; is this the right zip?")
        groups = layouts.groups(layouts.unwrap(entries), str(path))
        if not groups:
            raise SubmissionError(f"{path}: no submissions in this zip")
        return groups
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    entry = sources.Entry(path.name, os.path.realpath(path), size, sources._file_reader(path))
    return [layouts.Group(ids_.without_extensions(path.name), [entry])]


def _note_too_deep(groups, too_deep):
    """Tell the student whose folder held a tree too deep to walk (by its top folder)."""
    for folder in too_deep:
        top = folder.split("/")[0]
        for group in groups:
            if group.raw_id == top or any(e.name.split("/")[0] == top for e in group.entries):
                group.notes.append(f"{top}/...: folders more than {sources.MAX_FOLDER_DEPTH - 1} "
                                   "levels deep were not searched")
                break


def _unique_names(entries):
    """``{name: entry}``; a name seen twice (same file name in two inputs) gets its origin."""
    by_name = {}
    for entry in entries:
        name = entry.name if entry.name not in by_name else entry.origin
        by_name[name] = entry
    return by_name


def _identical_copies(by_name, assignment, budget):
    """``(copy, original)`` pairs of files with the same bytes (the notebook beside a zip of the
    lab folder holding it). The one the rule prefers is kept (named like the assignment, the
    latest upload, the shallowest). Only files of equal size (and, in zips, equal CRC-32) are
    read, and only while the student's byte ``budget`` (``sources.expand``'s) lasts: the reads
    count against it, so a zip of 1000 alike members costs that student at most the budget."""
    by_key = {}
    for name, entry in by_name.items():
        by_key.setdefault((entry.size, entry.crc), []).append(name)
    same_size = {}
    for (size, crc), names in by_key.items():       # a disk file (no CRC) may equal a member
        same_size.setdefault(size, set()).update(names if crc is None else ())
    pairs = []
    for (size, crc), names in sorted(by_key.items(), key=lambda item: item[0][0]):
        names = set(names) | (same_size.get(size, set()) if crc is not None else set())
        seen = {}
        for name in sorted(names, key=lambda n: _preference(n, assignment)) if len(names) > 1 else ():
            if budget["bytes"] < min(by_name[name].size, reading.MAX_FILE_BYTES + 1):
                return pairs                            # out of budget: the rest count as different
            try:
                data = by_name[name].read()
            except _READ_ERRORS:
                continue
            budget["bytes"] -= len(data)
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                pairs.append((name, seen[digest]))
            else:
                seen[digest] = name
    return pairs


_UNREAD_NOTE = "too much to read"


def _preference(name, assignment):
    base, upload = choice_._version(name)
    return base != assignment.casefold(), -upload, name.count("/"), name


def _submission(group, student, assignment):
    budget = {"members": sources.MAX_MEMBERS, "bytes": sources.MAX_TOTAL_BYTES}
    entries, notes = sources.expand(group.entries, budget=budget)
    notes = list(group.notes) + notes
    if student != group.raw_id:
        notes.insert(0, f"name cleaned: {group.raw_id!r} is graded as {student}")
    by_name = _unique_names(entries)
    for copy, original in _identical_copies(by_name, assignment, budget):
        if copy not in by_name:
            continue
        del by_name[copy]
        notes.append(f"{copy} is an identical copy of {original}: counted once")
    sniffed = {}

    def is_notebook(name):
        if name not in sniffed:
            entry = by_name[name]
            sniffed[name] = False
            if budget["bytes"] < entry.sniff_cost():          # reads count against the budget
                if not any(n.startswith(_UNREAD_NOTE) for n in notes):
                    notes.append(f"{_UNREAD_NOTE} ({sources.MAX_TOTAL_BYTES >> 20} MB read already): "
                                 f"{name} and later files were not looked into")
                return False
            budget["bytes"] -= entry.sniff_cost()
            try:
                sniffed[name] = notebooks.looks_like_notebook(entry.head())
            except _READ_ERRORS:
                pass
        return sniffed[name]

    choice = choose(list(by_name), assignment, is_notebook=is_notebook)
    if choice.lab_files:
        notes.append(f"the lab's own files are never graded: {', '.join(choice.lab_files[:10])}")
    fields = dict(submitted_at=group.submitted_at, passed_over=tuple(choice.passed_over))
    if choice.file is None:
        where = group.entries[0].origin if group.entries else group.raw_id
        return reading.unusable(student, where, choice.problem, missing=True,
                                notes=tuple(notes), **fields)
    if choice.passed_over:
        notes.append(f"graded {choice.file} ({choice.rule}); passed over: "
                     f"{', '.join(choice.passed_over[:10])}")
    entry = by_name[choice.file]
    fields.update(late=entry.late, file=choice.file)
    try:
        data = entry.read()
    except _READ_ERRORS as exc:
        return reading.unusable(student, entry.origin, f"{choice.file} could not be read ({exc})",
                                notes=tuple(notes), **fields)
    if len(data) > reading.MAX_FILE_BYTES:
        return reading.unusable(student, entry.origin, reading.too_big(choice.file, len(data)),
                                notes=tuple(notes), **fields)
    fields.pop("file")
    return reading.from_bytes(student, choice.file, data, entry.origin, notes=tuple(notes), **fields)
