"""Who handed in what: the files of one input grouped by student, for every layout we know.

- **Folder of files**: each file is one student, id = file name without its extensions.
- **Per-student sub-folders** (nbgrader's ``submitted/<student>/<assignment>/``): each
  sub-folder is one student, id = its name, its files searched at any depth.
- **Canvas "Download Submissions"** (zip or unzipped folder): a file named
  ``<login>_[LATE_]<user id>_<submission id>_<original name>`` belongs to the Canvas user
  id; ``LATE`` marks it late.
- **Gradescope "Export Submissions"** (zip or folder): one ``submission_metadata.yml`` at
  the export's root, keyed by the ``submission_<id>`` folders, lists each submission's
  ``:submitters:`` (``:name:``, ``:sid:``, ``:email:``) and ``:created_at:``. The id is the
  submitter's ``:sid:``, else the e-mail, else the name; each member of a group submission
  gets the result. A folder without an entry in the metadata keeps its folder name.
- A zip given on the command line is read as the folder it unpacks to; when its root holds
  one folder and nothing else, that folder is the root.
"""
import datetime
import pathlib
import re
from dataclasses import dataclass, field

import yaml

from .choice import LAB_FOLDERS, is_junk, is_lab_file, junk_reason
from .ids import without_extensions
from .model import PassedOver

# Canvas bulk download: "<namelogin>_<userid>_<submissionid>_<original name>", with
# "LATE_" after the login for late work, e.g. "doejane_LATE_123456_7890123_lab9.ipynb".
CANVAS_NAME = re.compile(r"^(?P<login>.+?)_(?P<late>LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$")
GRADESCOPE_FOLDER = re.compile(r"^submission_\d+$")
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 16 << 20


@dataclass
class Group:
    """One student's files in one input, before a file is chosen."""

    raw_id: str                   # as found: file stem, folder name, Canvas or Gradescope id
    entries: list = field(default_factory=list)
    submitted_at: str = None
    notes: list = field(default_factory=list)
    passed: list = field(default_factory=list)    # PassedOver: replaced by a later input's file


def canvas_student(member_name):
    """``(user id, original name)`` for a Canvas bulk-download file name, else ``None``.

    >>> canvas_student("doejane_LATE_123456_7890123_lab9.ipynb")
    ('123456', 'lab9.ipynb')
    """
    match = CANVAS_NAME.match(member_name)
    return (match["user"], match["original"]) if match else None


def _split(name):
    head, _, rest = name.partition("/")
    return head, rest


def passed_over(entry, reason=None, quiet=None):
    """A ``PassedOver`` row for ``entry``: its own reason (a link, a FIFO) or its junk kind."""
    if reason is None:
        reason, quiet = entry.skipped, False
    if reason is None:
        reason, quiet = junk_reason(entry.name) or ("not a student's file", True)
    return PassedOver(entry.name, entry.origin, reason, bool(quiet))


def unwrap(entries, passed=None):
    """Drop single wrapper folders: a zip of ``class/`` holds ``class/alice.ipynb`` ...

    The junk beside the wrapper (``__MACOSX/``) is appended to ``passed`` (``PassedOver``).
    """
    while entries and all("/" in e.name for e in entries if not is_junk(e.name)):
        tops = {_split(e.name)[0] for e in entries if not is_junk(e.name)}
        if len(tops) != 1:
            break
        top = tops.pop()
        if passed is not None:
            passed += [passed_over(e) for e in entries if _split(e.name)[0] != top]
        entries = [e.renamed(_split(e.name)[1]) for e in entries if _split(e.name)[0] == top]
    return entries


def groups(entries, origin, folders=(), passed=None):
    """The students of one input (a folder's or a zip's entries, names relative to its root).

    ``folders``: the input's top-level sub-folders, so that an empty one is a student too.
    ``passed``: a list that gets a ``PassedOver`` for each file that belongs to no student
    (top-level junk such as ``.DS_Store`` or ``__MACOSX/``, the lab's own files); a
    student's own junk stays in that student's group (and is listed there).
    """
    passed = [] if passed is None else passed
    gradescope = _gradescope_root(entries)
    if gradescope is not None:
        return _gradescope_groups(entries, gradescope, origin, passed)
    found = {name: Group(name) for name in sorted(folders)
             if not is_junk(name + "/x") and name not in LAB_FOLDERS}
    for entry in entries:
        top, rest = _split(entry.name)
        if is_junk(top if rest else entry.name) or (rest and top in LAB_FOLDERS) or \
                (not rest and is_lab_file(entry.name)):
            passed.append(passed_over(entry))             # nobody's: the OS's, or the lab's own
            continue
        if rest:                                          # a student's sub-folder
            found.setdefault(top, Group(top)).entries.append(entry.renamed(rest))
            continue
        canvas = CANVAS_NAME.match(entry.name)
        if canvas:
            group = found.setdefault(canvas["user"], Group(canvas["user"]))
            group.entries.append(entry.renamed(canvas["original"], late=True if canvas["late"] else None))
        else:
            raw = without_extensions(entry.name)
            found.setdefault(raw, Group(raw)).entries.append(entry)
    return list(found.values())


