"""``dlgrade report`` end to end: the CLI, the Canvas export, and report.html / feedback pages."""
import html
import subprocess
import sys

import pytest

from autograder import cli
from report_helpers import ROSTER_HEADER, read_csv, simple_result, make_test, write_csv, write_result

SCRIPT = "<script>alert('pwned')</script>"


@pytest.fixture
def klass(tmp_path):
    r8, r9 = tmp_path / "r8", tmp_path / "r9"
    # week08: alice passes relu, fails dense with hostile output, times out in softmax.
    write_result(r8, "alice", "week08", [
        make_test("relu", "1.1", 3, 3),
        make_test("dense", "2.1", 0, 4, "wrong values", f"max abs error 0.5 at [0, 1] {SCRIPT}"),
        make_test("softmax", "3.1", 0, 3, "timed out", "took longer than 12.5 s"),
    ], output=f"line 3: import matplotlib failed {SCRIPT}")
    write_result(r8, "2001", "week08", [           # a numeric (Canvas) user id
        make_test("relu", "1.1", 3, 3),
        make_test("dense", "2.1", 0, 4, "wrong values", f"max abs error 0.5 at [0, 1] {SCRIPT}"),
        make_test("softmax", "3.1", 3, 3),
    ])
    # week09: a hidden test worth 1.25 that bob passed, and a policy violation.
    write_result(r9, "bob", "week09", [
        make_test("conv2d", "1.1", 3.75, 3.75),
        make_test("cnn_forward", "5.1", 1.25, 1.25, visibility="hidden"),
    ], isolation="rlimits")
    write_result(r9, "alice", "week09", [
        make_test("conv2d", "1.1", 0, 3.75, "policy violation", "import scipy is not allowed"),
        make_test("cnn_forward", "5.1", 0, 1.25, "not implemented", ""),
    ])
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [
        ["alice", "<b>Smith</b>, Alice", "S1", "asmith", "Sec A"],
        ["2001", "=HYPERLINK(\"x\"), Eve", "S2", "eve", "Sec A"],
        ["bob", "Jones, Bob", "S3", "bjones", "Sec B"],
        ["dan", "Wu, Dan", "S4", "dwu", "Sec B"],
    ])
    manual = write_csv(tmp_path / "manual.csv", ["student", "week17"], [["bob", "27.5"]])
    return tmp_path, r8, r9, roster, manual


def report(tmp, *args):
    return cli.main(["report", "--out", str(tmp / "out"), *map(str, args)])


def test_cli_writes_all_outputs_and_says_where(klass, capsys):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    out = capsys.readouterr().out
    assert "4 students" in out and "report.html" in out
    for name in ("gradebook.csv", "canvas.csv", "report.html", "feedback/alice.html",
                 "feedback/bob.html", "feedback/dan.html", "feedback/2001.html"):
        assert (tmp / "out" / name).is_file(), name


def test_canvas_csv_has_canvas_import_layout(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    rows = read_csv(tmp / "out" / "canvas.csv")
    header = rows[0]
    # Canvas's importer needs these five student columns first, "Section" last among them.
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    # only the weeks someone has a score for: the two labs and week17 (manual)
    assert header[5:] == ["week08", "week09", "week17"]
    assert "total" not in header          # Canvas would import a total column as an assignment
    # Points Possible row as Canvas's exporter writes it: 4 leading spaces, empty id cells.
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "5", "30"]
    by_login = {r[3]: dict(zip(header, r)) for r in rows[2:]}
    assert set(by_login) == {"asmith", "eve", "bjones", "dwu"}
    bob = by_login["bjones"]
    # bob: week09 3.75 + 1.25 = 5 of 5 raw -> 5 points; week17 27.5 from the manual file
    assert (bob["Student"], bob["SIS User ID"], bob["Section"]) == ("Jones, Bob", "S3", "Sec B")
    assert (bob["week09"], bob["week17"], bob["week08"]) == ("5", "27.5", "")   # no week08 result: empty
    # alice: week08 3 of 10 -> 3 points. Her id is not a Canvas user id, so ID stays empty.
    assert (by_login["asmith"]["week08"], by_login["asmith"]["ID"]) == ("3", "")
    assert by_login["eve"]["ID"] == "2001"          # a numeric id is a Canvas user id
    assert by_login["eve"]["week08"] == "6"         # 3 + 3 of 10
    # a name that a spreadsheet would run as a formula is quoted, as Canvas's exporter does
    assert by_login["eve"]["Student"].startswith('="=HYPERLINK')


