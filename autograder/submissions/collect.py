"""Command-line inputs -> one ``Submission`` per student, whatever the layout.

Files, folders and zips are read into entries (``sources``), grouped by student
(``layouts``), the same student's files from several inputs merged, zips among a
student's files opened, one file chosen by the contract's rule (``choice``) and read
(``reading``). Ids are cleaned and kept apart (``ids``). Every student found gets a
``Submission``: one that cannot be graded has ``missing=True`` and a problem naming its files.

Every file that is not graded is accounted for, with its reason (``PassedOver``): in its
student's ``skipped`` (and, unless it is OS/Jupyter junk or the lab's own, in the notes),
or, when it belongs to nobody (a top-level ``.DS_Store``), in the ``passed`` list.

The same student in several inputs (``ada.py`` in ``class/`` and in ``late/``) is one
student (the contract's id is the file name); their files are merged, and where two
inputs hold a file of the same name, the one in the later input counts (give
resubmissions last): the other is passed over, named in the notes.
"""
import dataclasses
import hashlib
import os
import pathlib
import stat
import zipfile

from . import ids as ids_
from . import layouts, notebooks, reading, sources
from . import choice as choice_
from .choice import choose, is_junk
from .model import PassedOver, SubmissionError

# What reading one file of a folder or zip may raise (a broken or encrypted member, a vanished file).
_READ_ERRORS = (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError)


def collect(inputs, assignment=None, skip=(), passed=None, known_ids=None):
    """All students in ``inputs`` (files, folders, zips, exports), one ``Submission`` each.

    Args:
        inputs: paths given on the command line. A symbolic link given here is followed
            only to a folder or a zip (the instructor's); a link to a single file, a FIFO,
            socket or device is a student's file that is reported, never opened.
        assignment: e.g. ``"week09"``: a notebook named like it is graded first.
        skip: folders never read, wherever they are (the results folder, which an instructor
            may well put inside the submissions folder).
        passed: a list; gets a ``PassedOver`` for every file that belongs to no student.
        known_ids: ``{raw name: id}`` from an earlier run into the same results folder
            (``results.known_ids``): those names keep their ids (``ids.unique_ids``).

    Returns:
        ``Submission`` list sorted by student id.

    Raises:
        SubmissionError: an input is missing, cannot be listed, is a broken zip, or holds no
            files at all (instructor errors: one line). A student's file never raises.
    """
    merged = {}                 # raw id -> layouts.Group, across inputs
    seen = set()
    passed = [] if passed is None else passed
    skip = frozenset(os.path.realpath(folder) for folder in skip)
    for raw in inputs:
        path = pathlib.Path(raw)
        if not os.path.lexists(path):
            raise SubmissionError(f"{path}: no such file or folder")
        followed = not path.is_symlink() or _input_kind(path) in ("folder", "zip")
        key = path.resolve() if followed else pathlib.Path(os.path.abspath(path))   # a link's own place
        if key in seen:
            continue
        seen.add(key)
        for group in _groups(path, skip, passed):
            into = merged.setdefault(group.raw_id, layouts.Group(group.raw_id))
            known = {e.origin for e in into.entries}          # a file reached through two inputs
            new = [e for e in group.entries if e.origin not in known]
            _later_input_counts(into, new, raw)
            into.entries += new
            into.notes += [n for n in group.notes if n not in into.notes]
            into.submitted_at = into.submitted_at or group.submitted_at
    names = ids_.unique_ids(merged, _known(merged, known_ids))
    passed[:] = [_printable_row(row) for row in passed]
    return sorted((_printable(_submission(group, names[raw], assignment or ""))
                   for raw, group in merged.items()), key=lambda s: s.student)


def _later_input_counts(into, new, where):
    """A file name the student already has from an earlier input is replaced by ``new``'s
    (unless ``new``'s is never read, a link or a FIFO: that one is only reported)."""
    names = {e.name for e in new if e.skipped is None}
    for old in [e for e in into.entries if e.name in names]:
        into.entries.remove(old)
        into.passed.append(PassedOver(old.name, old.origin, f"replaced by the file of the same name "
                                      f"in {where}, a later input on the command line"))


def _known(merged, known_ids):
    """``known_ids`` keyed by this batch's raw names (stored names are printable text)."""
    if not known_ids:
        return {}
    by_text = {}
    for raw in sorted(merged):
        by_text.setdefault(ids_.printable(raw), raw)
    return {by_text[text]: student for text, student in known_ids.items() if text in by_text}


def _printable(submission):
    """The submission with file names that are not UTF-8 shown with U+FFFD (results are UTF-8)."""
    text = ids_.printable
    optional = {name: None if getattr(submission, name) is None else text(getattr(submission, name))
                for name in ("file", "raw_id", "upload")}
    return dataclasses.replace(
        submission, path=pathlib.Path(text(submission.path)), **optional,
        notes=tuple(map(text, submission.notes)), problems=tuple(map(text, submission.problems)),
        passed_over=tuple(map(text, submission.passed_over)),
        skipped=tuple(map(_printable_row, submission.skipped)))


def _printable_row(row):
    return row._replace(file=ids_.printable(row.file), where=ids_.printable(row.where))


