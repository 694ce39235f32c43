"""The gradebook's numbers, derived by hand from synthetic result files, and the input checks.

Every expected number below is worked out in the comment next to it from the syllabus
(week08: 10 points, week09: 5, week12: 10, week17: 30; 105 in all) and the raw scores
chosen in the test, not read back from the code under test.
"""
import csv
import re

import pytest

from autograder import course
from autograder.report import build_report
from autograder.report.errors import ReportError
from autograder.report.manual import load_manual
from autograder.report.roster import load_roster
from report_helpers import ROSTER_HEADER, read_csv, simple_result, write_csv

# The spec for the Points Possible row (weeks 1-5, 8-17 with points, then the total).
SPEC_POINTS = ["1", "4", "5", "5", "5", "10", "5", "5", "5", "10", "5", "5", "5", "5", "30", "105"]
WEEKS = ["week01", "week02", "week03", "week04", "week05", "week08", "week09", "week10",
         "week11", "week12", "week13", "week14", "week15", "week16", "week17"]


def gradebook(out):
    rows = read_csv(out / "gradebook.csv")
    header, data = rows[0], rows[1:]
    return header, {row[0]: dict(zip(header[1:], row[1:])) for row in data}, data


@pytest.fixture
def klass(tmp_path):
    """Two labs' results, a roster with a student who submitted nothing, manual scores."""
    r8, r9 = tmp_path / "r8", tmp_path / "r9"
    simple_result(r8, "alice", "week08", 7, 10)       # 7/10 of 10 points -> 7
    simple_result(r9, "alice", "week09", 3.75, 5)     # 3.75/5 of 5 points -> 3.75
    simple_result(r8, "bob", "week08", 3, 4)          # graded out of 4: 3/4 * 10 -> 7.5
    simple_result(r9, "bob", "week09", 1, 3)          # 1/3 * 5 = 1.6666.. -> 1.6667
    simple_result(r8, "carol", "week08", 10, 10)      # full marks -> 10
    simple_result(r9, "carol", "week09", 5, 5)        # full marks -> 5
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [
        ["alice", "Smith, Alice", "S1", "asmith", "A"],
        ["bob", "Jones, Bob", "S2", "bjones", "A"],
        ["carol", "Lee, Carol", "S3", "clee", "B"],
        ["dan", "Wu, Dan", "S4", "dwu", "B"],           # no submissions at all
    ])
    manual = write_csv(tmp_path / "manual.csv", ["student", "week12", "week17", "week01"], [
        ["alice", "9.5", "28", "1"],
        ["dan", "", "12", ""],                          # empty cell: no score -> 0
    ])
    return tmp_path, r8, r9, roster, manual


def test_points_possible_row_matches_the_syllabus_spec(klass):
    tmp, r8, r9, roster, manual = klass
    build_report([r8, r9], tmp / "out", manual=manual, roster=roster)
    header, _, data = gradebook(tmp / "out")
    assert header == ["student", *WEEKS, "total"]
    assert data[0] == ["Points Possible", *SPEC_POINTS]
    assert course.load().total_points == 105


def test_scaled_lab_scores_manual_weeks_and_totals(klass):
    tmp, r8, r9, roster, manual = klass
    build_report([r8, r9], tmp / "out", manual=manual, roster=roster)
    _, book, data = gradebook(tmp / "out")
    assert [row[0] for row in data[1:]] == ["alice", "bob", "carol", "dan"]   # roster order
    alice, bob, carol, dan = book["alice"], book["bob"], book["carol"], book["dan"]
    assert (alice["week08"], alice["week09"]) == ("7", "3.75")
    assert (alice["week12"], alice["week17"], alice["week01"]) == ("9.5", "28", "1")
    assert alice["total"] == "49.25"            # 7 + 3.75 + 9.5 + 28 + 1
    assert (bob["week08"], bob["week09"], bob["total"]) == ("7.5", "1.6667", "9.1667")   # 7.5 + 5/3
    assert (carol["week08"], carol["week09"], carol["total"]) == ("10", "5", "15")
    # dan: on the roster, no results; only week17 from the manual file
    assert all(dan[w] == "0" for w in WEEKS if w != "week17")
    assert (dan["week17"], dan["total"]) == ("12", "12")
    # weeks nobody scored stay 0 for everyone
    assert {book[s]["week10"] for s in ("alice", "bob", "carol", "dan")} == {"0"}


