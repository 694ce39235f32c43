"""The numbers behind report.html: week summaries, item analysis, flags, integrity
attempts, late and missing work, sections, isolation warnings."""
import collections
import re
import statistics
from dataclasses import dataclass

# Isolation levels the sandbox reports; anything without namespaces is weaker than intended.
STRONG_ISOLATION = "namespaces"
MESSAGE_CHARS = 200
# Lines of a test's feedback that describe the test and its input rather than the problem
# (the judge's layout: "Failed: <test>", "Failing case: ...", indented input lines).
_CONTEXT = ("Failed:", "Failing case:", "Smallest failing input")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class WeekSummary:
    week: object          # course.Week
    source: str           # "autograded (week09)", "manual", or "not graded yet"
    lab: str              # the autograded lab's name, or "" for other weeks
    mean: float           # over every student, missing work counting 0 (None: not graded yet)
    mean_scored: float    # over the students with a score only, as `dlgrade grade`'s summary
    median: float
    low: float
    high: float
    scored: int           # students with a score (a result file or a manual cell)
    values: tuple         # every student's points (missing = 0), for the histogram


# Pass-rate bands for colours: the class name says what the value means.
def rate_class(rate):
    """CSS class for a pass rate 0..1: ``rate-high`` (>= 80%), ``rate-mid`` (>= 50%), ``rate-low``."""
    return "rate-high" if rate >= 0.8 else "rate-mid" if rate >= 0.5 else "rate-low"


@dataclass(frozen=True)
class ItemStats:
    number: str
    name: str
    function: str
    max_score: float
    attempts: int
    passed: int
    top_status: str       # most common non-passed status ("" if all passed)
    top_status_count: int
    top_message: str      # most common message among the top status's failures (truncated)
    top_message_count: int

    @property
    def pass_rate(self):
        return self.passed / self.attempts if self.attempts else 0.0


def truncate(text, limit=MESSAGE_CHARS):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_message(output):
    """The problem a test's feedback reports (diagnosis and hint) as prose: without the
    test's name, the input listing, and the fenced code block that rebuilds the case (nor
    the line introducing it); the whole first line if nothing else is left."""
    prose = output.split("```", 1)[0].splitlines()
    if "```" in output and prose and prose[-1].rstrip().endswith(":"):
        prose = prose[:-1]              # "To reproduce it, run this below your functions ...:"
    lines = [line.strip() for line in prose
             if line.strip() and not line[:1].isspace() and not line.startswith(_CONTEXT)]
    if not lines:
        lines = output.strip().splitlines()[:1]
    return " ".join(lines)


def _message_key(message):
    # "Expected out[0, 1] = 1, got nan" and "... out[2, 0] = 1, got nan" are the same mistake.
    return _NUMBER.sub("#", message)


def week_summaries(course, rows, manual):
    """One ``WeekSummary`` per graded week over all gradebook rows; a week nobody has a
    score for is "not graded yet" (no statistics), not a week of zeros."""
    by_column = {lab.week.column: name for name, lab in course.labs.items()}
    out = []
    for week in course.graded_weeks:
        scored = sum(r.scored(week.column) for r in rows)
        values = tuple(r.points[week.column] or 0.0 for r in rows) if scored else ()
        if not scored:
            source = "not graded yet"
        elif week.column in by_column:
            source = f"autograded ({by_column[week.column]})"
        else:
            source = "manual"
        out.append(WeekSummary(
            week=week, source=source, lab=by_column.get(week.column, ""),
            mean=statistics.fmean(values) if values else None,
            mean_scored=(statistics.fmean(r.points[week.column] for r in rows if r.scored(week.column))
                         if scored else None),
            median=statistics.median(values) if values else None,
            low=min(values) if values else None, high=max(values) if values else None,
            scored=scored, values=values,
        ))
    return out


def points_so_far(course, rows):
    """The points possible in the weeks that have any score yet (the total "so far")."""
    return sum(w.points for w in course.graded_weeks if any(r.scored(w.column) for r in rows))


@dataclass(frozen=True)
class Missing:
    lab: str
    rows: tuple           # gradebook rows without a result for the lab
    nothing_graded: tuple  # (row, why): a result whose every test is "no submission"


NO_SUBMISSION = "no submission"


def is_no_submission(result):
    """True for the result ``dlgrade grade`` writes when no file of the student could be graded."""
    return bool(result.tests) and all(t.status == NO_SUBMISSION for t in result.tests)


