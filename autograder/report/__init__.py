"""``dlgrade report``: gradebook.csv, canvas.csv and report.html from result folders.

    dlgrade report --out REPORT_DIR [--manual MANUAL_CSV] [--roster ROSTER_CSV]
                   [--syllabus SYLLABUS_TOML] RESULTS_DIR...

Top-level imports stay light (stdlib): jinja2 and matplotlib load inside ``run``.
"""
import sys
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("results", nargs="+", metavar="RESULTS_DIR",
                        help="folders of result files written by `dlgrade grade` (one per lab)")
    parser.add_argument("--out", required=True, metavar="REPORT_DIR",
                        help="where to write gradebook.csv, canvas.csv, report.html and feedback/")
    parser.add_argument("--manual", metavar="MANUAL_CSV",
                        help="hand-scored weeks: a CSV with `student` and any weekNN columns")
    parser.add_argument("--roster", metavar="ROSTER_CSV",
                        help="class roster: student,name,sis_user_id,sis_login_id,section[,canvas_id], "
                             "or Canvas's gradebook export (Student,ID,SIS User ID,SIS Login ID,Section); "
                             "every roster student gets a row; Canvas ids come from here")
    parser.add_argument("--syllabus", metavar="SYLLABUS_TOML",
                        help="the term's syllabus file (default: the bundled autograder/syllabus.toml)")


def build_report(results_dirs, out, manual=None, roster=None, syllabus=None):
    """Read the inputs, write every output; returns the gradebook rows.

    Raises ``ReportError`` (bad results, roster or manual file) or ``SyllabusError``."""
    from .. import course as course_module
    from . import canvas, gradebook, html
    from .manual import load_manual
    from .results import load_results
    from .roster import aliases, load_roster

    course = course_module.load(syllabus)
    left_out = []                       # Canvas's Test Student (Student View), if any
    students = load_roster(roster, left_out) if roster else None
    roster_ids = aliases(students, roster) if students is not None else None
    manual_notes = []
    scores = load_manual(manual, course, roster_ids, manual_notes) if manual else {}
    results = load_results(results_dirs, course)
    # Its work (Student View can submit) and any manual row for it stay out of every output.
    test_ids = {i for s in left_out for i in (s.student, s.canvas_id) if i}
    results = [r for r in results if r.student not in test_ids]
    scores = {k: v for k, v in scores.items() if k not in test_ids}
    rows = gradebook.build(course, results, scores, students)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gradebook.write_csv(out / "gradebook.csv", course, rows)
    canvas.write_csv(out / "canvas.csv", course, rows)
    canvas.write_by_week(out / "canvas-by-week", course, rows)
    sources = [f"results: {', '.join(str(Path(d)) for d in results_dirs)}"]
    if roster:
        sources.append(f"roster: {Path(roster).name}" + "".join(
            f" (left out: {s.name} {s.student}, Canvas's Student View user: not in means, "
            "gradebook.csv or canvas.csv)" for s in left_out))
    if manual:
        sources.append(f"manual scores: {Path(manual).name}"
                       + (f" ({'; '.join(manual_notes)})" if manual_notes else ""))
    sources.append(f"syllabus: {course.path}")
    html.render(out, course, rows, results, scores, sources)
    return rows


def run(args):
    from ..course import SyllabusError
    from .errors import ReportError

    try:
        rows = build_report(args.results, args.out, manual=args.manual, roster=args.roster,
                            syllabus=args.syllabus)
    except (ReportError, SyllabusError) as exc:
        print(f"dlgrade report: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # jinja2 / matplotlib: the [report] extra
        print(f"dlgrade report: error: the report needs {exc.name}: pip install 'dlgrade[report]'",
              file=sys.stderr)
        return 2
    except OSError as exc:  # --out is a file, a parent folder is missing, no permission
        print(f"dlgrade report: error: cannot write the report: {exc.strerror or exc} "
              f"({exc.filename or args.out})", file=sys.stderr)
        return 2
    strangers = [r.student + (f" (looks like roster student {r.looks_like})" if r.looks_like else "")
                 for r in rows if not r.on_roster]
    if strangers:
        print(f"dlgrade report: warning: {len(strangers)} student(s) not on the roster (kept in "
              f"gradebook.csv and the report, left out of canvas.csv): {', '.join(strangers)}",
              file=sys.stderr)
    out = Path(args.out)
    print(f"{len(rows)} students -> {out / 'gradebook.csv'}, {out / 'canvas.csv'}")
    print(f"report: {(out / 'report.html').resolve().as_uri()}")
    return 0
