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
    return env


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


def _lab_view(course, row, name):
    lab = course.labs[name]
    result = row.results.get(name)
    if result is None:
        return {"lab": lab, "result": None, "points": 0.0, "tests": [], "hidden": 0}
    shown = [t for t in result.tests if t.visibility != HIDDEN]
    return {"lab": lab, "result": result, "points": row.points[lab.week.column],
            "tests": shown, "hidden": len(result.tests) - len(shown)}


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

    weeks = analysis.week_summaries(course, rows, manual)
    histograms = []
    for summary in weeks:
        if summary.lab and summary.scored:
            histograms.append({"id": f"plot-hist-{summary.week.column}",
                               "title": f"{summary.week.column}: {course.labs[summary.lab].title}",
                               "png": plots.histogram(summary.values, summary.week.points,
                                                      f"{summary.week.column} ({summary.week.points:g} points)")})
    totals = [r.total for r in rows]
    if rows:
        histograms.append({"id": "plot-hist-total", "title": "total",
                           "png": plots.histogram(totals, course.total_points,
                                                  f"total ({course.total_points:g} points)")})
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
        html = page.render(course=course, row=row, labs=[_lab_view(course, row, n) for n in course.labs],
                           manual=manual.get(row.student, {}))
        (feedback_dir / f"{names[row.student]}.html").write_text(html, encoding="utf-8")

    report = env.get_template("report.html.j2").render(
        course=course, rows=rows, weeks=weeks, histograms=histograms, items=items,
        flagged=analysis.flagged(results), warnings=analysis.isolation_warnings(results),
        names=names, sources=sources, result_count=len(results),
        plot_count=len(histograms) + len(items),
    )
    (out_dir / "report.html").write_text(report, encoding="utf-8")
