"""report.html and the per-student feedback pages, rendered with Jinja2.

Autoescaping is on for every template: test names, messages and printed output come from
student code and are untrusted text.
"""
import re
from pathlib import Path

from . import analysis, plots
from .gradebook import fmt

TEMPLATES = Path(__file__).with_name("templates")
# Test visibility (Gradescope's values): "hidden" tests are never shown to the student.
HIDDEN = "hidden"


def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,                   # on for .j2 too (select_autoescape would miss it)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    env.filters["rate_class"] = analysis.rate_class
    env.filters["feedback_blocks"] = feedback_blocks
    return env


# The replay code in a test's feedback (autograder/feedback.py: ```python ... ``` blocks).
FENCE = re.compile(r"```python\n(.*?)\n?```", re.S)


def feedback_blocks(text):
    """A test's feedback as HTML: its text in ``<pre>``, each ```python block as a code block.

    Every part is escaped (``Markup.format``): the text holds the student's messages and code.
    """
    from markupsafe import Markup

    parts, start = [], 0
    for block in FENCE.finditer(text):
        before = text[start:block.start()].strip("\n")
        if before:
            parts.append(Markup("<pre>{}</pre>").format(before))
        parts.append(Markup('<pre class="code"><code class="language-python">{}</code></pre>').format(block[1]))
        start = block.end()
    rest = text[start:].strip("\n")
    if rest:
        parts.append(Markup("<pre>{}</pre>").format(rest))
    return Markup("").join(parts)


def file_names(students):
    """A safe, unique file stem per student id (ids come from file names and result files)."""
    names, used = {}, set()
    for student in students:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", student).lstrip(".") or "student"
        candidate, n = stem, 2
        while candidate.lower() in used:
            candidate, n = f"{stem}-{n}", n + 1
        used.add(candidate.lower())
        names[student] = candidate
    return names


def _lab_view(course, row, name, graded):
    """What a student's feedback page shows for one lab. ``graded``: the labs anyone has a
    result for (a lab nobody has one for is "not graded yet", not a 0)."""
    lab = course.labs[name]
    result = row.results.get(name)
    view = {"lab": lab, "result": result, "graded": name in graded, "late": row.late.get(name),
            "points": row.points[lab.week.column], "tests": [], "hidden": 0}
    if result is None:
        return view
    shown = [t for t in result.tests if t.visibility != HIDDEN]
    functions = {}
    for t in result.tests:
        functions.setdefault(t.function, []).append(t.status == "passed")
    view.update(tests=shown, hidden=len(result.tests) - len(shown),
                tests_passed=sum(t.status == "passed" for t in result.tests), tests_total=len(result.tests),
                functions_passed=sum(all(v) for v in functions.values()), functions_total=len(functions))
    return view


def render(out_dir, course, rows, results, manual, sources):
    """Write ``out_dir/report.html`` and ``out_dir/feedback/<student>.html``.

    Args:
        rows: gradebook rows (``gradebook.Row``); results: every ``results.Result``;
        manual: manual scores; sources: a few strings describing the inputs (for the header).
    """
    env = environment()
    out_dir = Path(out_dir)
    names = file_names([r.student for r in rows])
    labs = [name for name in course.labs if any(r.assignment == name for r in results)]
    scored_columns = {w.column for w in course.graded_weeks if any(r.scored(w.column) for r in rows)}

    weeks = analysis.week_summaries(course, rows, manual)
    histograms = []
    for summary in weeks:
        if summary.lab and summary.scored:
            histograms.append({"id": f"plot-hist-{summary.week.column}",
                               "title": f"{summary.week.column}: {course.labs[summary.lab].title}",
                               "png": plots.histogram(summary.values, summary.week.points,
                                                      f"{summary.week.column} ({summary.week.points:g} points)")})
    totals = [r.total for r in rows]
    so_far = analysis.points_so_far(course, rows)
    if rows and so_far:
        histograms.append({"id": "plot-hist-total", "title": f"total so far (of {so_far:g} points)",
                           "png": plots.histogram(totals, so_far, f"total so far ({so_far:g} points)")})
    items = []
    for name in labs:
        stats = analysis.item_analysis(results, name)
        items.append({"lab": course.labs[name], "stats": stats,
                      "plot": {"id": f"plot-items-{name}",
                               "png": plots.pass_rates(stats, f"{name}: pass rate per test")}})

    feedback_dir = out_dir / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    page = env.get_template("feedback.html.j2")
    for row in rows:
        html = page.render(course=course, row=row, labs=[_lab_view(course, row, n, labs) for n in course.labs],
                           manual=manual.get(row.student, {}), scored_columns=scored_columns,
                           so_far=analysis.points_so_far(course, rows))
        (feedback_dir / f"{names[row.student]}.html").write_text(html, encoding="utf-8")

    report = env.get_template("report.html.j2").render(
        course=course, rows=rows, weeks=weeks, histograms=histograms, items=items,
        flagged=analysis.flagged(results), warnings=analysis.isolation_warnings(results),
        names=names, sources=sources, result_count=len(results),
        plot_count=len(histograms) + len(items), scored_columns=scored_columns,
        so_far=analysis.points_so_far(course, rows),
        missing=analysis.missing_submissions(course, rows, results),
        late=analysis.late_work(rows), late_policy=course.late_policy,
        integrity=analysis.integrity_attempts(rows),
        sections=analysis.section_summaries(course, rows, results),
        graded_labs=labs,
    )
    (out_dir / "report.html").write_text(report, encoding="utf-8")