def _input_kind(path):
    """``"folder"``, ``"zip"``, ``"file"``, or the reason a command-line input is not read.

    ``lstat`` first: nothing is opened to find out (a FIFO would block). A link is followed
    only to a folder or a zip, which the instructor named; a link to one file is a
    student's file like any other, and links are never followed for those.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"a file that could not be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(mode):
        try:
            target = os.stat(path).st_mode          # stat, not open: a link to a FIFO is fine
        except OSError:
            target = mode                           # a broken link stays a link
        if stat.S_ISDIR(target) or (stat.S_ISREG(target) and path.suffix.lower() == ".zip"):
            mode = target
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "zip" if path.suffix.lower() == ".zip" else "file"
    return sources.special_reason(mode)


def _groups(path, skip=frozenset(), passed=None):
    kind = _input_kind(path)
    if kind == "folder":
        try:
            folders = [p.name for p in path.iterdir()
                       if p.is_dir() and not p.is_symlink() and os.path.realpath(p) not in skip]
        except OSError as exc:
            raise SubmissionError(f"{path}: cannot list it ({exc.strerror or exc})") from None
        too_deep = []
        groups = layouts.groups(sources.folder_entries(path, too_deep, skip=skip, special=True), str(path), folders,
                                passed)
        if not groups:
            raise SubmissionError(f"{path}: no submissions in this folder")
        _note_too_deep(groups, too_deep)
        return groups
    if kind not in ("zip", "file"):         # a FIFO, socket, device or a link to a file: reported
        entry = sources.skipped_entry(path.name, os.path.abspath(path), kind)
        return [layouts.Group(ids_.without_extensions(path.name), [entry])]
    if kind == "zip":
        try:
            entries, skipped = sources.zip_entries(path, str(path))
        except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise SubmissionError(f"{path}: not a readable zip file ({exc})") from None
        if skipped:
            raise SubmissionError(f"{path}: more than {sources.MAX_INPUT_FILES} files; is this the right zip?")
        groups = layouts.groups(layouts.unwrap(entries, passed), str(path), (), passed)
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
    lab folder holding it). The one kept is on time if one is (Canvas's ``LATE`` marks the
    others), then the one the rule prefers (named like the assignment, the latest upload, the
    shallowest). Only files of equal size (and, in zips, equal CRC-32) are
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
        # An on-time copy is kept over an identical late one: the work was there on time.
        for name in sorted(names, key=lambda n: (by_name[n].late is True, _preference(n, assignment))
                           ) if len(names) > 1 else ():
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
    if student != group.raw_id and ids_.clean_id(group.raw_id) != group.raw_id:
        notes.insert(0, f"name cleaned: {group.raw_id!r} is graded as {student}")
    elif student != group.raw_id:            # a clean name kept apart from a look-alike
        notes.insert(0, f"{group.raw_id!r} is graded as {student}: another name differs from it "
                        "only in case or in characters a file name cannot hold")
    skipped = list(group.passed)           # PassedOver rows: every file that is not graded
    readable = []
    for entry in entries:
        if entry.skipped is not None:      # a link, FIFO, socket or device: never opened
            skipped.append(layouts.passed_over(entry))
        elif is_junk(entry.name):          # the OS's, Jupyter's: quiet, but listed
            skipped.append(layouts.passed_over(entry))
        else:
            readable.append(entry)
    by_name = _unique_names(readable)
    for copy, original in _identical_copies(by_name, assignment, budget):
        if copy not in by_name:
            continue
        skipped.append(PassedOver(copy, by_name.pop(copy).origin, f"an identical copy of {original}",
                                  quiet=True))
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
        skipped += [PassedOver(name, by_name[name].origin, "the lab's own file (never graded)", quiet=True)
                    for name in choice.lab_files]
    # Nothing graded: the sentence the student reads ("only: week09.html; submit ...").
    why = (f"{choice.file} was graded instead ({choice.rule})" if choice.file is not None
           else choice.problem or "no rule decides which file counts, so none was graded")
    skipped += [PassedOver(name, by_name[name].origin, why) for name in choice.passed_over]
    told = [row for row in skipped if not row.quiet and row.file not in choice.passed_over]
    problem = choice.problem
    if choice.file is None and not choice.passed_over and told:   # nothing readable: say why
        named, told = told[:3], told[3:]
        problem = (f"no file was graded: {'; '.join(f'{r.file} is {r.reason}' for r in named)}"
                   f"; submit {assignment or 'your notebook'}.ipynb as an ordinary file")
    notes += [f"{row.file} was not graded: {row.reason}" for row in told[:_MAX_TOLD]]
    if len(told) > _MAX_TOLD:
        notes.append(f"... and {len(told) - _MAX_TOLD} more files not graded")
    fields = dict(submitted_at=group.submitted_at, passed_over=tuple(choice.passed_over),
                  raw_id=group.raw_id, skipped=tuple(sorted(skipped)))
    if choice.file is None:
        where = group.entries[0].origin if group.entries else group.raw_id
        return reading.unusable(student, where, problem, missing=True, notes=tuple(notes), **fields)
    if choice.passed_over:
        notes.append(f"graded {choice.file} ({choice.rule}); passed over: "
                     f"{', '.join(choice.passed_over[:10])}")
    entry = by_name[choice.file]
    fields.update(late=entry.late, file=choice.file, upload=entry.origin)
    try:
        data = entry.read()
    except _READ_ERRORS as exc:
        return reading.unusable(student, entry.origin, f"{choice.file} could not be read ({exc})",
                                missing=True, notes=tuple(notes), **fields)
    if len(data) > reading.MAX_FILE_BYTES:
        return reading.unusable(student, entry.origin, reading.too_big(choice.file, len(data)),
                                missing=True, notes=tuple(notes), **fields)
    fields.pop("file")
    return reading.from_bytes(student, choice.file, data, entry.origin, notes=tuple(notes), **fields)


_MAX_TOLD = 10      # files named one by one in a student's notes (all are in passed-over.txt)
