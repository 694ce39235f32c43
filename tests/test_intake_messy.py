"""A generated messy class, end to end through ``dlgrade grade`` (stand-in judge, no sandbox).

``messy_class`` builds a class the way real ones arrive: correct submissions in every layout
(a file, a student folder with Jupyter's and the OS's leftovers, a Canvas bulk download),
with the odd cases mixed in at random places and under random names: a named pipe (FIFO),
a socket, a device file, symbolic links to a file and a folder outside the class, hidden
files, names that differ only in case, the same file name in two inputs, cut-off and empty
notebooks, a Canvas zip holding a symbolic-link member. Each test checks both directions:
the normal students get full marks with no word about anybody else's files, and each odd
case gets its own clear message (never a stopped batch, a silent drop or a silent zero).
"""
import json
import os
import pathlib
import random
import signal
import socket
import stat
import threading
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import cli, grade, results
from autograder.submissions import collect, ids

from test_grade_cli import DENSE, RELU, SOFTMAX, _nb, fake  # noqa: F401 (fake: the stand-in judge fixture)

FULL = RELU + DENSE + SOFTMAX          # 10/10 with the stand-in judge
SECRET = "SECRET_OUTSIDE_THE_CLASS = 42\n"




class Blocked(BaseException):
    """Raised by the watchdog; a BaseException, so that no ``except OSError`` swallows it."""


@pytest.fixture
def watchdog():
    """Fail (instead of hanging the suite) if anything blocks, e.g. by opening a FIFO: after
    60 s the main thread gets SIGALRM, which interrupts the blocked ``open`` (EINTR)."""
    def alarm(*_):
        raise Blocked("blocked for 60 s (a FIFO opened for reading?)")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.siginterrupt(signal.SIGALRM, True)
    timer = threading.Timer(60, signal.pthread_kill, (threading.main_thread().ident, signal.SIGALRM))
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
    signal.signal(signal.SIGALRM, previous)


def run_grade(out, *inputs):
    return cli.main(["grade", "--assignment", "week08", "--out", str(out), "--jobs", "1", *map(str, inputs)])


def load_results(out):
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def listed(out):
    """passed-over.txt as ``[(student, where, reason)]``."""
    lines = (out / results.PASSED_OVER).read_text().splitlines()
    assert lines[0].startswith(f"# {len(lines) - 1} file(s)")
    return [tuple(line.split(": ", 2)) for line in lines[1:]]


# ------------------------------------------------------------------ the generator


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            if isinstance(name, zipfile.ZipInfo):
                archive.writestr(name, data)
            else:
                archive.writestr(name, data)
    return path


