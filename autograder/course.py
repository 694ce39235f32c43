"""The syllabus, read once from ``syllabus.toml``: weeks, their points, and the labs.

Everything that needs a week's points (grader maximums, gradebook columns, the
``Points Possible`` row, reports) asks this module, so each number lives in one file.
"""
import datetime
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SYLLABUS = Path(__file__).with_name("syllabus.toml")


class SyllabusError(ValueError):
    """The syllabus file is malformed; the message says where."""


@dataclass(frozen=True)
class Week:
    number: int
    date: datetime.date
    content: str
    graded_work: str
    points: float

    @property
    def column(self):
        """The gradebook column name, ``week01`` ... ``week17``."""
        return f"week{self.number:02d}"


@dataclass(frozen=True)
class Lab:
    name: str          # the assignment name, e.g. "week09"
    week: Week
    title: str
    functions: tuple
    due: datetime.datetime

    @property
    def points(self):
        return self.week.points


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    year: int
    weeks: tuple
    labs: dict

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


def _parse_week(raw, year, where):
    try:
        month, day = (int(part) for part in str(raw["date"]).split("/"))
        return Week(
            number=int(raw["number"]),
            date=datetime.date(year, month, day),
            content=str(raw["content"]),
            graded_work=str(raw.get("graded_work", "")),
            points=raw.get("points", 0),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise SyllabusError(f"{where}: bad week entry {raw!r} ({exc})") from None


@functools.cache
def load(path=DEFAULT_SYLLABUS):
    """Read and check a syllabus file (cached: it is read once per process)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SyllabusError(f"cannot read syllabus {path}: {exc}") from None
    info = data.get("course", {})
    year = int(info.get("year", datetime.date.today().year))
    weeks = tuple(_parse_week(raw, year, path) for raw in data.get("week", []))
    numbers = [w.number for w in weeks]
    if numbers != sorted(set(numbers)):
        raise SyllabusError(f"{path}: week numbers must be unique and in order, got {numbers}")
    course = Course(code=info.get("code", ""), title=info.get("title", ""), year=year, weeks=weeks, labs={})
    for name, raw in data.get("lab", {}).items():
        try:
            week = course.week(int(raw["week"]))
            due = datetime.datetime.fromisoformat(raw["due"]) if "due" in raw else None
            lab = Lab(name, week, raw.get("title", name), tuple(raw["functions"]), due)
        except (KeyError, ValueError, TypeError) as exc:
            raise SyllabusError(f"{path}: bad lab entry [lab.{name}] ({exc})") from None
        if lab.points <= 0:
            raise SyllabusError(f"{path}: lab {name} grades week {week.number}, which carries no points")
        course.labs[name] = lab
    expected = info.get("total_points")
    if expected is not None and expected != course.total_points:
        raise SyllabusError(
            f"{path}: the weeks add up to {course.total_points} points, but total_points says {expected}"
        )
    return course
