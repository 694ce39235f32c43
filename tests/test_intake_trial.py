"""What a TA's trial run found (tafix): each test is one finding, end to end where it was seen.

Stand-in judge of test_grade_cli (no sandbox); the report tests build result files directly.
"""
import pytest

from autograder import cli, results
from autograder.report import build_report
from autograder.report.roster import load_roster
from autograder.submissions import ids

from report_helpers import ROSTER_HEADER, read_csv, simple_result, write_csv
from test_grade_cli import _nb
from test_intake_messy import FULL, RELU, _rows, fake, listed, load_results, run_grade  # noqa: F401


# ------------------------------------------------------------------ 1. case variants of a roster name


def test_the_lower_case_name_keeps_the_plain_id_whatever_the_order(tmp_path, fake):
    """ada.py + ADA.py in the class folder and a resubmission late/ada.py: the roster's ada
    is graded as ada (her resubmission), ADA gets the suffix; the same for any input order."""
    cls, late = tmp_path / "class", tmp_path / "late"
    cls.mkdir()
    late.mkdir()
    (cls / "ada.py").write_text(RELU)
    (cls / "ADA.py").write_text(FULL)
    (late / "ada.py").write_text(FULL)
    for n, inputs in enumerate([(cls, late), (late, cls)]):
        out = tmp_path / f"out{n}"
        assert run_grade(out, *inputs) == 0
        rows = _rows(out)
        assert set(rows) == {"ada", "ADA-8a15fe"}
        assert load_results(out)["ada"]["extra_data"]["raw_id"] == "ada"
    assert ids.unique_ids(["ADA", "Ada", "ada"]) == {"ada": "ada", "ADA": ids._suffixed("ADA", "ADA"),
                                                     "Ada": ids._suffixed("Ada", "Ada")}
    assert ids.unique_ids(["Ada", "ADA"])["ADA"] == "ADA"          # no lower-case one: code-point order
    assert ids.unique_ids(["a b", "A_B", "a_b"])["a_b"] == "a_b"   # clean first, then lower case


def test_a_results_folder_keeps_its_ids_under_the_new_rule(tmp_path, fake):
    """A folder graded by the old rule (ADA plain, ada suffixed) keeps those ids."""
    out, subs = tmp_path / "out", tmp_path / "subs"
    subs.mkdir()
    out.mkdir()
    results.write_result(out, "ADA", {"score": 1.0, "tests": [], "extra_data": {
        "student": "ADA", "assignment": "week08", "raw_id": "ADA"}})
    (subs / "ada.py").write_text(RELU)
    (subs / "ADA.py").write_text(FULL)
    assert run_grade(out, subs) == 0
    assert set(_rows(out)) == {"ADA", "ada-fdee43"}


def _result_folder(tmp_path, students):
    folder = tmp_path / "r8"
    for student in students:
        simple_result(folder, student, "week08", 5, 10)
    return folder


def test_an_off_roster_variant_of_a_roster_student_is_named(tmp_path, capsys):
    folder = _result_folder(tmp_path, ["ada", "ada-fdee43", "ADA", "zed", "bo-cafe12cafe12"])
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [
        ["ada", "Lovelace, Ada", "S1", "alove", "A"], ["bo", "Bo, Bo", "S2", "bbo", "A"]])
    assert cli.main(["report", "--out", str(tmp_path / "rep"), "--roster", str(roster), str(folder)]) == 0
    err = capsys.readouterr().err
    assert "ada-fdee43 (looks like roster student ada)" in err
    assert "ADA (looks like roster student ada)" in err
    assert "bo-cafe12cafe12 (looks like roster student bo)" in err
    assert "zed," not in err and err.rstrip().endswith("zed")          # no guess for zed
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "ada-fdee43</a>: not on the roster (looks like roster student ada" in page
    assert "zed</a>: not on the roster</li>" in page


# ------------------------------------------------------------------ 2. rows from earlier runs


def test_the_summary_says_how_many_rows_come_from_earlier_runs(tmp_path, fake, capsys):
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    first.mkdir()
    second.mkdir()
    for name in ("ada", "bo", "cy"):
        (first / f"{name}.py").write_text(RELU)
    (second / "dee.py").write_text(FULL)
    (second / "ada.py").write_text(FULL)
    assert run_grade(out, first) == 0
    assert "from earlier runs" not in capsys.readouterr().out
    assert run_grade(out, second) == 0
    lines = capsys.readouterr().out.splitlines()
    assert set(_rows(out)) == {"ada", "bo", "cy", "dee"}
    assert f"dlgrade grade: scores: {out / 'scores.csv'}: 4 student(s), 2 of them from earlier runs " \
           "(not in these inputs: bo, cy; grade into an empty --out folder to start clean)" in lines


# ------------------------------------------------------------------ 3. an identical on-time copy