def _symlink_member(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


def messy_class(root, rnd, normal=6):
    """Build ``root/class``, ``root/late``, ``root/canvas.zip`` and ``root/outside``.

    Returns ``(inputs, expect)``: the command line's inputs, and for each student id
    ``(score, words that must be in the result's output, the file graded)``; ``expect``
    also has ``"_listed"``: ``{(student, file name): reason words}`` for passed-over.txt.
    """
    names = rnd.sample(["amy", "ben", "cho", "dee", "eli", "fay", "gus", "hal", "ivy", "jon"], normal)
    cls, late, outside = root / "class", root / "late", root / "outside"
    for folder in (cls, late, outside):
        folder.mkdir(parents=True)
    (outside / "secret.py").write_text(SECRET + FULL)
    expect, passed = {}, {}

    # Normal students, in every layout; the folder ones carry Jupyter's and the OS's leftovers.
    canvas = {}
    for number, name in enumerate(names):
        layout = ("py", "ipynb", "folder", "canvas")[number % 4]
        if layout == "py":
            (cls / f"{name}.py").write_text(FULL)
            expect[name] = (10, [], f"{name}.py")
        elif layout == "ipynb":
            (cls / f"{name}.ipynb").write_text(_nb(FULL))
            expect[name] = (10, [], f"{name}.ipynb")
        elif layout == "folder":
            (cls / name / ".ipynb_checkpoints").mkdir(parents=True)
            (cls / name / "week08.ipynb").write_text(_nb(FULL))
            (cls / name / ".ipynb_checkpoints" / "week08-checkpoint.ipynb").write_text(_nb(RELU))
            (cls / name / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
            expect[name] = (10, [], "week08.ipynb")
            passed[(name, ".DS_Store")] = "operating-system metadata"
            passed[(name, "week08-checkpoint.ipynb")] = "a Jupyter checkpoint"
        else:
            user = str(100000 + number)
            canvas[f"{name}_{user}_{700 + number}_week08.ipynb"] = _nb(FULL)
            expect[user] = (10, [], "week08.ipynb")

    # The odd cases, each under a name drawn at random (so they land anywhere in the listing).
    odd = iter(rnd.sample(["fred", "sam", "dan", "mal", "lin", "tru", "emp", "epy", "hid"], 9))
    fifo, sock, dev, link, linkdir, trunc, empty, empty_py, hidden = odd
    os.mkfifo(cls / f"{fifo}.py")
    expect[fifo] = (0, [f"{fifo}.py is a named pipe (FIFO)"], None)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(cls / f"{sock}.py"))
    expect[sock] = (0, [f"{sock}.py is a socket"], None)
    try:
        os.mknod(cls / f"{dev}.py", 0o600 | stat.S_IFCHR, os.makedev(1, 3))   # /dev/null's numbers
        expect[dev] = (0, [f"{dev}.py is a device file"], None)
    except PermissionError:
        pass                                                              # not root: no device
    (cls / f"{link}.py").symlink_to(outside / "secret.py")
    expect[link] = (0, [f"{link}.py is a symbolic link", "never followed"], None)
    (cls / linkdir).symlink_to(outside, target_is_directory=True)
    expect[linkdir] = (0, [f"{linkdir} is a symbolic link", "never followed"], None)
    whole = _nb(FULL)
    (cls / f"{trunc}.ipynb").write_text(whole[: rnd.randrange(20, len(whole) - 5)])
    expect[trunc] = (0, [f"{trunc}.ipynb could not be read: it is cut off"], f"{trunc}.ipynb")
    (cls / f"{empty}.ipynb").write_text("")
    expect[empty] = (0, [f"{empty}.ipynb could not be read: it is empty (0 bytes)"], f"{empty}.ipynb")
    (cls / f"{empty_py}.py").write_text("\n")
    expect[empty_py] = (0, [f"{empty_py}.py is empty (1 bytes)"], f"{empty_py}.py")
    (cls / hidden).mkdir()                                   # graded; its hidden file is named
    (cls / hidden / "week08.ipynb").write_text(_nb(FULL))
    (cls / hidden / ".scratch.py").write_text(RELU)
    expect[hidden] = (10, [".scratch.py was not graded: a hidden file"], "week08.ipynb")
    os.mkfifo(cls / hidden / "pipe.ipynb")                   # a FIFO among good files: named, not read
    expect[hidden][1].append("pipe.ipynb was not graded: a named pipe (FIFO)")
    # Top-level leftovers: nobody's, listed with "(no student)".
    (cls / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (cls / "__MACOSX").mkdir()
    (cls / "__MACOSX" / "._x.py").write_bytes(b"\0\5\x16\7")
    passed[("(no student)", ".DS_Store")] = "operating-system metadata"
    passed[("(no student)", "._x.py")] = "macOS zip metadata"
    # Names that differ only in case: two students, ids kept apart.
    (cls / "ada.py").write_text(RELU)
    (cls / "ADA.py").write_text(FULL)
    # The same file name in two inputs: the later input's file counts, the other is named.
    (cls / "zed.py").write_text(RELU)
    (late / "zed.py").write_text(FULL)
    expect["zed"] = (10, [f"zed.py was not graded: replaced by the file of the same name in {late}"], "zed.py")
    passed[("zed", "zed.py")] = "replaced by the file of the same name"
    # A Canvas bulk download with a symbolic-link member and macOS metadata.
    canvas[_symlink_member("lnk_444_555_week08.py", "/etc/passwd")[0]] = "/etc/passwd"
    canvas["__MACOSX/._x"] = b"\0"
    expect["444"] = (0, ["week08.py is a symbolic link in the zip"], None)
    passed[("(no student)", "._x")] = "macOS zip metadata"
    _zip(root / "canvas.zip", canvas)
    expect["_listed"] = passed
    return [cls, late, root / "canvas.zip"], expect


# ------------------------------------------------------------------ end to end


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_messy_class_each_odd_case_gets_its_own_message_and_the_rest_full_marks(
        tmp_path, fake, watchdog, capsys, seed):
    inputs, expect = messy_class(tmp_path / "in", random.Random(seed))
    passed = expect.pop("_listed")
    out = tmp_path / "out"
    assert run_grade(out, *inputs) == 0
    found = load_results(out)
    students = set(found) - {s for s in found if s.casefold().startswith("ada")}
    assert students == set(expect)                                       # nobody dropped, nobody extra
    assert sorted(s.casefold()[:3] for s in found if s.casefold().startswith("ada")) == ["ada", "ada"]
    for student, (score, words, file) in expect.items():
        result = found[student]
        assert result["score"] == score, student
        assert result["extra_data"]["file"] == file, student
        for word in words:
            assert word in result["output"] or any(word in n for n in result["extra_data"]["notes"]), (student, word)
        if score == 0:                     # a clear zero: its own status, never "not implemented"
            assert {t["status"] for t in result["tests"]} == {"no submission"}, student
            assert result["output"].strip(), student
        elif not words:                    # a normal student hears nothing about leftovers
            assert result["extra_data"]["notes"] == [] and result["output"] == "", student
    assert "SECRET_OUTSIDE_THE_CLASS" not in "".join(p.read_text() for p in out.iterdir())
    # The judge only ever saw students with a readable file.
    assert sorted(set(fake())) == sorted(s for s in found if found[s]["score"] > 0
                                         or s.casefold().startswith("ada"))
    # Every file passed over is listed with its reason, and counted in the summary line.
    rows = listed(out)
    for (student, name), reason in passed.items():
        assert any(r[0] == student and r[1].endswith(name) and reason in r[2] for r in rows), (student, name)
    for student, (score, words, file) in expect.items():
        if file is None:                   # every unreadable file is listed under its student
            assert any(r[0] == student for r in rows), student
    summary = capsys.readouterr()
    assert f"; {len(rows)} file(s) passed over (see passed-over.txt)" in summary.out
    assert "warning: 1 student(s) found with the same file name in several inputs (zed)" in summary.err
    # scores.csv: one row per result file, no more.
    lines = (out / "scores.csv").read_text().splitlines()[1:]
    assert sorted(line.split(",")[0] for line in lines) == sorted(found)


def test_a_fifo_named_on_the_command_line_never_blocks_the_batch(tmp_path, fake, watchdog):
    """``dlgrade grade --out r class/*`` hands every file to the command line, FIFOs too."""
    os.mkfifo(tmp_path / "fred.py")
    (tmp_path / "alice.py").write_text(FULL)
    (tmp_path / "mallory.py").symlink_to(tmp_path / "alice.py")   # a link to one file: not followed
    out = tmp_path / "out"
    assert run_grade(out, tmp_path / "fred.py", tmp_path / "alice.py", tmp_path / "mallory.py") == 0
    found = load_results(out)
    assert found["alice"]["score"] == 10 and fake() == ["alice"]
    assert "fred.py is a named pipe (FIFO)" in found["fred"]["output"]
    assert "mallory.py is a symbolic link" in found["mallory"]["output"]


def test_a_linked_class_folder_on_the_command_line_is_followed_but_links_inside_are_not(tmp_path, fake):
    real = tmp_path / "real"
    real.mkdir()
    (real / "alice.py").write_text(FULL)
    (real / "bob.py").symlink_to(tmp_path / "elsewhere.py")             # broken, and inside
    (tmp_path / "class").symlink_to(real, target_is_directory=True)
    out = tmp_path / "out"
    assert run_grade(out, tmp_path / "class") == 0
    found = load_results(out)
    assert found["alice"]["score"] == 10
    assert "bob.py is a symbolic link" in found["bob"]["output"]


def test_a_zip_member_stored_as_a_link_or_fifo_is_reported_not_read(tmp_path):
    fifo = zipfile.ZipInfo("eve/pipe.ipynb")
    fifo.create_system, fifo.external_attr = 3, (stat.S_IFIFO | 0o644) << 16
    plain = zipfile.ZipInfo("eve/week09.ipynb")
    plain.create_system, plain.external_attr = 3, (stat.S_IFREG | 0o644) << 16
    _zip(tmp_path / "class.zip", {fifo: "x", plain: _nb(RELU), _symlink_member("bob/week09.py", "/etc/shadow")[0]:
                                  "/etc/shadow", "cat/week09.py": RELU})   # no mode bits (Windows): a file
    bob, cat, eve = collect([tmp_path / "class.zip"], assignment="week09")
    assert bob.missing and "symbolic link in the zip" in bob.problems[0] and bob.cells == ()
    assert cat.file == "week09.py" and not cat.missing
    assert eve.file == "week09.ipynb" and any("pipe.ipynb was not graded: a named pipe" in n for n in eve.notes)


# ------------------------------------------------------------------ ids stable across runs


def _rows(out):
    return {line.split(",")[0]: line.split(",")[1] for line in (out / "scores.csv").read_text().splitlines()[1:]}


def test_a_classmate_differing_only_in_case_never_moves_another_students_id(tmp_path, fake):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "ada.py").write_text(RELU)                           # 2 points
    assert run_grade(out, subs) == 0
    assert _rows(out) == {"ada": "2"}
    (subs / "ADA.py").write_text(FULL)                           # a classmate: 10 points
    assert run_grade(out, subs) == 0
    rows = _rows(out)
    assert rows["ada"] == "2" and len(rows) == 2                 # ada kept her id; no stale row
    [upper] = set(rows) - {"ada"}
    assert upper.startswith("ADA-") and rows[upper] == "10"
    assert any(n.startswith(f"'ADA' is graded as {upper}: another name differs from it only in case")
               for n in load_results(out)[upper]["extra_data"]["notes"])
    assert load_results(out)["ada"]["extra_data"]["raw_id"] == "ada"
    (subs / "ada.py").unlink()                                   # ada gone: ADA keeps its id too
    assert run_grade(out, subs) == 0
    assert _rows(out) == rows
    assert sorted(p.stem for p in out.glob("*.json")) == sorted(rows)


def test_ids_are_read_back_from_results_written_before_raw_id_existed(tmp_path, fake):
    """Results of the previous kit carry no raw_id; their notes say which name was cleaned."""
    out = tmp_path / "out"
    out.mkdir()
    old = {"ADA": [], "ada-fdee43": ["name cleaned: 'ada' is graded as ada-fdee43"]}
    for student, notes in old.items():
        results.write_result(out, student, {"score": 1.0, "tests": [], "extra_data": {
            "student": student, "assignment": "week08", "notes": notes}})
    assert results.known_ids(out) == {"ADA": "ADA", "ada": "ada-fdee43"}
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ada.py").write_text(RELU)                           # alone now: still ada-fdee43
    assert run_grade(out, subs) == 0
    assert _rows(out) == {"ADA": "1", "ada-fdee43": "2"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.sampled_from(["ada", "ADA", "Ada", "a b", "a_b", "A_B", "bo", "x y", "x_y"]),
                        min_size=1), min_size=1, max_size=5))