# --------------------------------------------------------------------------- Gradescope


def _gradescope_root(entries):
    """The export's root folder ("" or "export/"), or None when this is not a Gradescope export."""
    roots = []
    for entry in entries:
        parts = entry.name.split("/")
        for depth, part in enumerate(parts[:-1]):
            if GRADESCOPE_FOLDER.match(part):
                roots.append("/".join(parts[:depth]))
                break
    if not roots:
        return None
    shallowest = min(roots, key=lambda r: (r.count("/"), r))
    return shallowest + "/" if shallowest else ""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that reads Ruby-tagged values (``!ruby/object:BigDecimal``) as
    plain data instead of refusing the whole file."""


def _untagged(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _untagged)
_Loader.add_multi_constructor("tag:", _untagged)


def _read_metadata(entry):
    """The parsed metadata file, or ``(None, note)`` if it cannot be read."""
    if entry.size > MAX_METADATA_BYTES:
        return None, f"{entry.name} is larger than {MAX_METADATA_BYTES >> 20} MB and was not read"
    try:
        data = yaml.load(entry.read()[:MAX_METADATA_BYTES], Loader=_Loader)
    except (yaml.YAMLError, OSError, ValueError, RecursionError) as exc:
        return None, f"{entry.name} could not be read ({type(exc).__name__}); ids are folder names"
    return (data if isinstance(data, dict) else None), None


def iso_time(value):
    """Gradescope's ``:created_at:`` (a datetime, or text like ``2026-04-23 10:00:01.5 -0700``)
    as ISO 8601, or None."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    match = re.match(r"^\s*(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?\s*$",
                     str(value or ""))
    if not match:
        return None
    date, clock, fraction, zone = match.groups()
    text = f"{date}T{clock}{(fraction or '')[:7]}"
    if zone:
        text += "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    try:
        return datetime.datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _submitter_id(person):
    for key in (":sid", ":email", ":name"):
        value = person.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _gradescope_groups(entries, root, origin, passed):
    found, notes = {}, []
    metadata = {}
    top = next((e for e in entries if e.name == root + GRADESCOPE_METADATA), None)
    if top is not None:
        metadata, note = _read_metadata(top)
        metadata = metadata or {}
        if note:
            notes.append(note)
    folders = {}
    for entry in entries:
        folder, rest = _split(entry.name[len(root):]) if entry.name.startswith(root) else ("", "")
        if rest and GRADESCOPE_FOLDER.match(folder):
            folders.setdefault(folder, []).append(entry.renamed(rest))   # its junk listed there
        elif entry is not top:                          # the metadata itself was read
            known = is_junk(entry.name) or entry.skipped
            passed.append(passed_over(entry) if known else
                          passed_over(entry, "outside the export's submission folders", True))
    for folder in sorted(set(folders) | {k for k in metadata if isinstance(k, str) and GRADESCOPE_FOLDER.match(k)}):
        files = folders.get(folder, [])
        info = metadata.get(folder)
        own = next((e for e in files if e.name == GRADESCOPE_METADATA), None)
        if not isinstance(info, dict) and own is not None:   # a per-folder metadata file
            info, note = _read_metadata(own)
            if note:
                notes.append(note)
        info = info if isinstance(info, dict) else {}
        people = [p for p in (info.get(":submitters") or []) if isinstance(p, dict)]
        ids = [i for i in (_submitter_id(p) for p in people) if i] or [folder]
        names = [str(p.get(":name")) for p in people if p.get(":name")]
        for raw in ids:
            group = found.setdefault(raw, Group(raw))
            group.entries += files
            group.submitted_at = group.submitted_at or iso_time(info.get(":created_at"))
            where = f"Gradescope {folder}" + (f" ({', '.join(names)})" if names else "")
            group.notes.append(where)
            if raw == folder and people == []:
                group.notes.append(f"{folder} has no entry in {GRADESCOPE_METADATA}: its id is the folder name")
            if not files:
                group.notes.append(f"{folder} is listed in {GRADESCOPE_METADATA} but holds no files")
    groups_ = list(found.values())
    if notes and groups_:
        for group in groups_:
            group.notes += notes
    return groups_
