"""Shared CSV reading for the TA's input files (roster, manual scores).

TA files come from spreadsheets set up in many locales, so reading is forgiving where the
meaning is clear and says exactly what to fix where it is not:

- encoding: UTF-8 (with or without Excel's byte-order mark); anything else (Excel's
  "CSV" in Western Europe is cp1252) is refused with the line of the first bad byte and
  the fix ("CSV UTF-8"), because guessing a legacy code page can garble names silently;
- delimiter: comma, semicolon (European Excel) or tab, found by ``csv.Sniffer`` and
  checked against the header;
- header names: case and surrounding spaces ignored (``Student`` = ``student``);
- numbers: a decimal comma (``4,5``) reads as ``4.5``; ``EX`` (Canvas's "excused") is no
  score.
"""
import csv
import io
import math
import re

from .errors import ReportError

DELIMITERS = ",;\t"
EXCUSED = {"ex", "excused"}
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$", re.ASCII)


def _decode(data, path, what):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReportError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); save the {what} "
            "from Excel with 'Save As' > 'CSV UTF-8 (Comma delimited)' and try again") from None


def _dialect(text):
    """The file's delimiter: csv.Sniffer's guess among ``DELIMITERS``, kept only if it splits
    the header into more cells than any other candidate (a one-column file sniffs badly)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    best = max(DELIMITERS, key=lambda d: (counts[d], d == sniffed))
    return sniffed if counts[sniffed] == counts[best] else best


def read_table(path, what):
    """Read a CSV with a header row.

    Returns ``(columns, rows)``: the header names lower-cased and stripped, and
    ``[(line number, {column: stripped cell})]`` for the data rows. Raises ``ReportError``
    (one line, naming the file and line) for an unreadable file, bad encoding, an empty
    file, a duplicated column or a row with more cells than the header.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ReportError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    text = _decode(data, path, what)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    columns, rows = None, []
    try:
        for cells in reader:
            if columns is None:
                if any(c.strip() for c in cells):
                    columns = [c.strip().lower() for c in cells]
                continue
            cells = [c.strip() for c in cells]
            if len(cells) > len(columns) and any(cells[len(columns):]):
                raise ReportError(f"{path}: line {reader.line_num} has more cells than the header")
            cells += [""] * (len(columns) - len(cells))
            rows.append((reader.line_num, dict(zip(columns, cells))))
    except csv.Error as exc:
        raise ReportError(f"{path}: line {reader.line_num}: not a readable CSV {what} ({exc})") from None
    if not columns:
        raise ReportError(f"{path}: the {what} is empty (no header row)")
    named = [c for c in columns if c]
    dupes = sorted({c for c in named if named.count(c) > 1})
    if dupes:
        raise ReportError(f"{path}: column {dupes[0]!r} appears more than once in the header")
    return columns, rows


def parse_points(text):
    """A score cell as a number: ``None`` for a blank or excused (``EX``) cell, ``4.5`` for
    ``4.5`` or ``4,5``; ``nan`` for anything else (the caller reports it)."""
    if text == "" or text.lower() in EXCUSED:
        return None
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    # A plain decimal written with ASCII digits only: float() alone would also take "1_0" (10),
    # "1e3", "inf" or full-width digits, none of which a TA means as a score.
    if not _PLAIN_NUMBER.match(text):
        return math.nan
    return float(text)