def test_sixteenths_of_a_point_are_written_exactly_and_totals_add_unrounded_points(tmp_path):
    """Test weights are multiples of 1/16 point: 2.125 must not become 2.12 (half-to-even) nor
    4.375 become 4.38, and a total is the sum of the exact points, not of rounded cells."""
    r8, r9 = tmp_path / "r8", tmp_path / "r9"
    simple_result(r8, "alice", "week08", 2.125, 10)     # 2.125/10 * 10 -> 2.125
    simple_result(r9, "alice", "week09", 2.125, 5)      # 2.125/5 * 5 -> 2.125; total 4.25 (not 2.12 + 2.12)
    simple_result(r8, "bob", "week08", 4.375, 10)       # -> 4.375
    simple_result(r9, "bob", "week09", 0.0625, 5)       # -> 0.0625; total 4.4375
    build_report([r8, r9], tmp_path / "out")
    _, book, _ = gradebook(tmp_path / "out")
    assert [book["alice"][c] for c in ("week08", "week09", "total")] == ["2.125", "2.125", "4.25"]
    assert [book["bob"][c] for c in ("week08", "week09", "total")] == ["4.375", "0.0625", "4.4375"]
    canvas_rows = {r["Student"]: r for r in read_csv_dicts(tmp_path / "out" / "canvas.csv")}
    assert (canvas_rows["alice"]["week08"], canvas_rows["alice"]["week09"]) == ("2.125", "2.125")
    assert (canvas_rows["bob"]["week08"], canvas_rows["bob"]["week09"]) == ("4.375", "0.0625")
    # the report and the feedback pages show the same numbers
    report = (tmp_path / "out" / "report.html").read_text()
    assert ">4.25 / 15<" in report and ">4.4375 / 15<" in report and ">0.0625<" in report
    assert ">2.12<" not in report and "4.38" not in report
    page = (tmp_path / "out" / "feedback" / "bob.html").read_text()
    assert "4.375 of 10 points" in page and "0.0625 of 5 points" in page and ">4.4375<" in page


def read_csv_dicts(path):
    rows = read_csv(path)
    return [dict(zip(rows[0], row)) for row in rows[2:]]


def test_without_a_roster_students_come_from_results_and_manual(tmp_path):
    r9 = tmp_path / "r9"
    simple_result(r9, "zoe", "week09", 2.5, 5)                 # 2.5/5 * 5 -> 2.5
    manual = write_csv(tmp_path / "m.csv", ["student", "week17"], [["yan", "20"]])
    build_report([r9], tmp_path / "out", manual=manual)
    _, book, data = gradebook(tmp_path / "out")
    assert [row[0] for row in data[1:]] == ["yan", "zoe"]      # sorted ids
    assert (book["zoe"]["week09"], book["zoe"]["total"]) == ("2.5", "2.5")
    assert (book["yan"]["week17"], book["yan"]["week09"]) == ("20", "0")


def test_scores_csv_and_other_files_in_a_results_folder_are_ignored(klass):
    tmp, r8, r9, roster, manual = klass
    (r8 / "scores.csv").write_text("student,score,max_score,relu\nalice,7,10,7\n")
    (r8 / "notes.txt").write_text("not a result")
    build_report([r8], tmp / "out", roster=roster)
    _, book, _ = gradebook(tmp / "out")
    assert book["alice"]["week08"] == "7"


# ---- malformed input: each gives a ReportError whose message says what and where --------

def _bad_json(tmp, r8, r9, roster, manual):
    (r8 / "zed.json").write_text('{"hello": 1}')
    return dict(results=[r8]), ["zed.json", "not a dlgrade result file", "no 'score' field"]


def _broken_json(tmp, r8, r9, roster, manual):
    (r8 / "zed.json").write_text('{"score": 1,')
    return dict(results=[r8]), ["zed.json", "cannot read JSON"]


def _bad_status(tmp, r8, r9, roster, manual):
    path = simple_result(tmp / "r10", "alice", "week08", 1, 10)
    path.write_text(path.read_text().replace('"wrong values"', '"meh"'))
    return dict(results=[tmp / "r10"]), ["alice.json", "unknown status 'meh'"]


def _unknown_assignment(tmp, r8, r9, roster, manual):
    simple_result(tmp / "r10", "alice", "week98", 1, 5)     # a lab no syllabus defines
    return dict(results=[tmp / "r10"]), ["alice.json", "unknown assignment 'week98'", "week08, week09"]


def _twice(tmp, r8, r9, roster, manual):
    simple_result(tmp / "again", "alice", "week08", 9, 10)
    return dict(results=[r8, tmp / "again"]), ["second result", "'alice'", "week08", "r8"]


def _no_folder(tmp, r8, r9, roster, manual):
    return dict(results=[tmp / "nope"]), ["nope", "no such folder"]


def _empty_folder(tmp, r8, r9, roster, manual):
    (tmp / "empty").mkdir()
    return dict(results=[r8, tmp / "empty"]), ["empty", "no result files (*.json)"]


def _manual(header, row):
    def setup(tmp, r8, r9, roster, manual):
        path = write_csv(tmp / "bad.csv", header, [row])
        return dict(results=[r8], manual=path, roster=roster), None
    return setup


MANUAL_CASES = [
    (["student", "week06"], ["alice", "1"], ["bad.csv", "unknown column 'week06'", "week01"]),
    (["student", "week08"], ["alice", "5"], ["'week08' is scored by the autograder (week08)"]),
    (["student", "week01"], ["alice", "2"], ["line 2", "week01 of 'alice' is 2", "outside 0..1"]),
    (["student", "week17"], ["alice", "-1"], ["week17 of 'alice' is -1", "outside 0..30"]),
    (["student", "week12"], ["alice", "abc"], ["week12 of 'alice' is 'abc', not a number"]),
    (["student", "week12"], ["alice", "nan"], ["'nan', not a number"]),
    (["name", "week12"], ["alice", "5"], ["no 'student' column", "name, week12"]),
    (["student", "week12"], ["alice", "4,5,6"], ["'4,5,6', not a number"]),
    # what float() alone would take: 10, 1000, infinity, full-width 10
    (["student", "week12"], ["alice", "1_0"], ["'1_0', not a number"]),
    (["student", "week17"], ["alice", "1e3"], ["'1e3', not a number"]),
    (["student", "week12"], ["alice", "inf"], ["'inf', not a number"]),
    (["student", "week12"], ["alice", "\uff11\uff10"], ["not a number"]),
]


