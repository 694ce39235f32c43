"""Notebook bytes -> code cells, bounded in time and memory whatever the bytes are.

The notebook is read in the grader's own process, so nothing here may cost more than a
small multiple of the file's size, or time more than linear in it:

- the JSON is checked before it is parsed: at most ``MAX_JSON_DEPTH`` levels of nesting
  and ``MAX_JSON_VALUES`` values (a 32 MB file of ``{},`` would otherwise become 11 million
  dicts, several GB), measured on the structure alone (strings removed) in C-speed passes;
- integers of more than ``MAX_INT_DIGITS`` digits are kept as text, not converted
  (Python refuses them with a plain ValueError, and they are never code);
- bytes that are not UTF-8 are replaced (U+FFFD) and noted, so one stray Latin-1 byte does
  not cost the notebook (Jupyter itself refuses such a file);
- IPython syntax is removed in one pass over the cell (``strip_ipython``), not by
  re-tokenizing the text before every magic line.

Only ``nbformat`` 4 and 3 layouts are read (``cells`` / ``worksheets[*].cells``); no
schema validation: a hand-edited notebook is graded from whatever code cells it has.
"""
import json
import re

from autograder.sandbox.statements import Scanner

MAX_JSON_DEPTH = 100          # real notebooks nest < 20 deep (widget state included)
MAX_JSON_VALUES = 400_000     # a 300-cell notebook with outputs has a few 10,000s
MAX_INT_DIGITS = 100
LABEL_CHARS = 40              # of a cell's first line, in its label

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class NotebookError(ValueError):
    """The bytes are not a readable notebook; the message is for the student."""


def looks_like_notebook(head):
    """True when the first bytes of a file are a Jupyter notebook's JSON (any extension)."""
    text = _decode(head[:65536])[0].lstrip()
    return text.startswith("{") and any(k in text for k in ('"cells"', '"nbformat"', '"worksheets"'))


def _decode(data):
    """``(text, replaced)``: UTF-8 (or UTF-16/32 with a BOM); undecodable bytes become U+FFFD."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-32" if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) else "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        return text, text.count("\ufffd")


def _check_shape(data):
    """Raise ``NotebookError`` when the JSON nests too deep or holds too many values."""
    structure = _STRING.sub(b'""', data)            # brackets and commas inside strings do not count
    values = structure.count(b",") + structure.count(b"[") + structure.count(b"{")
    if values > MAX_JSON_VALUES:
        raise NotebookError(f"it holds more than {MAX_JSON_VALUES:,} JSON values (a notebook has "
                            "far fewer: clear its outputs and metadata)")
    brackets = structure.translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:                           # at most 2 * MAX_JSON_VALUES steps
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise NotebookError(f"its JSON nests {deepest} levels deep (more than {MAX_JSON_DEPTH})")


def _cut_off(data):
    """True when the JSON ends inside a string or with brackets still open (a truncated file)."""
    structure = _STRING.sub(b'""', data)
    if structure.count(b'"') % 2:                   # an unterminated string: cut inside it
        return True
    brackets = structure.translate(None, _NOT_BRACKETS)
    return brackets.count(b"[") + brackets.count(b"{") > brackets.count(b"]") + brackets.count(b"}")


def _bounded_int(text):
    return int(text) if len(text) <= MAX_INT_DIGITS else text


def parse(name, data):
    """``(raw cells, notes)`` of notebook ``data``; raises ``NotebookError`` for the student.

    Each raw cell is ``(position among all cells from 1, cell_type, source text)``.
    """
    wide = data.startswith((b"\xff\xfe", b"\xfe\xff"))     # UTF-16/32: checked once decoded
    if not wide:
        _check_shape(_strip_bom(data))                   # before decoding: no copy of a hostile file
    text, replaced = _decode(data)
    if wide:
        _check_shape(text.encode("utf-8", errors="replace"))
    notes = []
    if replaced:
        notes.append(f"{name} is not valid UTF-8: {replaced} unreadable character(s) were replaced "
                     "before grading")
    if not text.strip():
        raise NotebookError(f"it is empty ({len(data)} bytes): the upload or the save did not finish; "
                            "open the notebook in Jupyter, save it, and submit it again")
    try:
        notebook = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        if _cut_off(data):
            raise NotebookError(f"it is cut off: the file ends after {len(data):,} bytes, in the middle "
                                "of the notebook (an upload or a save that did not finish); open it in "
                                "Jupyter, save it, and submit it again") from None
        raise NotebookError(f"it is not valid notebook JSON (line {exc.lineno}: {exc.msg})") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise NotebookError(f"it is not valid notebook JSON ({type(exc).__name__})") from None
    if not isinstance(notebook, dict):
        raise NotebookError("it is JSON but not a Jupyter notebook (no cells)")
    if "cells" in notebook:
        cells = notebook["cells"]
    elif isinstance(notebook.get("worksheets"), list):     # nbformat 3
        cells = [c for sheet in notebook["worksheets"] if isinstance(sheet, dict)
                 for c in (sheet.get("cells") or [])]
    else:
        raise NotebookError("it is JSON but not a Jupyter notebook (no cells)")
    if not isinstance(cells, list):
        raise NotebookError("it is JSON but not a Jupyter notebook (its cells are not a list)")
    out = []
    for position, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", cell.get("input", ""))     # nbformat 3 calls it "input"
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        out.append((position, str(cell.get("cell_type", "")), source if isinstance(source, str) else ""))
    return out, notes


def _strip_bom(data):
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def label(position, source):
    """A cell named as Jupyter shows it: its place among all cells, and its first line."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > LABEL_CHARS:
        first = first[:LABEL_CHARS - 3].rstrip() + "..."
    return f'cell {position} "{first}"' if first else f"cell {position}"


# --------------------------------------------------------------------------- IPython syntax

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
    scanner = Scanner()
    continued = False  # a magic/shell line ending in "\" continues on the next line
    for line in lines:
        if continued:
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        match = None
        if not scanner.inside:
            match = _MAGIC_LINE.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP_SUFFIX.match(line)
        if match:
            out.append(match.group(1) + "pass")
            continued = line.rstrip().endswith("\\")
        else:
            out.append(line)
            scanner.feed(line)
    return "\n".join(out)
