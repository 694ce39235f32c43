"""The gradebook's numbers, derived by hand from synthetic result files, and the input checks.

Every expected number below is worked out in the comment next to it from the syllabus
(week08: 10 points, week09: 5, week12: 10, week17: 30; 105 in all) and the raw scores
chosen in the test, not read back from the code under test.
"""
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
    simple_result(r9, "bob", "week09", 1, 3)          # 1/3 * 5 = 1.666.. -> 1.67
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
    assert (bob["week08"], bob["week09"], bob["total"]) == ("7.5", "1.67", "9.17")
    assert (carol["week08"], carol["week09"], carol["total"]) == ("10", "5", "15")
    # dan: on the roster, no results; only week17 from the manual file
    assert all(dan[w] == "0" for w in WEEKS if w != "week17")
    assert (dan["week17"], dan["total"]) == ("12", "12")
    # weeks nobody scored stay 0 for everyone
    assert {book[s]["week10"] for s in ("alice", "bob", "carol", "dan")} == {"0"}


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
    simple_result(tmp / "r99", "alice", "week99", 1, 5)
    return dict(results=[tmp / "r99"]), ["alice.json", "unknown assignment 'week99'", "week08, week09"]


def _twice(tmp, r8, r9, roster, manual):
    simple_result(tmp / "again", "alice", "week08", 9, 10)
    return dict(results=[r8, tmp / "again"]), ["second result", "'alice'", "week08", "r8"]


def _no_folder(tmp, r8, r9, roster, manual):
    return dict(results=[tmp / "nope"]), ["nope", "no such folder"]


def _empty_folder(tmp, r8, r9, roster, manual):
    (tmp / "empty").mkdir()
    return dict(results=[r8, tmp / "empty"]), ["empty", "no result files (*.json)"]


def _result_not_on_roster(tmp, r8, r9, roster, manual):
    simple_result(r8, "mallory", "week08", 5, 10)
    return dict(results=[r8], roster=roster), ["mallory.json", "'mallory' is not on the roster"]


def _manual(header, row):
    def setup(tmp, r8, r9, roster, manual):
        path = write_csv(tmp / "bad.csv", header, [row])
        return dict(results=[r8], manual=path, roster=roster), None
    return setup


MANUAL_CASES = [
    (["student", "week06"], ["alice", "1"], ["bad.csv", "unknown column 'week06'", "week01"]),
    (["student", "homework"], ["alice", "1"], ["unknown column 'homework'"]),
    (["student", "week08"], ["alice", "5"], ["'week08' is scored by the autograder (week08)"]),
    (["student", "week01"], ["alice", "2"], ["line 2", "week01 of 'alice' is 2", "outside 0..1"]),
    (["student", "week17"], ["alice", "-1"], ["week17 of 'alice' is -1", "outside 0..30"]),
    (["student", "week12"], ["alice", "abc"], ["week12 of 'alice' is 'abc', not a number"]),
    (["student", "week12"], ["alice", "nan"], ["'nan', not a number"]),
    (["student", "week12"], ["mallory", "5"], ["line 2", "'mallory' is not on the roster"]),
    (["name", "week12"], ["alice", "5"], ["no 'student' column"]),
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
    "missing folder": _no_folder, "empty folder": _empty_folder, "result not on roster": _result_not_on_roster,
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
