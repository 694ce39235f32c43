"""report.html in a real headless browser (Chromium from the OS packages).

The page must load without console errors, decode every embedded plot (the page's own
script records ``data-plots-rendered="ok/total"`` on <html> after the load event, read
back with --dump-dom), and the plots must be visible in a screenshot: the histogram bars'
colour (``plots.BAR``) covers a good area of the captured window.

Chromium missing: skipped on a workstation, a failure under CI (the CI env var is set).
"""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from autograder.report import build_report, plots
from report_helpers import ROSTER_HEADER, make_test, write_csv, write_result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (CI needs: apt-get install -y chromium)", pytrace=False)
    pytest.skip("chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    r8, r9 = tmp / "r8", tmp / "r9"
    students = [f"s{i:02d}" for i in range(12)]
    for i, student in enumerate(students):
        ok8 = i % 4            # 0..3 of the three week08 tests pass: a spread of scores
        # s11 handed in no week08 lab (its result goes nowhere): listed as missing
        write_result(r8 if student != "s11" else tmp / "elsewhere", student, "week08", [
            make_test("relu", "1.1", 3 if ok8 > 0 else 0, 3, "passed" if ok8 > 0 else "wrong shape", "got (3,)"),
            make_test("dense", "2.1", 4 if ok8 > 1 else 0, 4, "passed" if ok8 > 1 else "wrong values", "<script>x</script>"),
            make_test("softmax", "3.1", 3 if ok8 > 2 else 0, 3, "passed" if ok8 > 2 else "timed out", "took too long"),
        ])
        write_result(r9, student, "week09", [
            make_test("conv2d", "1.1", 3.75 * (i % 3 > 0), 3.75, "passed" if i % 3 else "crashed", "IndexError"),
            make_test("cnn_forward", "5.1", 1.25 * (i % 2), 1.25, "passed" if i % 2 else "not implemented"),
        ])
    # s03 was late (Canvas marker) and s05 tried to read a file outside its folder.
    for student, key, value in (("s03", "late", True), ("s05", "integrity", ["tried to open /etc/passwd"])):
        path = r9 / f"{student}.json"
        data = json.loads(path.read_text())
        data["extra_data"][key] = value
        path.write_text(json.dumps(data))
    roster = write_csv(tmp / "roster.csv", ROSTER_HEADER,
                       [[s, f"Student, {s}", s, s, "A" if i < 6 else "B"] for i, s in enumerate(students)])
    build_report([r8, r9], tmp / "out", roster=roster)
    return tmp, tmp / "out" / "report.html"


def chromium(tmp, *args):
    profile = tmp / "profile"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def page_errors(stderr):
    """Console messages of the page: Chromium logs them as "...:CONSOLE(line)] ..." lines."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_console_errors_are_seen(tmp_path):
    # The check below is only worth something if a broken page fails it.
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>noSuchFunction();</script></body></html>")
    assert any("noSuchFunction" in line for line in page_errors(chromium(tmp_path, "--dump-dom", broken.as_uri()).stderr))


def test_page_loads_without_errors_and_decodes_every_plot(page):
    tmp, html = page
    source = html.read_text()
    plot_count = source.count('class="plot"')
    assert plot_count == 5           # week08, week09, total histograms + 2 pass-rate charts
    proc = chromium(tmp, "--dump-dom", html.as_uri())
    dom = proc.stdout
    for section in ("summary", "sections", "items", "flags", "integrity", "late", "missing", "students"):
        assert f'id="{section}"' in dom
    assert f'data-plots-rendered="{plot_count}/{plot_count}"' in dom
    assert page_errors(proc.stderr) == []
    assert "<script>x</script>" not in dom       # the student's text stayed text


def test_screenshot_shows_the_plots(page):
    import matplotlib.image

    tmp, html = page
    shot = tmp / "shot.png"
    chromium(tmp, f"--screenshot={shot}", "--window-size=1280,2000", html.as_uri())
    pixels = matplotlib.image.imread(shot)[..., :3]          # (2000, 1280, 3) floats in 0..1
    assert pixels.shape[:2] == (2000, 1280)
    bar = np.array([int(plots.BAR[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    is_bar = np.abs(pixels - bar).max(axis=-1) < 0.03
    # Three histograms of 12 students near the top of the page: their bars cover thousands
    # of pixels (a blank or broken image would show none of this colour).
    assert is_bar.sum() > 5000
    rows = np.flatnonzero(is_bar.any(axis=1))
    assert rows.min() < 1000                                  # the plots are above the fold
    not_white = (pixels < 0.95).any(axis=-1).mean()
    assert not_white > 0.05


def section_text(dom, section, end):
    return dom.split(f'id="{section}"')[1].split(f'id="{end}"')[0]


def test_flags_late_missing_and_sections_are_on_the_page(page):
    tmp, html = page
    dom = chromium(tmp, "--dump-dom", html.as_uri()).stdout
    integrity = section_text(dom, "integrity", "late")
    assert "s05" in integrity and "attempted: tried to open /etc/passwd" in integrity
    assert "not proof" in integrity
    late = section_text(dom, "late", "missing")
    assert "s03" in late and "week09" in late and "unknown (Canvas LATE marker)" in late
    assert late.count('class="late-row"') == 1
    missing = section_text(dom, "missing", "students")
    assert "week08: 1 of 12 students without a result" in missing and "s11" in missing
    assert "week09: 0 of 12 students without a result" in missing
    sections = section_text(dom, "sections", "items")
    # section A: s00-s05 (6 students, all handed in week08); B: s06-s11 (s11 missed week08)
    assert ">6/6<" in sections and ">5/6<" in sections
    # pass rates coloured by value: relu passed by 8 of 11 (73%: mid), dense 5 of 11 (45%: low)
    items = section_text(dom, "items", "flags")
    assert 'rate rate-mid">8/11 (73%)' in items and 'rate rate-low">5/11 (45%)' in items


def test_student_table_sorts_by_total_when_its_header_is_clicked(page):
    """The table's own script, driven in the browser: a page next to report.html loads it in a
    frame, clicks "Total so far" twice (descending) and writes the row order into its DOM."""
    tmp, html = page
    probe = html.parent / "sort-probe.html"
    probe.write_text("""<!DOCTYPE html><html><body><iframe id="f" src="report.html"></iframe><script>
      document.getElementById("f").addEventListener("load", function () {
        var d = document.getElementById("f").contentDocument;
        var th = Array.prototype.find.call(d.querySelectorAll("#student-table thead th"),
                                           function (h) { return h.textContent.indexOf("Total") === 0; });
        th.click(); th.click();
        var rows = d.querySelectorAll("#student-table tbody tr");
        document.body.setAttribute("data-order", Array.prototype.map.call(rows, function (r) {
          return r.cells[0].textContent.trim() + "=" + r.cells[th.cellIndex].getAttribute("data-value"); }).join(","));
      });
    </script></body></html>""")
    dom = chromium(tmp, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom",
                   probe.as_uri()).stdout
    order = dom.split('data-order="')[1].split('"')[0].split(",")
    totals = [float(item.split("=")[1]) for item in order]
    assert len(order) == 12 and totals == sorted(totals, reverse=True) and totals[0] > totals[-1]
