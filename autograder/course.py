"""The syllabus, read once from a TOML file: weeks, their points, the labs, due dates,
Canvas column titles and an optional late policy.

Everything that needs a week's points (grader maximums, gradebook columns, the
``Points Possible`` row, reports) asks this module, so each number lives in one file.
The bundled file is ``autograder/syllabus.toml`` (EI320A); a term's own copy is passed
with ``--syllabus FILE`` (``dlgrade grade`` and ``dlgrade report``), or through the
environment variable ``DLGRADE_SYLLABUS`` (how ``dlgrade grade`` hands it to its
worker processes). The format is documented in the bundled file itself.
"""
import datetime
import functools
import math
import os
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SYLLABUS = Path(__file__).with_name("syllabus.toml")
ENVIRONMENT = "DLGRADE_SYLLABUS"

# The keys each table may hold: a typo ("canvas_title", "point") is an error, not ignored.
COURSE_KEYS = {"code", "title", "year", "total_points", "timezone"}
WEEK_KEYS = {"number", "date", "content", "graded_work", "points", "canvas"}
LAB_KEYS = {"week", "title", "functions", "due"}
LATE_KEYS = {"per_day", "max", "description"}


class SyllabusError(ValueError):
    """The syllabus file is malformed; the one-line message says where and what."""


@dataclass(frozen=True)
class Week:
    number: int
    date: datetime.date
    content: str
    graded_work: str
    points: float
    canvas: str = ""       # the Canvas assignment column, "Title" or "Title (id)"; "" = none given

    @property
    def column(self):
        """The gradebook column name, ``week01`` ... ``week17``."""
        return f"week{self.number:02d}"

    @property
    def canvas_title(self):
        """The header of this week's column in canvas.csv: the syllabus's ``canvas`` title,
        else the column name."""
        return self.canvas or self.column


@dataclass(frozen=True)
class Lab:
    name: str          # the assignment name, e.g. "week09"
    week: Week
    title: str
    functions: tuple
    due: object        # datetime.datetime (aware when the course names a timezone) or None

    @property
    def points(self):
        return self.week.points

    def days_late(self, submitted_at):
        """Started days after the due date (0 when on time), or None when unknown: no due
        date, or no readable submission time. ``submitted_at``: ISO 8601 text or datetime;
        a time without offset is read in the due date's zone (else local time)."""
        when = parse_time(submitted_at)
        if self.due is None or when is None:
            return None
        due = self.due
        if (when.tzinfo is None) != (due.tzinfo is None):
            # one side has an offset: compare in the other's zone (local time if naive)
            if when.tzinfo is None:
                when = when.replace(tzinfo=due.tzinfo)
            else:
                when = when.astimezone().replace(tzinfo=None)
        late = when - due
        if late <= datetime.timedelta(0):
            return 0
        return math.ceil(late / datetime.timedelta(days=1))


def parse_time(value):
    """A submission time (ISO 8601 text, e.g. Gradescope's ``created_at``, or a datetime) as
    a datetime; None if missing or unreadable."""
    if isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        # Gradescope writes "2027-04-30 23:59:01.123456 -0700"
        for fmt in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z"):
            try:
                return datetime.datetime.strptime(text, fmt)
            except ValueError:
                pass
    return None


@dataclass(frozen=True)
class LatePolicy:
    """Late work keeps ``1 - min(max, per_day * days)`` of its score, ``days`` being the
    started days after the due date (so 1 minute late = 1 day). Applied only where the
    submission time is known; the report lists the rest for a decision by hand."""
    per_day: float
    max: float = 1.0
    description: str = ""

    def deduction(self, days):
        """The fraction of the score taken away for ``days`` started days late (0..max)."""
        return min(self.max, self.per_day * max(days, 0))

    def __str__(self):
        return self.description or (f"late work loses {100 * self.per_day:g}% per started day"
                                    + (f", at most {100 * self.max:g}%" if self.max < 1 else ""))


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    year: int
    weeks: tuple
    labs: dict
    timezone: object = None      # zoneinfo.ZoneInfo or None (due dates are then local time)
    late_policy: object = None   # LatePolicy or None
    path: Path = DEFAULT_SYLLABUS

    @property
    def graded_weeks(self):
        """The weeks that carry points, in order: the gradebook's columns."""
        return tuple(w for w in self.weeks if w.points > 0)

    @property
    def total_points(self):
        return sum(w.points for w in self.weeks)

    def week(self, column_or_number):
        """A week by number (9) or column name ('week09'); ``KeyError`` if unknown."""
        for w in self.weeks:
            if column_or_number in (w.number, w.column):
                return w
        raise KeyError(column_or_number)

    def lab(self, name):
        try:
            return self.labs[name]
        except KeyError:
            known = ", ".join(sorted(self.labs))
            raise KeyError(f"unknown assignment {name!r}; the syllabus defines: {known}") from None

    def lab_for_week(self, column):
        """The autograded lab that scores week ``column`` (``'week09'``), or None."""
        return next((lab for lab in self.labs.values() if lab.week.column == column), None)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_keys(raw, allowed, where):
    if not isinstance(raw, dict):
        raise SyllabusError(f"{where} is not a table")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SyllabusError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _parse_week(raw, year, where):
    _check_keys(raw, WEEK_KEYS, where)
    try:
        month, day = (int(part) for part in str(raw["date"]).split("/"))
        week = Week(
            number=int(raw["number"]),
            date=datetime.date(year, month, day),
            content=str(raw["content"]),
            graded_work=str(raw.get("graded_work", "")),
            points=raw.get("points", 0),
            canvas=raw.get("canvas", ""),
        )
    except KeyError as exc:
        raise SyllabusError(f"{where}: missing key {exc.args[0]!r}") from None
    except (ValueError, TypeError) as exc:
        raise SyllabusError(f"{where}: bad value ({exc}); dates are month/day, e.g. \"4/23\"") from None
    if not _number(week.points) or week.points < 0:
        raise SyllabusError(f"{where}: points must be a number >= 0, got {week.points!r}")
    if not isinstance(week.canvas, str) or (week.canvas != week.canvas.strip()) \
            or ("canvas" in raw and not week.canvas):
        raise SyllabusError(f"{where}: canvas must be the assignment's title as Canvas shows it, "
                            f"e.g. \"CNN Lab (123456)\", got {raw.get('canvas')!r}")
    return week


