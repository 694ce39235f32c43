"""Command-line inputs -> one ``Submission`` per student, whatever the layout.

Files, folders and zips are read into entries (``sources``), grouped by student
(``layouts``), the same student's files from several inputs merged, zips among a
student's files opened, one file chosen by the contract's rule (``choice``) and read
(``reading``). Ids are cleaned and kept apart (``ids``). Every student found gets a
``Submission``: one that cannot be graded has ``missing=True`` and a problem naming its files.
"""
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


def collect(inputs, assignment=None):
    """All students in ``inputs`` (files, folders, zips, exports), one ``Submission`` each.

    Args:
        inputs: paths given on the command line.
        assignment: e.g. ``"week09"``: a notebook named like it is graded first.

    Returns:
        ``Submission`` list sorted by student id.

    Raises:
        SubmissionError: an input is missing, cannot be listed, is a broken zip, or holds no
            files at all (instructor errors: one line). A student's file never raises.
    """
    merged = {}                 # raw id -> layouts.Group, across inputs
    seen = set()
    for raw in inputs:
        path = pathlib.Path(raw)
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        for group in _groups(path):
            into = merged.setdefault(group.raw_id, layouts.Group(group.raw_id))
            known = {e.origin for e in into.entries}          # a file reached through two inputs
            into.entries += [e for e in group.entries if e.origin not in known]
            into.notes += [n for n in group.notes if n not in into.notes]
            into.submitted_at = into.submitted_at or group.submitted_at
    names = ids_.unique_ids(merged)
    return sorted((_submission(group, names[raw], assignment or "") for raw, group in merged.items()),
                  key=lambda s: s.student)


def _groups(path):
    if path.is_dir():
        folders = [p.name for p in path.iterdir() if p.is_dir() and not p.is_symlink()]
        groups = layouts.groups(sources.folder_entries(path), str(path), folders)
        if not groups:
            raise SubmissionError(f"{path}: no submissions in this folder")
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


def _unique_names(entries):
    """``{name: entry}``; a name seen twice (same file name in two inputs) gets its origin."""
    by_name = {}
    for entry in entries:
        name = entry.name if entry.name not in by_name else entry.origin
        by_name[name] = entry
    return by_name


def _identical_copies(by_name, assignment):
    """``(copy, original)`` pairs of files with the same bytes (the notebook beside a zip of the
    lab folder holding it). The one the rule prefers is kept (named like the assignment, the
    latest upload, the shallowest); only files of equal size are read."""
    by_size = {}
    for name, entry in by_name.items():
        by_size.setdefault(entry.size, []).append(name)
    pairs = []
    for names in by_size.values():
        seen = {}
        for name in sorted(names, key=lambda n: _preference(n, assignment)) if len(names) > 1 else ():
            try:
                digest = hashlib.sha256(by_name[name].read()).hexdigest()
            except _READ_ERRORS:
                continue
            if digest in seen:
                pairs.append((name, seen[digest]))
            else:
                seen[digest] = name
    return pairs


def _preference(name, assignment):
    base, upload = choice_._version(name)
    return base != assignment.casefold(), -upload, name.count("/"), name


def _submission(group, student, assignment):
    entries, notes = sources.expand(group.entries)
    notes = list(group.notes) + notes
    if student != group.raw_id:
        notes.insert(0, f"name cleaned: {group.raw_id!r} is graded as {student}")
    by_name = _unique_names(entries)
    for copy, original in _identical_copies(by_name, assignment):
        del by_name[copy]
        notes.append(f"{copy} is an identical copy of {original}: counted once")
    sniffed = {}

    def is_notebook(name):
        if name not in sniffed:
            try:
                sniffed[name] = notebooks.looks_like_notebook(by_name[name].head())
            except _READ_ERRORS:
                sniffed[name] = False
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