def _manual_twice(tmp, r8, r9, roster, manual):
    path = write_csv(tmp / "bad.csv", ["student", "week12"], [["alice", "5"], ["alice", "6"]])
    return dict(results=[r8], manual=path), ["line 3", "'alice' is listed twice"]


def _roster(header, rows, expected):
    def setup(tmp, r8, r9, roster, manual):
        path = write_csv(tmp / "badroster.csv", header, rows)
        return dict(results=[r8], roster=path), expected
    return setup


CASES = {
    "not a result": _bad_json, "broken json": _broken_json, "bad status": _bad_status,
    "unknown assignment": _unknown_assignment, "same result twice": _twice,
    "missing folder": _no_folder, "empty folder": _empty_folder,
    "manual duplicate": _manual_twice,
    "roster missing column": _roster(ROSTER_HEADER[:-1], [["alice", "A", "1", "a"]],
                                     ["badroster.csv", "no column 'section'"]),
    "roster duplicate id": _roster(ROSTER_HEADER, [["alice", "A", "1", "a", "X"], ["alice", "B", "2", "b", "X"]],
                                   ["line 3 repeats student 'alice'", "line 2"]),
    "roster duplicate sis id": _roster(ROSTER_HEADER, [["alice", "A", "1", "a", "X"], ["bob", "B", "1", "b", "X"]],
                                       ["repeats sis_user_id '1'"]),
    **{f"manual {i}": (_manual(h, r), e) for i, (h, r, e) in enumerate(MANUAL_CASES)},
}