def test_report_html_escapes_student_text_everywhere(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    for page in ["report.html", "feedback/alice.html", "feedback/2001.html"]:
        text = (tmp / "out" / page).read_text()
        assert SCRIPT not in text, page
        assert "<b>Smith</b>" not in text, page
    feedback = (tmp / "out" / "feedback" / "alice.html").read_text()
    assert html.escape(SCRIPT, quote=False) in feedback or "&lt;script&gt;" in feedback
    assert "&lt;b&gt;Smith&lt;/b&gt;, Alice" in feedback
    assert "line 3: import matplotlib failed" in feedback       # the load problems are shown


def test_report_html_sections(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    text = (tmp / "out" / "report.html").read_text()
    for anchor in ('id="summary"', 'id="items"', 'id="flags"', 'id="students"', 'id="warnings"',
                   'id="plot-hist-week08"', 'id="plot-hist-week09"', 'id="plot-hist-total"',
                   'id="plot-items-week08"', 'id="plot-items-week09"'):
        assert anchor in text, anchor
    assert text.count("data:image/png;base64,") == 5
    # item analysis: dense failed for both week08 students with the same (truncated) message
    assert "0/2 (0%)" in text and "wrong values" in text and "(×2)" in text
    # relu passed for both
    assert "2/2 (100%)" in text
    # flags: alice timed out in week08 and broke the import policy in week09; bob not flagged
    flags = text.split('id="flags"')[1].split('id="late"')[0]
    assert "timed out" in flags and "policy violation" in flags
    assert "feedback/alice.html" in flags and "feedback/bob.html" not in flags
    # weak isolation warning names the level
    assert "weak isolation (rlimits)" in text
    # students link to their pages; dan (no work) is listed with total 0
    assert 'href="feedback/dan.html"' in text


def test_feedback_hides_hidden_tests_but_counts_them(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    bob = (tmp / "out" / "feedback" / "bob.html").read_text()
    assert "conv2d: property 1.1" in bob
    assert "cnn_forward: property 5.1" not in bob
    assert "1 hidden test(s)" in bob
    assert "5 of 5 points" in bob                      # 3.75 + 1.25 hidden
    dan = (tmp / "out" / "feedback" / "dan.html").read_text()
    assert "No submission was graded for this lab: 0 of 10 points" in dan


def test_student_ids_cannot_escape_the_feedback_folder(tmp_path, capsys):
    folder = tmp_path / "r8"
    simple_result(folder, "../../evil", "week08", 10, 10, name="evil")
    simple_result(folder, "..", "week08", 1, 10, name="dots")
    assert cli.main(["report", "--out", str(tmp_path / "out"), str(folder)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.html"))
    assert all(str(p).startswith("out") for p in written)
    assert len(list((tmp_path / "out" / "feedback").glob("*.html"))) == 2


def test_cli_error_is_one_line_with_exit_code_2(klass, capsys):
    tmp, r8, r9, roster, manual = klass
    bad = write_csv(tmp / "bad.csv", ["student", "week08"], [["alice", "5"]])
    assert report(tmp, "--manual", bad, r8) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlgrade report: error: ") and err.count("\n") == 1
    assert "scored by the autograder" in err and "Traceback" not in err


def test_cli_error_in_a_real_process_has_no_traceback(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x.json").write_text("[1, 2]")
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", "--out", str(tmp_path / "o"),
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "x.json: not a dlgrade result file (the top level is not an object)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_same_inputs_give_the_same_outputs(klass):
    tmp, r8, r9, roster, manual = klass
    outputs = []
    for name in ("a", "b"):
        assert cli.main(["report", "--out", str(tmp / name), "--roster", str(roster), str(r8), str(r9)]) == 0
        outputs.append([(tmp / name / f).read_bytes() for f in ("gradebook.csv", "canvas.csv", "report.html", "feedback/alice.html")])
    assert outputs[0] == outputs[1]


def test_item_analysis_groups_the_same_mistake_across_students(tmp_path):
    from autograder import course
    from autograder.report.analysis import item_analysis
    from autograder.report.results import load_results

    def feedback(where, got):
        # the judge's layout: test line, input listing (indented), diagnosis, hint
        return (f"Failed: softmax over the last axis.\nSmallest failing input found:\n  x: shape (1, {where})\n"
                f"Expected out[0, {where}] = 0.5, got {got} (1 of 2 values are off).\nHint: subtract the max.")

    folder = tmp_path / "r"
    for student, status, text in [("a", "wrong values", feedback(1, "nan")), ("b", "wrong values", feedback(3, "nan")),
                                  ("c", "crashed", "Your function raised an error: ValueError"),
                                  ("d", "passed", "")]:
        write_result(folder, student, "week08", [make_test("softmax", "3.1", 4 * (status == "passed"), 4, status, text)])
    [item] = item_analysis(load_results([folder], course.load()), "week08")
    assert (item.passed, item.attempts) == (1, 4)
    assert (item.top_status, item.top_status_count) == ("wrong values", 2)
    # a's and b's messages differ only in numbers: one mistake, shown without the input listing
    assert item.top_message_count == 2
    assert item.top_message == "Expected out[0, 1] = 0.5, got nan (1 of 2 values are off). Hint: subtract the max."


def test_most_common_message_is_prose_not_the_code_block(tmp_path):
    """The judge's feedback ends with a ```python block that rebuilds the case; the item
    analysis shows the diagnosis and hint, not "To reproduce it ... ```pyt…"."""
    from autograder import course
    from autograder.report.analysis import failure_message, item_analysis
    from autograder.report.results import load_results

    feedback = ("Failed: dense matches Keras Dense on golden fixtures.\nFailing case: Dense(5) with bias.\n"
                "  x: shape (4, 6), float32\nExpected out[1, 3] = -0.676268, got -1.87434 (20 of 20 values are off).\n"
                "Hint: add the bias (one value per output unit) when it is given.\n"
                "To reproduce it, run this below your functions (it rebuilds the exact inputs):\n"
                "```python\nimport numpy as np\nx = np.array([[1.0, 2.0]], dtype=np.float32)\ndense(x, kernel, bias=bias)\n```")
    expected = ("Expected out[1, 3] = -0.676268, got -1.87434 (20 of 20 values are off). "
                "Hint: add the bias (one value per output unit) when it is given.")
    assert failure_message(feedback) == expected
    folder = tmp_path / "r"
    write_result(folder, "a", "week08", [make_test("dense", "2.1", 0, 4, "wrong values", feedback)])
    [item] = item_analysis(load_results([folder], course.load()), "week08")
    assert item.top_message == expected and "```" not in item.top_message


def test_bundled_class_full_marks_student_and_manual_weeks(tmp_path):
    """Grade the bundled class's correct submissions (ada: .py, ben: notebook) with the real
    grader, then report with the bundled roster and manual scores."""
    import csv
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"
    for lab in ("week08", "week09"):
        subs = [str(examples / "class" / lab / name) for name in ("ada.py", "ben.ipynb")]
        assert cli.main(["grade", "--assignment", lab, "--out", str(tmp_path / lab), "--jobs", "1", *subs]) == 0
    assert cli.main(["report", "--out", str(tmp_path / "out"), "--roster", str(examples / "roster.csv"),
                     "--manual", str(examples / "manual.csv"), str(tmp_path / "week08"), str(tmp_path / "week09")]) == 0
    rows = read_csv(tmp_path / "out" / "gradebook.csv")
    header, book = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert rows[1] == ["Points Possible", "1", "4", "5", "5", "5", "10", "5", "5", "5", "10", "5", "5", "5", "5", "30", "105"]
    for student in ("ada", "ben"):                   # correct code: full marks in both labs
        assert (book[student]["week08"], book[student]["week09"]) == ("10", "5")
    with open(examples / "manual.csv", newline="") as handle:
        manual = {row["student"]: row for row in csv.DictReader(handle)}
    with open(examples / "roster.csv", newline="") as handle:
        roster = [row["student"] for row in csv.DictReader(handle)]
    assert [r[0] for r in rows[2:]] == roster        # every roster student, in roster order
    for student, marks in manual.items():
        for week, value in marks.items():
            if week != "student":
                assert float(book[student][week]) == float(value or 0), (student, week)
    # a student whose work was not graded here has 0 in both labs
    assert (book["dara"]["week08"], book["dara"]["week09"]) == ("0", "0")
    assert header[-1] == "total" and float(book["ada"]["total"]) == 10 + 5 + sum(
        float(v) for k, v in manual["ada"].items() if k != "student")


def test_inconsistent_result_file_is_refused(tmp_path, capsys):
    """A hand-edited test score (99 of 0.5) must not reach the gradebook."""
    tests = [make_test("relu", "1.1", 0.5, 0.5), make_test("relu", "1.2", 0.5, 0.5)]
    path = write_result(tmp_path / "r", "eve", "week08", tests, max_score=10)
    assert report(tmp_path, tmp_path / "r") == 2
    assert "max_score 10 is not the sum of its tests'" in capsys.readouterr().err
    tests[0]["score"] = 99
    write_result(tmp_path / "r", "eve", "week08", tests)
    assert report(tmp_path, tmp_path / "r") == 2
    assert f"{path}: not a dlgrade result file (test 1 scores 99 out of 0.5)" in capsys.readouterr().err


def test_unwritable_out_is_one_line(klass, capsys):
    tmp, r8, r9, roster, manual = klass
    (tmp / "a-file").write_text("")
    assert cli.main(["report", "--out", str(tmp / "a-file"), str(r8)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlgrade report: error: cannot write the report") and err.count("\n") == 1


# ---- not graded yet, totals so far, counts, late work -------------------------------------

def test_unscored_weeks_are_not_graded_yet_not_zero(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    dan = (tmp / "out" / "feedback" / "dan.html").read_text()
    # week10 is graded by nobody yet; week08 is graded for others, dan has no result
    nxt = dan.split("<td>week10</td>")[1].split("</tr>")[0]
    assert "not graded yet" in nxt and ">0<" not in nxt
    assert "missing (counts 0)" in dan.split("<td>week08</td>")[1].split("</tr>")[0]
    # totals so far: graded weeks are week08 (10), week09 (5), week17 (30) -> 45 possible so far
    assert "Total so far (weeks graded so far)</td><td class=\"num\">0</td><td class=\"num\">45</td>" in dan
    assert "51 / 105" not in dan
    text = (tmp / "out" / "report.html").read_text()
    week10 = text.split("<td>week10</td>")[1].split("</tr>")[0]
    assert "not graded yet" in week10


def test_feedback_counts_say_what_they_count(klass):
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    alice = (tmp / "out" / "feedback" / "alice.html").read_text()
    # week08: relu passed; dense wrong; softmax timed out -> 1 of 3 tests, 1 of 3 functions; 3 of 10 raw
    assert "raw score 3 of 10;" in alice and "1 of 3 tests passed;" in alice
    assert "1 of 3 functions passed all their tests" in alice


def _late_class(tmp_path, policy=""):
    r9 = tmp_path / "r9"
    for student, late, submitted in (("ann", True, "2027-05-02T09:00:00"), ("ben", True, None),
                                     ("cat", False, "2027-04-29T09:00:00"), ("dov", None, None)):
        path = simple_result(r9, student, "week09", 4, 5)
        data = __import__("json").loads(path.read_text())
        data["extra_data"]["late"] = late
        if submitted:
            data["extra_data"]["submitted_at"] = submitted
        path.write_text(__import__("json").dumps(data))
    syllabus = tmp_path / "term.toml"
    from autograder import course
    syllabus.write_text(course.DEFAULT_SYLLABUS.read_text() + policy)
    return r9, syllabus


def test_late_work_is_listed_and_the_policy_has_its_own_column(tmp_path):
    r9, syllabus = _late_class(tmp_path, "\n[late_policy]\nper_day = 0.1\nmax = 0.5\n")
    assert cli.main(["report", "--out", str(tmp_path / "out"), "--syllabus", str(syllabus), str(r9)]) == 0
    text = (tmp_path / "out" / "report.html").read_text()
    late = text.split('id="late"')[1].split('id="missing"')[0]
    assert late.count('class="late-row"') == 2 and "cat" not in late and "dov" not in late
    # ann: due 2027-04-30T23:59, submitted 05-02 09:00 -> 2 started days -> 4 * (1 - 0.2) = 3.2
    ann = late.split("feedback/ann.html")[1].split("</tr>")[0]
    assert '<td class="num">2</td><td class="num">4</td><td class="num">3.2</td>' in ann.replace("\n", "").replace("  ", "")
    ben = late.split("feedback/ben.html")[1].split("</tr>")[0]
    assert "unknown (Canvas LATE marker)" in ben and "not applied: time unknown" in ben
    # the gradebook keeps the raw score
    rows = read_csv(tmp_path / "out" / "gradebook.csv")
    header = rows[0]
    assert {r[0]: r[header.index("week09")] for r in rows[2:]}["ann"] == "4"
    assert "loses 10% per started day, at most 50%" in late


def test_late_work_without_a_policy_is_only_listed(tmp_path):
    r9, syllabus = _late_class(tmp_path)
    assert cli.main(["report", "--out", str(tmp_path / "out"), str(r9)]) == 0
    late = (tmp_path / "out" / "report.html").read_text().split('id="late"')[1].split('id="missing"')[0]
    assert "The syllabus states no late policy" in late and "After late policy" not in late
    assert late.count('class="late-row"') == 2


def test_a_canvas_zip_and_a_folder_meet_in_one_report(tmp_path):
    """The real path: two members of a Canvas zip (one LATE) graded by `dlgrade grade`, week 8
    from a folder, the bundled roster (with canvas_id) and manual scores: one row each."""
    import zipfile
    from pathlib import Path

    data = Path(__file__).parent / "data" / "gradebook"
    examples = Path(__file__).resolve().parent.parent / "examples"
    small = tmp_path / "canvas.zip"
    with zipfile.ZipFile(data / "canvas_week09_submissions.zip") as src, zipfile.ZipFile(small, "w") as dst:
        for name in ("lovelaceada_104001_5550001_week09.ipynb", "murphydara_LATE_104004_5550004_week09.ipynb"):
            dst.writestr(name, src.read(name))
    assert cli.main(["grade", "--assignment", "week09", "--jobs", "1", "--out", str(tmp_path / "r9"), str(small)]) == 0
    assert cli.main(["grade", "--assignment", "week08", "--jobs", "1", "--out", str(tmp_path / "r8"),
                     str(examples / "class" / "week08" / "ada.py")]) == 0
    import json
    lates = {s: json.loads((tmp_path / "r9" / f"{s}.json").read_text())["extra_data"]["late"]
             for s in ("104001", "104004")}
    assert lates == {"104001": False, "104004": True}
    assert cli.main(["report", "--out", str(tmp_path / "out"), "--roster", str(examples / "roster.csv"),
                     "--manual", str(examples / "manual.csv"), str(tmp_path / "r8"), str(tmp_path / "r9")]) == 0
    rows = read_csv(tmp_path / "out" / "gradebook.csv")
    book = {r[0]: dict(zip(rows[0], r)) for r in rows[2:]}
    assert len(book) == 14 and "104001" not in book
    assert (book["ada"]["week08"], book["ada"]["week09"], book["ada"]["week12"]) == ("10", "5", "9.5")
    late = (tmp_path / "out" / "report.html").read_text().split('id="late"')[1].split('id="missing"')[0]
    assert "feedback/dara.html" in late and "feedback/ada.html" not in late


def test_missing_lists_students_without_a_result_and_those_with_nothing_gradable(klass):
    tmp, r8, r9, roster, manual = klass
    write_result(r9, "dan", "week09", [make_test("conv2d", "1.1", 0, 3.75, "no submission"),
                                      make_test("cnn_forward", "5.1", 0, 1.25, "no submission")],
                 output="no notebook (.ipynb) or Python file (.py) was found, only: lab9.pdf")
    assert report(tmp, "--roster", roster, "--manual", manual, r8, r9) == 0
    missing = (tmp / "out" / "report.html").read_text().split('id="missing"')[1].split('id="students"')[0]
    # week08: bob and dan have no result; week09: 2001 has none, dan's holds no gradable file
    week08 = missing.split("<h3>week08")[1].split("<h3>")[0]
    assert "2 of 4 students without a result" in week08 and "feedback/bob.html" in week08
    week09 = missing.split("<h3>week09")[1]
    assert "1 of 4 students without a result, 1 with nothing gradable" in week09
    assert "only: lab9.pdf" in week09 and "feedback/2001.html" in week09


def test_week_means_say_how_missing_work_counts(klass):
    """The report's week mean counts missing work as 0 while `dlgrade grade`'s summary mean is
    over the graded students: the table labels its mean so, and shows the other one too."""
    import re
    tmp, r8, r9, roster, manual = klass
    assert report(tmp, "--roster", roster, r8, r9) == 0
    page = (tmp / "out" / "report.html").read_text()
    assert "Mean (missing = 0)" in page and "Mean of those scored" in page
    assert "<th class=\"num\">Mean</th>" not in page
    row = re.search(r"<tr><td>week09</td>.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # week09: bob 5, alice 0, 2001 and dan missing. Points 5, scored 2/4, mean over all four
    # (5 + 0 + 0 + 0) / 4 = 1.25, over the two scored (5 + 0) / 2 = 2.5, median 0, min 0, max 5.
    assert cells == ["5", "2/4", "1.25", "2.5", "0", "0", "5"]