def _parse_due(text, timezone, where):
    try:
        due = datetime.datetime.fromisoformat(str(text))
    except ValueError:
        raise SyllabusError(f"{where}: due must be an ISO date and time like \"2027-04-30T23:59\", "
                            f"got {text!r}") from None
    if due.tzinfo is None and timezone is not None:
        due = due.replace(tzinfo=timezone)
    return due


def _parse_late(raw, where):
    _check_keys(raw, LATE_KEYS, where)
    per_day, cap = raw.get("per_day"), raw.get("max", 1.0)
    for key, value in (("per_day", per_day), ("max", cap)):
        if not _number(value) or not 0 <= value <= 1:
            raise SyllabusError(f"{where}: {key} must be a fraction between 0 and 1 "
                                f"(0.1 = 10% of the score), got {value!r}")
    return LatePolicy(per_day=float(per_day), max=float(cap), description=str(raw.get("description", "")))


def syllabus_path(path=None):
    """The syllabus file to use: ``path``, else ``$DLGRADE_SYLLABUS``, else the bundled one."""
    return Path(path or os.environ.get(ENVIRONMENT) or DEFAULT_SYLLABUS)


def load(path=None):
    """Read and check a syllabus file (``path``, else ``$DLGRADE_SYLLABUS``, else the bundled
    EI320A one). Cached: each file is read once per process. Raises ``SyllabusError``."""
    return _load(syllabus_path(path).resolve())


@functools.cache
def _load(path):
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SyllabusError(f"cannot read syllabus {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SyllabusError(f"{path}: not UTF-8 text (save the syllabus as UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SyllabusError(f"{path}: not a valid TOML file ({exc})") from None
    unknown = sorted(set(data) - {"course", "week", "lab", "late_policy"})
    if unknown:
        raise SyllabusError(f"{path}: unknown table {unknown[0]!r} (allowed: course, week, lab, late_policy)")
    info = data.get("course", {})
    _check_keys(info, COURSE_KEYS, f"{path}: [course]")
    try:
        year = int(info.get("year", datetime.date.today().year))
        timezone = zoneinfo.ZoneInfo(info["timezone"]) if "timezone" in info else None
    except (ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError) as exc:
        raise SyllabusError(f"{path}: [course]: bad year or timezone ({exc}); "
                            "timezone is an IANA name like \"Asia/Taipei\"") from None
    raw_weeks = data.get("week", [])
    if not isinstance(raw_weeks, list) or not raw_weeks:
        raise SyllabusError(f"{path}: no [[week]] entries")
    weeks = tuple(_parse_week(raw, year, f"{path}: [[week]] #{i}") for i, raw in enumerate(raw_weeks, 1))
    numbers = [w.number for w in weeks]
    if numbers != sorted(set(numbers)):
        raise SyllabusError(f"{path}: week numbers must be unique and in order, got {numbers}")
    titles = [w.canvas_title for w in weeks if w.points > 0]
    clash = sorted({t for t in titles if titles.count(t) > 1})
    if clash:
        raise SyllabusError(f"{path}: two graded weeks share the Canvas title {clash[0]!r}")
    late = data.get("late_policy")
    course = Course(code=str(info.get("code", "")), title=str(info.get("title", "")), year=year,
                    weeks=weeks, labs={}, timezone=timezone, path=path,
                    late_policy=_parse_late(late, f"{path}: [late_policy]") if late is not None else None)
    labs = data.get("lab", {})
    if not isinstance(labs, dict):
        raise SyllabusError(f"{path}: [lab] must be tables like [lab.week09]")
    for name, raw in labs.items():
        where = f"{path}: [lab.{name}]"
        _check_keys(raw, LAB_KEYS, where)
        try:
            week = course.week(int(raw["week"]))
            functions = raw["functions"]
            if not isinstance(functions, list) or not functions or not all(isinstance(f, str) for f in functions):
                raise TypeError("functions must be a list of function names")
        except KeyError as exc:
            raise SyllabusError(f"{where}: missing key or unknown week ({exc.args[0]!r})") from None
        except (ValueError, TypeError) as exc:
            raise SyllabusError(f"{where}: bad value ({exc})") from None
        due = _parse_due(raw["due"], timezone, where) if "due" in raw else None
        lab = Lab(name, week, str(raw.get("title", name)), tuple(functions), due)
        if lab.points <= 0:
            raise SyllabusError(f"{where}: grades week {week.number}, which carries no points")
        other = course.lab_for_week(week.column)
        if other is not None:
            raise SyllabusError(f"{where}: week {week.number} is already graded by lab {other.name}")
        course.labs[name] = lab
    expected = info.get("total_points")
    if expected is not None and expected != course.total_points:
        raise SyllabusError(
            f"{path}: the weeks add up to {course.total_points:g} points, but total_points says {expected}"
        )
    return course