@pytest.mark.parametrize("order", [0, 1])
def test_an_identical_on_time_copy_makes_the_work_on_time(tmp_path, fake, order):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    on_time, late = "brunokim_1002_5002_week08.ipynb", "brunokim_LATE_1002_5002_week08-1.ipynb"
    for name in (on_time, late)[::1 if order else -1]:
        (subs / name).write_text(_nb(FULL))
    (subs / "carla_LATE_1003_5003_week08.ipynb").write_text(_nb(FULL))          # late, no copy
    (subs / "dan_1004_5004_week08.ipynb").write_text(_nb(RELU))                  # different: the
    (subs / "dan_LATE_1004_5004_week08-1.ipynb").write_text(_nb(FULL))           # late one counts
    assert run_grade(out, subs) == 0
    found = load_results(out)
    assert found["1002"]["extra_data"]["late"] is False
    assert found["1002"]["score"] == 10
    assert found["1002"]["extra_data"]["upload"] == str(subs / on_time)
    assert any("identical copy" in n and "counted once" in n for n in found["1002"]["extra_data"]["notes"])
    assert found["1003"]["extra_data"]["late"] is True
    assert found["1004"]["extra_data"]["late"] is True and found["1004"]["score"] == 10


# ------------------------------------------------------------------ 4. Canvas login ids, test student


# ------------------------------------------------------------------ 5. the passed-over reason


def test_a_lone_html_is_passed_over_with_the_students_own_reason(tmp_path, fake):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "olga").mkdir(parents=True)
    (subs / "olga" / "week08.html").write_text("<html></html>")
    (subs / "bo.py").write_text(FULL)
    assert run_grade(out, subs) == 0
    problem = load_results(out)["olga"]["output"]
    assert "only: week08.html; submit week08.ipynb itself" in problem
    [(student, where, reason)] = [row for row in listed(out) if row[0] == "olga"]
    assert where.endswith("week08.html") and reason in problem
    assert "no rule decides" not in reason


CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "CNN Lab (555)"]


def test_manual_rows_and_results_join_the_roster_by_sis_login_id(tmp_path):
    r8 = tmp_path / "r8"
    simple_result(r8, "bokafor", "week08", 10, 10)                # a folder named by login
    simple_result(r8, "2027001", "week08", 5, 10)                 # a Gradescope SID
    roster = write_csv(tmp_path / "roster.csv", CANVAS_HEADER, [
        ["Points Possible", "", "", "", "", "5"],
        ["Lovelace, Ada", "104001", "2027001", "alovelace", "A", ""],
        ["Okafor, Ben", "104002", "2027002", "bokafor", "A", ""],
        ["Cohen, Eli", "104005", "2027005", "2027001", "A", ""],   # a login that is another's SID
    ])
    manual = write_csv(tmp_path / "manual.csv", ["student", "week01"], [["alovelace", "1"], ["ecohen", "0"]])
    rows = {r.student: r for r in build_report(
        [r8], tmp_path / "out", manual=manual, roster=roster)}
    assert rows["104002"].points["week08"] is not None and rows["104002"].on_roster
    assert rows["104001"].points["week08"] is not None                  # SID before login
    assert rows["104005"].points["week08"] is None
    assert rows["104001"].points["week01"] == 1
    assert not rows["ecohen"].on_roster                                 # unknown login: warned
    assert set(rows) == {"104001", "104002", "104005", "ecohen"}


@pytest.mark.parametrize("name", ["Test Student", "Student, Test", "student,test"])
def test_canvas_test_student_counts_in_no_mean_and_no_upload(tmp_path, name):
    r8 = tmp_path / "r8"
    simple_result(r8, "104001", "week08", 10, 10)
    simple_result(r8, "999999", "week08", 0, 10)                  # Student View handed in
    roster = write_csv(tmp_path / "roster.csv", CANVAS_HEADER, [
        ["Lovelace, Ada", "104001", "2027001", "alovelace", "A", ""],
        ["Student, Real", "104002", "2027002", "rstudent", "A", ""],
        [name, "999999", "", "", "", ""],
        ["Test Student", "104003", "2027003", "tstudent", "A", ""],    # a real person of that name
    ])
    manual = write_csv(tmp_path / "manual.csv", ["student", "week01"], [["999999", "0"], ["alovelace", "1"]])
    assert cli.main(["report", "--out", str(tmp_path / "out"), "--roster", str(roster),
                     "--manual", str(manual), str(r8)]) == 0
    out = tmp_path / "out"
    students = [row[0] for row in read_csv(out / "gradebook.csv")[2:]]
    assert students == ["104001", "104002", "104003"]                   # no 999999, not off-roster
    canvas_ids = [row[1] for row in read_csv(out / "canvas.csv")[1:]]
    assert "999999" not in canvas_ids and "104003" in canvas_ids
    page = (out / "report.html").read_text()
    assert page.count("Student View user") == 1 and "999999.html" not in page
    assert not (out / "feedback" / "999999.html").exists()
    left_out = []
    assert [s.student for s in load_roster(roster, left_out)] == ["104001", "104002", "104003"]
    assert [s.student for s in left_out] == ["999999"]
