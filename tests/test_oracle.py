"""The oracle's wrong corner is covered: conv2d outputs one column wide with a column stride
above 1, where TensorFlow's default oneDNN conv2d disagrees with the arithmetic (issue 12;
test_keras_parity.py documents the defect and checks the fixtures against live Keras with
oneDNN off). No TensorFlow here: the committed fixtures and the grader's own examples.
"""
from types import SimpleNamespace

import numpy as np

import reference
from autograder import judge, suites
from autograder.suites import properties
from reference import tolerance


def _one_column(case):
    strides = case.kwargs.get("strides", 1)
    column_stride = strides if isinstance(strides, int) else strides[1]
    x, kernel = (np.asarray(a, dtype=np.float64) for a in case.args[:2])
    out = reference.conv2d(x, kernel, strides=strides, padding=case.kwargs.get("padding", "valid"))
    return out.shape[2] == 1 and column_stride > 1


def test_fixtures_hold_one_column_cases_made_with_onednn_off():
    cases = [c for c in suites.fixture_cases("week09", "conv2d") if _one_column(c)]
    assert len(cases) >= 3, [c.label for c in cases]
    for case in cases:   # oneDNN on would have put garbage here (values like 1.7e27)
        expected, scale = properties.expected_for("conv2d", SimpleNamespace(args=case.args, kwargs=case.kwargs,
                                                                            expected=None))
        assert tolerance.allclose(np.asarray(case.expected, dtype=np.float64), expected, scale), case.label


class _Reference:
    """A worker session that answers with the reference (to see which examples a test draws)."""

    worker = "reference"

    def calls(self, function, cases, budget):
        return (self.call(function, case, budget) for case in cases)

    def call(self, function, case, budget):
        value, _ = properties.expected_for(function, case)
        return SimpleNamespace(status="ok", message="", value=value, seconds=0.0,
                               inputs_after=properties.arrays_in(case))


def test_the_grader_draws_one_column_cases_with_strides():
    drawn = 0
    for test in suites.load("week09").tests:
        if test.function == "conv2d" and test.strategy is not None:
            assert judge.run_test(test, _Reference(), judge._Budget(60.0)).status == "passed"
            drawn += sum(_one_column(case) for case, _ in judge._PASSING_RUNS[(test.function, test.name)])
    assert drawn >= 5
