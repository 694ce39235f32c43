"""Feedback found wrong by a student trial (issue 11 follow-up): time-outs, lines of other functions,
the report's rendering of replay blocks. Fast: no sandbox, no grading."""
import re

import numpy as np

from autograder import feedback, judge, suites
from autograder.suites import Case

WEEK09 = suites.load("week09")
CONV_INTEGERS = next(t for t in WEEK09.tests if t.function == "conv2d" and t.claim.startswith("integer images"))


def _timed_out(left, from_property=True):
    rng = np.random.default_rng(0)
    case = Case((rng.integers(-1, 2, (1, 4, 3, 1)), rng.standard_normal((2, 2, 1, 1))), {"strides": 1})
    outcome = judge.Outcome("timed out", case, message=f"took longer than {left:g} s", from_property=from_property)
    return feedback.test_output(WEEK09, CONV_INTEGERS, outcome, 60.0)


def test_a_slow_function_hears_its_time_ran_out_not_that_an_input_failed():
    """A conv2d that sleeps 0.5 s a call: its 60 s ran out during a call with 0.309009 s left."""
    text = _timed_out(0.309009)
    assert "ran out of their 60 s in all" in text and "59.7 s" in text and "0.31 s" in text
    assert "failing" not in text.lower() and "smallest" not in text.lower()
    assert "```" not in text and "reproduce" not in text  # replaying one fast-enough call shows nothing
    assert "0.309009" not in text
    assert "Hint: make conv2d faster" in text


def test_a_call_that_never_returns_is_called_an_endless_loop_with_its_input():
    text = _timed_out(60.0)
    assert "ran for 60 s without returning" in text and "endless loop" in text
    assert "x: shape (1, 4, 3, 1), int64" in text
    assert "```" not in text and "failing" not in text.lower()


def test_tests_not_run_after_the_time_ran_out_say_so():
    outcome = judge.Outcome("timed out", message="not run: the tests of conv2d used up their 60 s in an earlier test")
    text = feedback.test_output(WEEK09, CONV_INTEGERS, outcome, 60.0)
    assert "Not run: the tests of conv2d used up their 60 s in an earlier test." in text
    assert "```" not in text and "Hint" not in text


# ---------------------------------------------------------------- public checks: whose line

def _lab_checks():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "solutions" / "lab_checks.py"
    spec = importlib.util.spec_from_file_location("lab_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A trial student's notebook: dense in one cell, a cnn_forward that pools with padding='same' in
# another (so flatten gives 18 features where the dense kernel has 12).
NOTEBOOK_CELLS = [
    "import numpy as np",
    "def dense(x, kernel, bias=None):\n    out = x @ kernel\n    if bias is not None:\n        out = out + bias\n"
    "    return out",
    "def relu(x):\n    return np.maximum(x, 0)\n\n"
    "def softmax(x):\n    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n\n"
    "def flatten(x):\n    return x.reshape(x.shape[0], -1)",
    "def cnn_forward(x, weights):\n    ck, cb, dk, db = weights\n    h = relu(conv2d(x, ck, cb))\n"
    "    h = max_pool2d(h, 2, padding='same')\n    return softmax(dense(flatten(h), dk, db))",
]


def test_a_public_check_names_the_function_and_cell_of_the_line_it_shows(tmp_path, monkeypatch):
    """The check of cnn_forward failed in the student's dense: the message named "line 2 of your
    code" (dense's line) as if it were cnn_forward's. It now names dense and its notebook cell."""
    pytest = __import__("pytest")
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from traitlets.config import Config

    import reference

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    config = Config()
    config.HistoryManager.enabled = False
    shell = interactiveshell.InteractiveShell(config=config)
    shell.user_ns.update(lab_checks=_lab_checks(), conv2d=reference.conv2d, max_pool2d=reference.max_pool2d)
    for source in NOTEBOOK_CELLS:  # In[1] ... In[4]
        assert shell.run_cell(source, store_history=True).success
    result = shell.run_cell("lab_checks.check_cnn_forward(cnn_forward)", store_history=True)
    message = str(result.error_in_exec)
    assert "matmul" in message
    assert message.endswith("(in your dense, line 2 of cell In[2]: `out = x @ kernel`)"), message


def test_a_public_check_names_the_function_and_file_outside_notebooks(tmp_path):
    lab_checks = _lab_checks()
    path = tmp_path / "student.py"
    path.write_text("\n\n".join(NOTEBOOK_CELLS[:2]) + "\n")  # dense's line 2 is line 4 of the file
    names = {}
    exec(compile(path.read_text(), str(path), "exec"), names)
    for source in NOTEBOOK_CELLS[2:]:
        exec(source, names)
    import reference

    names.update(conv2d=reference.conv2d, max_pool2d=reference.max_pool2d)
    try:
        lab_checks.check_cnn_forward(names["cnn_forward"])
    except AssertionError as failure:
        assert str(failure).endswith("(in your dense, line 4 of student.py: `out = x @ kernel`)"), str(failure)
    else:
        raise AssertionError("the check passed a cnn_forward whose dense crashes")


# ---------------------------------------------------------------- the report's feedback pages

def test_feedback_pages_show_replay_code_as_code_blocks_escaped(tmp_path):
    """The replay block of a failed test is a code block on the student's page, not raw ``` fences;
    the code (which can hold the student's text) stays escaped."""
    from autograder import cli
    from report_helpers import make_test, write_result

    output = ("Failed: relu matches the reference.\nExpected out[0] = 1, got 2 (1 of 1 values are off).\n"
              "To reproduce it, run this below your functions (it rebuilds the exact inputs):\n"
              "```python\nimport numpy as np\nx = np.array([1.0], dtype=np.float64)  # </code><script>x</script>\n"
              "relu(x)\n```")
    write_result(tmp_path / "r8", "ada", "week08", [make_test("relu", "1.1", 0, 3, "wrong values", output)])
    assert cli.main(["report", "--out", str(tmp_path / "out"), str(tmp_path / "r8")]) == 0
    page = (tmp_path / "out" / "feedback" / "ada.html").read_text(encoding="utf-8")
    assert "```" not in page
    assert '<pre class="code"><code class="language-python">import numpy as np\nx = np.array(' in page
    assert "&lt;/code&gt;&lt;script&gt;x&lt;/script&gt;\nrelu(x)</code></pre>" in page
    assert "<pre>Failed: relu matches the reference.\nExpected out[0] = 1, got 2" in page
    assert "<script>x" not in page