def missing_submissions(course, rows, results):
    """Per lab that has any result: the students (rows) with no result for it, and those whose
    result says no file could be graded (with the first line of its output)."""
    graded = [name for name in course.labs if any(r.assignment == name for r in results)]
    out = []
    for name in graded:
        empty = tuple((r, (r.results[name].output.strip().splitlines() or [NO_SUBMISSION])[0])
                      for r in rows if name in r.results and is_no_submission(r.results[name]))
        out.append(Missing(lab=name, rows=tuple(r for r in rows if name not in r.results), nothing_graded=empty))
    return out


def late_work(rows):
    """``[(row, gradebook.Late)]`` for every late result, by student then lab."""
    return [(row, late) for row in rows for _, late in sorted(row.late.items())]


def integrity_attempts(rows):
    """``[(row, lab, attempts)]``: what the worker saw a submission attempt (best effort:
    attempts, not proof), from ``extra_data.integrity``."""
    return [(row, name, result.integrity) for row in rows
            for name, result in row.results.items() if result.integrity]


@dataclass(frozen=True)
class SectionSummary:
    section: str
    students: int
    mean_total: float     # mean total so far (missing work counts 0)
    submitted: dict       # lab -> students with a result
    late: int             # late results
    flagged: int          # students with a flagged status or an integrity attempt


def section_summaries(course, rows, results):
    """One ``SectionSummary`` per roster section (in first-seen order; "" = no section)."""
    labs = [name for name in course.labs if any(r.assignment == name for r in results)]
    groups = {}
    for row in rows:
        groups.setdefault(row.info.section, []).append(row)
    out = []
    for section, members in groups.items():
        out.append(SectionSummary(
            section=section, students=len(members),
            mean_total=statistics.fmean(r.total for r in members),
            submitted={name: sum(name in r.results for r in members) for name in labs},
            late=sum(len(r.late) for r in members),
            flagged=sum(any(res.flags or res.integrity for res in r.results.values()) for r in members),
        ))
    return out


def item_analysis(results, assignment):
    """Per-test statistics for one assignment, in test order (by the first result's order).
    Results with no gradable file are left out: they say nothing about a test."""
    order, groups = [], {}
    for result in results:
        if result.assignment != assignment or is_no_submission(result):
            continue
        for test in result.tests:
            key = (test.number, test.name)
            if key not in groups:
                order.append(key)
                groups[key] = []
            groups[key].append(test)
    items = []
    for key in order:
        tests = groups[key]
        failed = [t for t in tests if t.status != "passed"]
        statuses = collections.Counter(t.status for t in failed).most_common(1)
        # The message shown is the most common one among the failures of the most common
        # status, so the two columns describe the same students.
        top = [t for t in failed if statuses and t.status == statuses[0][0] and t.output.strip()]
        examples, keys = {}, collections.Counter()
        for t in top:
            message = failure_message(t.output)
            keys[_message_key(message)] += 1
            examples.setdefault(_message_key(message), message)
        messages = [(truncate(examples[k]), n) for k, n in keys.most_common(1)]
        items.append(ItemStats(
            number=key[0], name=key[1], function=tests[0].function, max_score=tests[0].max_score,
            attempts=len(tests), passed=len(tests) - len(failed),
            top_status=statuses[0][0] if statuses else "", top_status_count=statuses[0][1] if statuses else 0,
            top_message=messages[0][0] if messages else "", top_message_count=messages[0][1] if messages else 0,
        ))
    return items


def flagged(results, limit=140):
    """Results with a flagged status, for TA attention.

    Returns ``[(student, assignment, flags, problems)]`` where ``problems`` lists, per graded
    function and flagged status, ``(function, status, number of tests, first message)``.
    """
    out = []
    for result in sorted(results, key=lambda r: (r.student, r.assignment)):
        if not result.flags:
            continue
        groups = {}
        for t in result.tests:
            if t.status in result.flags:
                key = (t.function, t.status)
                count, message = groups.get(key, (0, truncate(failure_message(t.output), limit)))
                groups[key] = (count + 1, message)
        problems = [(f, status, n, message) for (f, status), (n, message) in groups.items()]
        out.append((result.student, result.assignment, result.flags, problems))
    return out


def isolation_warnings(results):
    """Messages about weak or mixed sandbox isolation among the results."""
    warnings = []
    levels = collections.defaultdict(set)
    for result in results:
        levels[result.assignment].add(result.isolation)
    for assignment, found in sorted(levels.items()):
        weak = sorted(level for level in found if STRONG_ISOLATION not in level)
        if weak:
            count = sum(r.assignment == assignment and r.isolation in weak for r in results)
            warnings.append(f"{assignment}: {count} result(s) were graded with weak isolation "
                            f"({', '.join(weak)}): student code ran without separate namespaces")
        if len(found) > 1:
            warnings.append(f"{assignment}: results were graded with different isolation levels "
                            f"({', '.join(sorted(found))})")
    return warnings