def run_case(klass, case):
    tmp, r8, r9, roster, manual = klass
    setup = CASES[case]
    expected = None
    if isinstance(setup, tuple):
        setup, expected = setup
    kwargs, fragments = setup(tmp, r8, r9, roster, manual)
    return kwargs, expected or fragments


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_input_is_a_clear_error(klass, case):
    kwargs, fragments = run_case(klass, case)
    with pytest.raises(ReportError) as err:
        build_report(kwargs.pop("results"), klass[0] / "out", **kwargs)
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_loaders_accept_excel_bom_and_blank_lines(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("\ufeffstudent,name,sis_user_id,sis_login_id,section\n"
                      "alice,\"Smith, Alice\",1,a,X\n\n", encoding="utf-8")
    assert [s.name for s in load_roster(roster)] == ["Smith, Alice"]
    manual = tmp_path / "m.csv"
    manual.write_text("\ufeffstudent,week12\nalice,10\n\n", encoding="utf-8")
    assert load_manual(manual, course.load(), {"alice"}) == {"alice": {"week12": 10.0}}


# ---- Canvas-safe export (canvas.csv) ------------------------------------------------------

import shutil  # noqa: E402

from canvas_importer import Gradebook  # noqa: E402
from report_helpers import make_test, write_result  # noqa: E402

DATA = __import__("pathlib").Path(__file__).parent / "data" / "gradebook"
BUNDLED = course.DEFAULT_SYLLABUS.read_text(encoding="utf-8")


def syllabus(tmp_path, text=BUNDLED, name="term.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_canvas_titles(text=BUNDLED):
    """The bundled syllabus with Canvas titles for weeks 8, 9 and 12 (by id) and 17 (by title)."""
    for number, title in ((8, "ANN Lab (9001)"), (9, "CNN Lab (9002)"), (12, "Proposal (9003)"),
                          (17, "Final Presentation")):
        text = text.replace(f"number = {number}\n", f"number = {number}\ncanvas = \"{title}\"\n", 1)
    return text


def canvas(out):
    rows = read_csv(out / "canvas.csv")
    return rows[0], rows[1], {row[2]: dict(zip(rows[0], row)) for row in rows[2:]}


def test_canvas_csv_leaves_unscored_cells_empty_and_unscored_weeks_out(klass):
    tmp, r8, r9, roster, manual = klass
    build_report([r8, r9], tmp / "out", manual=manual, roster=roster)
    header, points, by_sis = canvas(tmp / "out")
    # scored by someone: week08, week09 (results), week01, week12, week17 (manual); nothing else
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      "week01", "week08", "week09", "week12", "week17"]
    assert points[5:] == ["1", "10", "5", "10", "30"]
    dan, bob = by_sis["S4"], by_sis["S2"]
    # dan: no results, only week17 by hand -> every other cell empty, never 0
    assert [dan[c] for c in header[5:]] == ["", "", "", "", "12"]
    # bob: both labs, no manual marks
    assert [bob[c] for c in header[5:]] == ["", "7.5", "1.6667", "", ""]
    # a real 0 stays a 0: it is a score
    simple_result(r9, "dan", "week09", 0, 5)
    build_report([r8, r9], tmp / "out2", manual=manual, roster=roster)
    assert canvas(tmp / "out2")[2]["S4"]["week09"] == "0"


def test_canvas_headers_come_from_the_syllabus_and_ids_from_the_roster(klass, tmp_path):
    tmp, r8, r9, roster, manual = klass
    roster = write_csv(tmp / "roster_ids.csv", ROSTER_HEADER + ["canvas_id"], [
        ["alice", "Smith, Alice", "S1", "asmith", "A", "104001"],
        ["bob", "Jones, Bob", "S2", "bjones", "A", ""],
        ["carol", "Lee, Carol", "S3", "clee", "B", "104003"],
        ["dan", "Wu, Dan", "S4", "dwu", "B", "104004"],
    ])
    path = syllabus(tmp_path, with_canvas_titles())
    build_report([r8, r9], tmp / "out", manual=manual, roster=roster, syllabus=path)
    header, _, by_sis = canvas(tmp / "out")
    assert header[5:] == ["week01", "ANN Lab (9001)", "CNN Lab (9002)", "Proposal (9003)", "Final Presentation"]
    assert [by_sis[s]["ID"] for s in ("S1", "S2", "S3", "S4")] == ["104001", "", "104003", "104004"]
    # gradebook.csv keeps the syllabus's own column names
    assert gradebook(tmp / "out")[0][:3] == ["student", "week01", "week02"]


def test_canvas_import_into_a_live_gradebook_changes_only_the_scored_cells(klass, tmp_path):
    """canvas.csv applied to a course that already has other grades, by the model of Canvas's
    importer in canvas_importer.py: only cells dlgrade scored change, nothing is created."""
    tmp, r8, r9, roster, manual = klass
    roster = write_csv(tmp / "roster_ids.csv", ROSTER_HEADER + ["canvas_id"], [
        ["alice", "Smith, Alice", "S1", "asmith", "A", "1"],
        ["bob", "Jones, Bob", "S2", "bjones", "A", ""],       # matched by SIS User ID
        ["carol", "Lee, Carol", "S3", "clee", "B", "3"],
        ["dan", "Wu, Dan", "S4", "dwu", "B", "4"],
    ])
    path = syllabus(tmp_path, with_canvas_titles(BUNDLED.replace(
        'number = 1\n', 'number = 1\ncanvas = "Homework 1 (9000)"\n', 1)))
    build_report([r8, r9], tmp / "out", manual=manual, roster=roster, syllabus=path)
    students = {1: dict(name="Smith, Alice", sis_user_id="S1", sis_login_id="asmith"),
                2: dict(name="Jones, Bob", sis_user_id="S2", sis_login_id="bjones"),
                3: dict(name="Lee, Carol", sis_user_id="S3", sis_login_id="clee"),
                4: dict(name="Wu, Dan", sis_user_id="S4", sis_login_id="dwu")}
    assignments = {9000: "Homework 1", 9001: "ANN Lab", 9002: "CNN Lab", 9003: "Proposal",
                   9004: "Final Presentation", 9100: "Quiz 1", 9101: "RNN Lab", 9102: "Attendance"}
    before = {(1, 9100): "8", (2, 9100): "7", (3, 9101): "4", (4, 9102): "1",   # other assignments
              (2, 9003): "9", (1, 9001): "6"}                                # old grades we replace
    book = Gradebook(students, assignments, before)
    changes = book.apply(tmp / "out" / "canvas.csv")
    assert book.created == []                             # every header matched an assignment
    # alice: week01 1, week08 7 (over 6), week09 3.75, week12 9.5, week17 28; bob: labs only;
    # carol: labs; dan: week17 only. Every changed cell is one dlgrade scored.
    expected = {(1, 9000): ("", "1"), (1, 9001): ("6", "7"), (1, 9002): ("", "3.75"),
                (1, 9003): ("", "9.5"), (1, 9004): ("", "28"),
                (2, 9001): ("", "7.5"), (2, 9002): ("", "1.6667"),
                (3, 9001): ("", "10"), (3, 9002): ("", "5"),
                (4, 9004): ("", "12")}
    # One exception, which is Canvas's behaviour and documented in the README: bob has a
    # Proposal grade typed into Canvas, and the proposal column is in the file (alice has a
    # score) with bob's cell empty. Canvas's importer counts blank-over-a-grade as a change and
    # its preview highlights it as a removal before anything is saved.
    assert changes == {**expected, (2, 9003): ("9", "")}
    for cell, grade in before.items():                    # every other grade is still there
        if cell != (2, 9003):
            assert book.grades[cell] == expected.get(cell, (None, grade))[1]
    # Future weeks (10, 11, 13-16) and the other assignments were never in the file.
    assert {aid for _, aid in changes} == {9000, 9001, 9002, 9003, 9004}
    # The per-week files hold no empty cell: imported one by one, they change exactly the
    # scored cells and leave bob's Canvas-only proposal grade alone.
    book = Gradebook(students, assignments, before)
    files = sorted((tmp / "out" / "canvas-by-week").glob("*.csv"))
    assert [f.name for f in files] == ["week01.csv", "week08.csv", "week09.csv", "week12.csv", "week17.csv"]
    changes = {}
    for path in files:
        assert all(all(cell != "" for cell in row[5:]) for row in read_csv(path))
        changes.update(book.apply(path))
    assert changes == expected and book.created == []
    assert all(book.grades[cell] == expected.get(cell, (None, grade))[1] for cell, grade in before.items())


def test_the_demo_canvas_csv_with_its_zeros_would_overwrite_grades(tmp_path):
    """The regression this export fixes, shown with the same model: the old canvas.csv of the
    demo (every unscored week 0, bare weekNN headers) creates 15 assignments and writes 0s."""
    old = DATA / "canvas_from_demo.csv"
    if not old.exists():
        pytest.skip("the old export is kept in ../shared/cases only")
    book = Gradebook({2027001 + i: dict(name="", sis_user_id=str(2027001 + i), sis_login_id="") for i in range(14)},
                     {}, {})
    book.apply(old)
    assert len(book.created) == 15


# ---- --syllabus ---------------------------------------------------------------------------

BAD_SYLLABI = [
    (lambda t: t.replace("points = 5\n", "pionts = 5\n", 1), ["unknown key 'pionts'"]),
    (lambda t: t.replace('due = "2027-04-30T23:59"', 'due = "next friday"'), ["[lab.week09]", "ISO date"]),
    (lambda t: t.replace('date = "4/23"', 'date = "23.4."'), ["[[week]] #9", "month/day"]),
    (lambda t: t.replace("total_points = 105", "total_points = 100"), ["add up to 105", "says 100"]),
    (lambda t: t.replace("number = 9\n", 'number = 9\ncanvas = ""\n', 1), ["canvas must be"]),
    (lambda t: t + "\n[late_policy]\nper_day = 10\n", ["[late_policy]", "per_day", "between 0 and 1"]),
    (lambda t: t + "\n[late_policy]\nper_day = 0.1\nmax = 0.5\n", None),
    (lambda t: t.replace("number = 8\n", 'number = 8\ncanvas = "Lab"\n', 1)
              .replace("number = 9\n", 'number = 9\ncanvas = "Lab"\n', 1), ["share the Canvas title 'Lab'"]),
    (lambda t: t.replace("[lab.week09]\nweek = 9", "[lab.week09]\nweek = 8"), ["already graded by lab week08"]),
    (lambda t: t + "\n[[week]\n", ["not a valid TOML file"]),
    (lambda t: t.replace('year = 2027', 'year = 2027\ntimezone = "Mars/Olympus"'), ["timezone"]),
]


@pytest.mark.parametrize("edit, fragments", BAD_SYLLABI)
def test_syllabus_errors_are_one_line(tmp_path, klass, capsys, edit, fragments):
    from autograder import cli

    tmp, r8, r9, roster, manual = klass
    path = syllabus(tmp_path, edit(BUNDLED))
    code = cli.main(["report", "--out", str(tmp / "out"), "--syllabus", str(path), str(r8)])
    err = capsys.readouterr().err
    if fragments is None:
        assert code == 0, err
        return
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err
    for fragment in fragments:
        assert fragment in err, err


def test_missing_syllabus_is_one_line_for_grade_and_report(tmp_path, capsys):
    from autograder import cli

    nowhere = tmp_path / "nope.toml"
    assert cli.main(["report", "--out", str(tmp_path / "o"), "--syllabus", str(nowhere), str(tmp_path)]) == 2
    assert cli.main(["grade", "--assignment", "week09", "--out", str(tmp_path / "r"),
                     "--syllabus", str(nowhere), str(tmp_path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all("cannot read syllabus" in line and "nope.toml" in line for line in lines)


def test_a_terms_syllabus_changes_points_and_columns(tmp_path):
    """A term where week 9 is worth 10 and week 17 does not exist: the report follows it."""
    text = BUNDLED.replace("total_points = 105", "total_points = 80")
    text = text.replace('content = "Convolutional Neural Network (CNN) & CNN Labs"\n'
                        'graded_work = "In class hands-on"\npoints = 5',
                        'content = "Convolutional Neural Network (CNN) & CNN Labs"\n'
                        'graded_work = "In class hands-on"\npoints = 10')
    text = text.replace('graded_work = "Final Presentation"\npoints = 30', 'graded_work = "Final Presentation"\npoints = 0')
    path = syllabus(tmp_path, text)
    simple_result(tmp_path / "r9", "zoe", "week09", 2.5, 5)     # half of the raw maximum -> 5 of 10
    build_report([tmp_path / "r9"], tmp_path / "out", syllabus=path)
    header, book, data = gradebook(tmp_path / "out")
    assert "week17" not in header and data[0][header.index("week09")] == "10"
    assert book["zoe"]["week09"] == "5" and data[0][-1] == "80"


# ---- roster canvas_id: a Canvas zip, a folder and manual scores in one row ----------------

def test_canvas_ids_and_file_names_meet_in_one_row(tmp_path):
    """Week 8 graded from a folder (ids = file names), week 9 from a Canvas zip (ids = Canvas
    user ids), manual scores by roster id: one row per student (roster: examples/roster.csv)."""
    roster = DATA.parent.parent.parent / "examples" / "roster.csv"
    r8, r9 = tmp_path / "r8", tmp_path / "r9"
    simple_result(r8, "ada", "week08", 10, 10)
    simple_result(r9, "104001", "week09", 4, 5)          # ada's Canvas user id
    simple_result(r9, "104014", "week09", 1, 5)          # nora
    manual = write_csv(tmp_path / "m.csv", ["student", "week12"], [["ada", "9.5"], ["104014", "3"]])
    build_report([r8, r9], tmp_path / "out", roster=roster, manual=manual)
    _, book, data = gradebook(tmp_path / "out")
    assert len(data) == 1 + 14 and "104001" not in book
    assert (book["ada"]["week08"], book["ada"]["week09"], book["ada"]["week12"]) == ("10", "4", "9.5")
    assert (book["nora"]["week09"], book["nora"]["week12"]) == ("1", "3")
    header, _, by_sis = canvas(tmp_path / "out")
    assert by_sis["2027001"]["ID"] == "104001" and by_sis["2027001"]["week09"] == "4"


def test_gradescope_sids_join_the_roster_by_sis_user_id(tmp_path, capsys):
    """A Gradescope export names students by SID, which examples/roster.csv holds as
    sis_user_id: those results join the student's row (as a Canvas user id joins by canvas_id)."""
    from autograder import cli

    roster = DATA.parent.parent.parent / "examples" / "roster.csv"
    r8, r9 = tmp_path / "r8", tmp_path / "r9"
    simple_result(r8, "ada", "week08", 10, 10)           # a folder: ada's own id
    simple_result(r9, "2027001", "week09", 4, 5)         # Gradescope: ada's SID -> 4 points
    simple_result(r9, "104002", "week09", 2, 5)          # Canvas zip: ben's Canvas user id -> 2
    manual = write_csv(tmp_path / "m.csv", ["student", "week12"], [["2027003", "7"]])   # chen's SID
    assert cli.main(["report", "--out", str(tmp_path / "out"), "--roster", str(roster),
                     "--manual", str(manual), str(r8), str(r9)]) == 0
    assert "warning" not in capsys.readouterr().err
    _, book, data = gradebook(tmp_path / "out")
    assert len(data) == 1 + 14 and "2027001" not in book and "104002" not in book
    assert (book["ada"]["week08"], book["ada"]["week09"], book["ben"]["week09"]) == ("10", "4", "2")
    assert book["chen"]["week12"] == "7"
    _, _, by_sis = canvas(tmp_path / "out")
    assert (by_sis["2027001"]["ID"], by_sis["2027001"]["week09"]) == ("104001", "4")


def test_students_not_on_the_roster_are_kept_listed_and_left_out_of_canvas(klass, capsys):
    """A result or manual row for someone on no roster row does not stop the report: one
    warning line, a row in gradebook.csv, listed in the report, not in canvas.csv."""
    from autograder import cli

    tmp, r8, r9, roster, manual = klass
    simple_result(r8, "mallory", "week08", 5, 10)        # 5/10 * 10 -> 5
    simple_result(r9, "trent", "week09", 1, 5)           # 1/5 * 5 -> 1
    manual = write_csv(tmp / "m2.csv", ["student", "week12", "week16"], [["alice", "9.5", ""], ["zed", "4", "2"]])
    assert cli.main(["report", "--out", str(tmp / "out"), "--roster", str(roster), "--manual", str(manual),
                     str(r8), str(r9)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and "3 student(s) not on the roster" in err
    assert "mallory" in err and "trent" in err and "zed" in err
    _, book, data = gradebook(tmp / "out")
    assert [row[0] for row in data[1:]] == ["alice", "bob", "carol", "dan", "mallory", "trent", "zed"]
    assert (book["mallory"]["week08"], book["mallory"]["total"]) == ("5", "5")
    assert (book["trent"]["week09"], book["zed"]["week12"], book["zed"]["total"]) == ("1", "4", "6")
    text = (tmp / "out" / "canvas.csv").read_text()
    assert not any(name in text for name in ("mallory", "trent", "zed"))
    header = read_csv(tmp / "out" / "canvas.csv")[0]
    assert "week16" not in header                        # only zed has week16: nobody Canvas can match
    for path in (tmp / "out" / "canvas-by-week").glob("*.csv"):
        assert not any(name in path.read_text() for name in ("mallory", "trent", "zed"))
    assert not (tmp / "out" / "canvas-by-week" / "week16.csv").exists()
    report = (tmp / "out" / "report.html").read_text()
    assert "Not on the roster (3)" in report
    for name in ("mallory", "trent", "zed"):
        assert f'{name}</a>: not on the roster</li>' in report


CANVAS_EXPORT_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "CNN Lab (9002)"]


@pytest.mark.parametrize("header", [
    CANVAS_EXPORT_HEADER,                                                    # saved from Canvas as is
    ["student", "id", "sis_user_id", "sis login id", "SECTION", "CNN Lab (9002)"],   # retyped
])
def test_a_roster_saved_from_canvas_gradebook_export(tmp_path, header):
    """Canvas's export: Student is the name, ID the Canvas user id; no dlgrade 'student' column.
    Results named by Canvas user id or by SID (sis_user_id) join the rows."""
    roster = write_csv(tmp_path / "canvas_export.csv", header, [
        ["    Points Possible", "", "", "", "", "5"],
        ["Lovelace, Ada", "104001", "2027001", "alovelace", "EI320A-01", "3"],
        ["Okafor, Ben", "104002", "2027002", "bokafor", "EI320A-01", ""],
        ["Chen, Wei", "104003", "2027003", "wchen", "EI320A-02", ""],
    ])
    [ada, ben, chen] = load_roster(roster)
    assert (ada.student, ada.name, ada.canvas_id, ada.sis_user_id, ada.sis_login_id, ada.section) == (
        "104001", "Lovelace, Ada", "104001", "2027001", "alovelace", "EI320A-01")
    r9 = tmp_path / "r9"
    simple_result(r9, "104001", "week09", 4, 5)          # Canvas zip
    simple_result(r9, "2027002", "week09", 2.5, 5)       # Gradescope export (SID)
    build_report([r9], tmp_path / "out", roster=roster)
    _, book, data = gradebook(tmp_path / "out")
    assert [row[0] for row in data[1:]] == ["104001", "104002", "104003"]
    assert (book["104001"]["week09"], book["104002"]["week09"], book["104003"]["week09"]) == ("4", "2.5", "0")
    _, _, by_sis = canvas(tmp_path / "out")
    assert (by_sis["2027001"]["Student"], by_sis["2027001"]["ID"], by_sis["2027001"]["week09"]) == (
        "Lovelace, Ada", "104001", "4")
    assert by_sis["2027002"]["week09"] == "2.5" and by_sis["2027003"]["week09"] == ""


def test_a_roster_without_student_or_canvas_id_names_both_layouts(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["Name", "SIS User ID", "SIS Login ID", "Section"], [["A", "1", "a", "X"]])
    with pytest.raises(ReportError, match=r"no column 'student'.*Student,ID,SIS User ID,SIS Login ID,Section"):
        load_roster(path)


def test_the_same_student_from_a_zip_and_a_folder_is_an_error(tmp_path):
    roster = DATA.parent.parent.parent / "examples" / "roster.csv"
    simple_result(tmp_path / "zip", "104001", "week09", 4, 5)
    simple_result(tmp_path / "folder", "ada", "week09", 5, 5)
    with pytest.raises(ReportError, match="a second week09 result for 'ada'"):
        build_report([tmp_path / "zip", tmp_path / "folder"], tmp_path / "out", roster=roster)


def test_roster_keyed_by_canvas_id_works_without_a_canvas_id_column(tmp_path):
    simple_result(tmp_path / "r9", "104004", "week09", 2, 5)
    build_report([tmp_path / "r9"], tmp_path / "out", roster=DATA / "roster_keyed_by_canvas_id.csv")
    _, by_sis = canvas(tmp_path / "out")[1:]
    assert by_sis["2027004"]["ID"] == "104004" and by_sis["2027004"]["week09"] == "2"


@pytest.mark.parametrize("rows, fragment", [
    ([["ada", "A", "1", "a", "X", "104001"], ["bob", "B", "2", "b", "X", "104001"]], "repeats canvas_id '104001'"),
    ([["ada", "A", "1", "a", "X", "bob"], ["bob", "B", "2", "b", "X", ""]], "not a Canvas user id"),
    ([["ada", "A", "1", "a", "X", "104002"], ["104002", "B", "2", "b", "X", ""]], "is the id of another student"),
])
def test_bad_canvas_ids_in_the_roster(tmp_path, rows, fragment):
    path = write_csv(tmp_path / "r.csv", ROSTER_HEADER + ["canvas_id"], rows)
    with pytest.raises(ReportError, match=fragment):
        load_roster(path)


# ---- forgiving TA CSVs --------------------------------------------------------------------

EXAMPLE_MANUAL = DATA.parent.parent.parent / "examples" / "manual.csv"


@pytest.mark.parametrize("name", ["manual_semicolon.csv", "manual_semicolon_commadecimal.csv",
                                  "manual_commadecimal_quoted.csv", "manual_header_Student.csv"])
def test_european_excel_manual_files_read_like_the_plain_one(name):
    expected = load_manual(EXAMPLE_MANUAL, course.load())
    assert expected["ben"]["week03"] == 4.5 and expected["ada"]["week12"] == 9.5
    assert load_manual(DATA / name, course.load()) == expected


def test_excused_is_no_score(tmp_path):
    scores = load_manual(DATA / "manual_excused.csv", course.load())
    assert "week01" not in scores["eli"] and scores["eli"]["week02"] == 4
    assert scores["jo"]["week01"] == 0                     # a real 0 is kept
    simple_result(tmp_path / "r9", "eli", "week09", 5, 5)
    build_report([tmp_path / "r9"], tmp_path / "out", manual=DATA / "manual_excused.csv")
    rows = {r[0]: dict(zip(read_csv(tmp_path / "out" / "canvas.csv")[0], r))
            for r in read_csv(tmp_path / "out" / "canvas.csv")[2:]}
    assert rows["eli"]["week01"] == "" and rows["jo"]["week01"] == "0"


def test_extra_columns_are_ignored_and_named(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Student;Name;Week12;Total\nada;Ada L;9,5;99\n", encoding="utf-8")
    notes = []
    assert load_manual(path, course.load(), None, notes) == {"ada": {"week12": 9.5}}
    assert notes == ["ignored columns: name, total"]
    simple_result(tmp_path / "r9", "ada", "week09", 5, 5)
    build_report([tmp_path / "r9"], tmp_path / "out", manual=path)
    assert "ignored columns: name, total" in (tmp_path / "out" / "report.html").read_text()


def test_roster_with_semicolons_and_capitals(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeffStudent;Name;SIS_User_ID;SIS_Login_ID;Section;Email\nada;Lovelace, Ada;1;a;X;a@x\n",
                    encoding="utf-8")
    [ada] = load_roster(path)
    assert (ada.student, ada.name, ada.section) == ("ada", "Lovelace, Ada", "X")


def test_cp1252_roster_gets_a_one_line_hint_with_the_line(tmp_path, capsys):
    from autograder import cli

    simple_result(tmp_path / "r9", "ada", "week09", 5, 5)
    code = cli.main(["report", "--out", str(tmp_path / "out"), "--roster", str(DATA / "roster_cp1252.csv"),
                     str(tmp_path / "r9")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "codec" not in err
    # "Müller" is on line 13 of the file, in cp1252 (byte 0xfc)
    assert "roster_cp1252.csv: line 13 is not UTF-8" in err and "CSV UTF-8" in err


# ---- dlgrade grade: --syllabus and extra_data.late ----------------------------------------

def test_grade_uses_the_terms_points(tmp_path, monkeypatch):
    """`dlgrade grade --syllabus` grades against the term's points (week 9 worth 10 here)."""
    from autograder import cli

    monkeypatch.setenv(course.ENVIRONMENT, str(course.DEFAULT_SYLLABUS))   # restored afterwards
    text = BUNDLED.replace("total_points = 105", "total_points = 110").replace(
        'content = "Convolutional Neural Network (CNN) & CNN Labs"\ngraded_work = "In class hands-on"\npoints = 5',
        'content = "Convolutional Neural Network (CNN) & CNN Labs"\ngraded_work = "In class hands-on"\npoints = 10')
    path = syllabus(tmp_path, text)
    ada = DATA.parent.parent.parent / "examples" / "class" / "week09" / "ada.py"
    assert cli.main(["grade", "--assignment", "week09", "--jobs", "1", "--syllabus", str(path),
                     "--out", str(tmp_path / "r"), str(ada)]) == 0
    result = __import__("json").loads((tmp_path / "r" / "ada.json").read_text())
    assert result["extra_data"]["max_score"] == 10 and result["score"] == 10
    assert result["extra_data"]["options"]["syllabus"]          # a term's syllabus is part of the cache key
    assert result["extra_data"]["late"] is None                  # a plain file: nobody knows when


@pytest.fixture
def utc():
    """Local time = UTC (due dates without a timezone are local time), restored afterwards."""
    import os
    import time

    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("name, marker, submitted_at, expected", [
    ("doejane_LATE_123456_7890123_week09.ipynb", None, None, True),       # Canvas's marker
    ("doejane_123456_7890123_week09.ipynb", None, None, False),           # Canvas, no marker: on time
    ("week09.ipynb", True, None, True),                                   # intake's Submission.late
    ("week09.ipynb", None, "2027-05-01T00:00:00", True),                  # after 2027-04-30T23:59
    ("week09.ipynb", None, "2027-04-30T23:58:00", False),
    ("week09.ipynb", None, "2027-04-30 23:00:00.123 -0700", True),        # Gradescope's format, UTC-7
    ("week09.ipynb", None, "not a time", None),
    ("week09.ipynb", None, None, None),
])
def test_late_is_true_false_or_unknown(name, marker, submitted_at, expected, utc):
    import types

    from autograder import grade

    submission = types.SimpleNamespace(path=__import__("pathlib").Path("/x") / name, late=marker,
                                       submitted_at=submitted_at)
    assert grade._late(submission, "week09")[0] is expected


def test_canvas_csv_keeps_formula_like_names_and_sections_as_text(tmp_path):
    # The review's case: a name that closes the "=\"...\"" quoting and appends a formula.
    r8 = tmp_path / "r8"
    simple_result(r8, "alice", "week08", 7, 10)
    name, section = '-"&HYPERLINK("http://127.0.0.1/x","click")&"', "=1+1"
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [["alice", name, "S1", "asmith", section]])
    build_report([r8], tmp_path / "out", roster=roster)
    with open(tmp_path / "out" / "canvas.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    literal = re.compile(r'^="((?:[^"]|"")*)"$')      # one spreadsheet string literal, nothing after it
    for cell, text in ((rows[2][0], name), (rows[2][4], section)):
        match = literal.match(cell)
        assert match, cell
        assert match.group(1).replace('""', '"') == text
