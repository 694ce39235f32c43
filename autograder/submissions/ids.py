"""Student ids from any name: safe as a result file name, and never two students on one file.

``clean_id("week09 (1)") == "week09_1"``: every run of characters a result file name
cannot hold (see ``autograder.results.check_student_id``) becomes one ``_``. Names that
clean to the same id (``Ada`` / ``ada``, ``a b`` / ``a_b``) are kept apart by
``unique_ids``: one name keeps the plain id, every other gets ``-`` and 6 hex digits of its
name's sha256. The keeper is, in this order: a name that is already clean, then one in lower
case (rosters and Canvas logins are: ``ada`` beside ``ADA`` stays ``ada``), then the first in
code-point order; so the choice never depends on the order of the inputs.

Which name keeps the plain id can still depend on who else is in the batch (``Ada`` alone
is ``Ada``; beside ``ada`` it is ``Ada-...``), so a results folder remembers the ids
it gave (``known``, from ``results.known_ids``): a name graded into it before keeps its id,
and a new name never takes an id (ignoring case) that an earlier run gave to another
name. An id therefore never changes owner within a results folder: its result file and its
scores.csv row always belong to the same name.
"""
import hashlib
import re

# Letters and digits of any script, "_", "-", "+", "@", "."; the rest becomes "_".
_UNSAFE = re.compile(r"[^\w.@+\-]+")
MAX_ID_LENGTH = 100          # results allow 120: room for the collision suffix
RESERVED = {"points possible", "total", "student"}   # gradebook rows and columns


def printable(text):
    """``text`` with the surrogate escapes of undecodable file-name bytes as U+FFFD (writable)."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def clean_id(raw):
    """A safe student id for ``raw`` (a file stem, folder name, Canvas or Gradescope id).

    A name with bytes that are not UTF-8 (``caf\\xe9``, held as surrogate escapes) is safe too.
    """
    text = _UNSAFE.sub("_", printable(raw).replace("\ufffd", "_")).strip("._-+@") or "unnamed"
    if not (text[0].isalnum() or text[0] == "_"):
        text = "_" + text
    text = text[:MAX_ID_LENGTH].rstrip(".")
    if text.casefold() in RESERVED:
        text += "_"
    return text


def _suffixed(clean, raw, digits=6):
    digest = hashlib.sha256(str(raw).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{clean[:min(MAX_ID_LENGTH, 118 - digits)]}-{digest[:digits]}"   # results allow 120


def _keeper_rank(raw):
    """Which of several names cleaning to one id keeps it: the clean one, then the lower-case
    one, then the first in code-point order (see the module docstring)."""
    clean = clean_id(raw)
    return raw != clean, clean != clean.lower(), raw


def unique_ids(raws, known=None):
    """``{raw: id}`` for distinct raw names, ids unique even ignoring case (macOS, Windows).

    ``known``: ``{raw: id}`` given by earlier runs into the same results folder (valid ids,
    checked by the caller). Those raws keep their ids; the other ids stay reserved for them.
    """
    raws = set(raws)
    ids, owner = {}, {}                     # owner: casefolded id -> the raw it belongs to
    for raw, student in sorted((known or {}).items()):
        if student.casefold() not in owner:     # a hand-edited folder may repeat one: first wins
            owner[student.casefold()] = raw
            if raw in raws:
                ids[raw] = student
    by_key = {}
    for raw in sorted(raws - set(ids)):
        by_key.setdefault(clean_id(raw).casefold(), []).append(raw)
    for group in by_key.values():
        keeper = min(group, key=_keeper_rank)
        for raw in group:
            student = clean_id(raw) if raw == keeper else _suffixed(clean_id(raw), raw)
            digits = 6
            while owner.get(student.casefold(), raw) != raw and digits <= 60:   # another name's
                student = _suffixed(clean_id(raw), raw, digits)
                digits += 6
            owner[student.casefold()] = raw
            ids[raw] = student
    return ids


def without_extensions(name):
    """``week09.ipynb.txt`` -> ``week09``; ``lab.v2.py`` -> ``lab.v2``: the stem a student meant."""
    stem = str(name)
    for _ in range(3):
        head, dot, ext = stem.rpartition(".")
        if not dot or not head or ext.lower() not in _EXTENSIONS:
            break
        stem = head
    return stem


_EXTENSIONS = {"py", "ipynb", "txt", "json", "html", "htm", "zip", "pdf", "md"}
