"""The numbers behind report.html: week summaries, item analysis, flags, isolation warnings."""
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
    source: str           # "autograded (week09)", "manual", or "no scores"
    lab: str              # the autograded lab's name, or "" for other weeks
    mean: float
    median: float
    low: float
    high: float
    scored: int           # students with a score (a result file or a manual cell)
    values: tuple         # every student's points, for the histogram


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
    """The problem a test's feedback reports (diagnosis and hint), without the test's
    name and the input listing; the whole first line if nothing else is left."""
    lines = [line.strip() for line in output.splitlines()
             if line.strip() and not line[:1].isspace() and not line.startswith(_CONTEXT)]
    if not lines:
        lines = output.strip().splitlines()[:1]
    return " ".join(lines)


def _message_key(message):
    # "Expected out[0, 1] = 1, got nan" and "... out[2, 0] = 1, got nan" are the same mistake.
    return _NUMBER.sub("#", message)


def week_summaries(course, rows, manual):
    """One ``WeekSummary`` per graded week over all gradebook rows."""
    by_column = {lab.week.column: name for name, lab in course.labs.items()}
    out = []
    for week in course.graded_weeks:
        values = tuple(r.points[week.column] for r in rows)
        if week.column in by_column:
            source = f"autograded ({by_column[week.column]})"
            scored = sum(by_column[week.column] in r.results for r in rows)
        else:
            scored = sum(week.column in manual.get(r.student, {}) for r in rows)
            source = "manual" if scored else "no scores"
        out.append(WeekSummary(
            week=week, source=source, lab=by_column.get(week.column, ""),
            mean=statistics.fmean(values) if values else 0.0,
            median=statistics.median(values) if values else 0.0,
            low=min(values, default=0.0), high=max(values, default=0.0),
            scored=scored, values=values,
        ))
    return out


def item_analysis(results, assignment):
    """Per-test statistics for one assignment, in test order (by the first result's order)."""
    order, groups = [], {}
    for result in results:
        if result.assignment != assignment:
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