def test_ids_never_change_owner_across_runs_into_one_folder(runs):
    """Each run sees some names; the folder remembers every id given: a name keeps its id,
    and no id (ignoring case) ever goes to two names."""
    known, first = {}, {}
    for names in runs:
        given_ids = ids.unique_ids(names, known)
        assert len({v.casefold() for v in given_ids.values()}) == len(names)
        for raw, student in given_ids.items():
            results.check_student_id(student)
            assert first.setdefault(raw, student) == student            # stable
            known[raw] = student
        owners = {}
        for raw, student in known.items():
            assert owners.setdefault(student.casefold(), raw) == raw     # never two owners


# ------------------------------------------------------------------ two inputs, one name


@pytest.mark.parametrize("order", ["class_then_late", "late_then_class"])
def test_the_same_file_name_in_two_inputs_the_later_input_counts(tmp_path, fake, capsys, order):
    cls, late = tmp_path / "class", tmp_path / "late"
    cls.mkdir()
    late.mkdir()
    (cls / "ada.py").write_text(RELU)
    (late / "ada.py").write_text(FULL)
    (cls / "bob.py").write_text(FULL)
    inputs = [cls, late] if order == "class_then_late" else [late, cls]
    out = tmp_path / "out"
    assert run_grade(out, *inputs) == 0
    found = load_results(out)
    assert set(found) == {"ada", "bob"}                      # one student, one result
    assert found["ada"]["score"] == (10 if order == "class_then_late" else 2)
    earlier = inputs[0] / "ada.py"
    assert found["ada"]["extra_data"]["upload"] == str(inputs[1] / "ada.py")
    assert any(f"replaced by the file of the same name in {inputs[1]}" in n for n in found["ada"]["extra_data"]["notes"])
    assert any(r[0] == "ada" and r[1] == str(earlier) for r in listed(out))
    assert "found with the same file name in several inputs (ada)" in capsys.readouterr().err
    assert found["bob"]["extra_data"]["notes"] == []


