"""Shared CSV reading for the TA's input files (roster, manual scores): one place that
handles the encoding (Excel's byte-order mark), the header and blank cells."""
import csv

from .errors import ReportError


def read_table(path, what):
    """Read a CSV with a header row; returns (columns, rows as dicts with stripped values)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            rows = []
            for row in reader:
                # csv gives extra cells under the key None; a row longer than the header is an error.
                if None in row:
                    raise ReportError(f"{path}: line {reader.line_num} has more cells than the header")
                rows.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items()}))
    except OSError as exc:
        raise ReportError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ReportError(f"{path}: not a readable CSV {what} ({exc})") from None
    if not columns:
        raise ReportError(f"{path}: the {what} is empty (no header row)")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ReportError(f"{path}: column {dupes[0]!r} appears more than once in the header")
    return columns, rows