def test_a_later_inputs_link_or_fifo_never_displaces_a_readable_file(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "ada.py").write_text(FULL)
    os.mkfifo(tmp_path / "b" / "ada.py")
    [ada] = collect([tmp_path / "a", tmp_path / "b"], assignment="week08")
    assert not ada.missing and ada.upload == str(tmp_path / "a" / "ada.py")
    assert any(n.startswith("ada.py was not graded: a named pipe") for n in ada.notes)


def test_identical_copies_in_two_inputs_are_one_file(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ada.py").write_text(FULL)
    [ada] = collect([tmp_path / "a", tmp_path / "b"], assignment="week08")
    assert not ada.missing and ada.upload == str(tmp_path / "b" / "ada.py")


# ------------------------------------------------------------------ Canvas, unreadable, format


def test_a_canvas_result_names_the_member_of_the_download(tmp_path, fake):
    canvas = _zip(tmp_path / "subs.zip", {"doejane_LATE_123456_7890123_week08.ipynb": _nb(FULL),
                                          "roe_222_333_lab.zip": open(_zip(tmp_path / "lab.zip", {
                                              "lab/week08.ipynb": _nb(RELU)}), "rb").read()})
    out = tmp_path / "out"
    assert run_grade(out, canvas) == 0
    found = load_results(out)
    jane = found["123456"]["extra_data"]
    assert jane["file"] == "week08.ipynb" and jane["late"] is True
    assert jane["upload"] == f"{canvas}:doejane_LATE_123456_7890123_week08.ipynb"
    roe = found["222"]["extra_data"]
    assert roe["file"] == "lab.zip/lab/week08.ipynb"
    assert roe["upload"] == f"{canvas}:roe_222_333_lab.zip:lab/week08.ipynb"


@pytest.mark.parametrize("text, words", [
    ("", "it is empty (0 bytes)"),
    ("   \n", "it is empty (4 bytes)"),
    (_nb(FULL)[:60], "it is cut off: the file ends after 60 bytes"),
    (_nb(FULL)[:-1], "it is cut off"),
    ('{"cells": [], "x": 1,}', "it is not valid notebook JSON (line 1"),      # broken, not cut off
])
def test_an_unreadable_notebook_is_a_clear_no_submission_not_not_implemented(tmp_path, fake, text, words):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(text)
    (tmp_path / "subs" / "bob.ipynb").write_text(_nb(FULL))
    out = tmp_path / "out"
    assert run_grade(out, tmp_path / "subs") == 0
    found = load_results(out)
    assert fake() == ["bob"] and found["bob"]["score"] == 10
    ann = found["ann"]
    assert ann["score"] == 0 and {t["status"] for t in ann["tests"]} == {"no submission"}
    assert f"ann.ipynb could not be read: {words}" in ann["output"]
    assert all(words in t["output"] for t in ann["tests"])
    assert ann["extra_data"]["file"] == "ann.ipynb"


def test_results_hold_no_timing_so_reruns_are_byte_identical(tmp_path, fake):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.py").write_text(FULL)
    (tmp_path / "subs" / "bob.html").write_text("<html></html>")
    for out in (tmp_path / "out1", tmp_path / "out2"):
        assert run_grade(out, tmp_path / "subs") == 0
    for student, result in load_results(tmp_path / "out1").items():
        assert set(result) == {"score", "output", "stdout_visibility", "tests", "extra_data"}, student
        assert ((tmp_path / "out1" / f"{student}.json").read_bytes()
                == (tmp_path / "out2" / f"{student}.json").read_bytes()), student


def test_the_passed_over_list_is_one_line_per_file_whatever_the_name(tmp_path):
    from autograder.submissions.model import PassedOver
    path = results.write_passed_over(tmp_path, [("eve", PassedOver("a\nb.py", "/x/a\nb.py", "a hidden file")),
                                                ("", PassedOver(".DS_Store", "/x/.DS_Store", "os"))])
    lines = path.read_text().splitlines()
    assert lines == ["# 2 file(s) of the last run's inputs were not graded: student: file: reason",
                     "(no student): /x/.DS_Store: os", "eve: /x/a\\x0ab.py: a hidden file"]
