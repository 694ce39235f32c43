"""Grade one submission: run an assignment's hidden tests against a sandboxed worker.

The judge holds the answers (reference, fixtures, Hypothesis) and never runs
student code itself: every call goes to an ``autograder.sandbox.Worker``, which
sends back plain arrays. The cases of a test travel in one batch and the answers
stream back one by one (``_Session.calls``); the first failure stops the batch. The judge checks them (shape, values within the
float32-fit tolerance, inputs unchanged), scores each test, and writes feedback a
student can act on: the property, the smallest failing input, expected vs got,
and a one-line hint.

Time: each graded function gets ``timeout`` seconds of worker time for all its
calls. When it runs out, that function's remaining tests are "timed out" and the
next function starts with a fresh budget (and a fresh worker if the old one died).
"""
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given, seed

import autograder
from autograder import course
from autograder.suites import properties as props
from autograder import feedback, suites
from autograder.results import FLAG_STATUSES, STATUSES  # noqa: F401 (STATUSES: the judge's vocabulary)

# Worker reply status -> test status ("ok" is checked by the judge, "bad output" is a wrong answer).
_REPLY_STATUS = {"crashed": "crashed", "timed out": "timed out", "not implemented": "not implemented",
                 "policy violation": "policy violation", "bad output": "wrong values"}
# After these, more examples of the same test cannot tell us anything new: stop the test at once.
_STOP_TEST = ("not implemented", "policy violation", "timed out")
MAX_OUTPUT = 4000


def _sandbox():
    """(Worker class, isolation level name); a function so tests can swap in a fake."""
    from autograder import sandbox

    return sandbox.Worker, sandbox.isolation_level(), sandbox.WorkerError


# ---------------------------------------------------------------- the worker of one submission

@dataclass
class _Reply:
    """A reply the judge makes up itself (no time left, worker would not start)."""
    status: str
    message: str
    value: Any = None
    inputs_after: tuple = ()
    seconds: float = 0.0


class _Budget:
    def __init__(self, seconds):
        self.seconds = seconds
        self.used = 0.0

    @property
    def left(self):
        return self.seconds - self.used


class _Session:
    """The sandboxed worker of one submission: started on first use, replaced after it dies.

    Restarts are bounded, so code that kills every worker it gets (and loads slowly) cannot
    stretch one grade into many minutes: a restart's start-up time counts against the current
    function's budget, a function that ended the worker ``MAX_DEATHS`` times runs no more
    tests, and once restarts have taken ``restart_budget`` seconds in all (the per-function
    timeout) no new worker is started for this submission.
    """

    MAX_DEATHS = 2

    def __init__(self, cells, limits, worker_cls, worker_error, restart_budget=60.0, load_timeout=None):
        self.cells = [(c.label, c.source) for c in cells]
        self.limits = limits
        self.worker_cls, self.worker_error = worker_cls, worker_error
        self.worker = None
        self.load_report = None
        self.start_error = None  # the code cannot be loaded, or we stopped restarting: calls fail
        self.deaths = 0          # worker deaths during the current function
        self.restart_budget = restart_budget
        self.restart_seconds = 0.0  # time spent starting replacement workers
        self.stopped = None         # set once we stop starting workers for this submission
        self.integrity = set()      # attempts the sandbox noted (sandbox/audit.py), all workers
        self.load_timeout = load_timeout  # seconds loading may take (None: the worker's default)

    def _start(self, budget):
        kwargs = {} if self.limits is None else {"limits": self.limits}
        if self.load_timeout is not None:
            kwargs["load_timeout"] = self.load_timeout
        started = time.monotonic()
        try:
            self.worker = self.worker_cls(cells=self.cells, **kwargs)
        except self.worker_error as exc:
            if getattr(exc, "grader_fault", False):   # the grader's trouble, not the code's: a grader error
                raise
            # Loading is deterministic: if it fails once it would fail again, so do not retry.
            self.start_error = feedback.one_line(str(exc)) or "the worker could not start"
            return
        if self.load_report is None:
            self.load_report = dict(self.worker.load_report or {})
        else:  # a restart: its time belongs to the function that needed it
            budget.used += time.monotonic() - started
            self.restart_seconds += time.monotonic() - started
        fatal = (self.worker.load_report or {}).get("fatal")
        if fatal or not self.worker.alive:
            self.start_error = feedback.one_line(fatal or "the worker stopped while loading your code")
            self.restart()

    def new_function(self):
        self.deaths = 0

    def _refusal(self, function, budget):
        """A `_Reply` when no call can be made now (no time, stopped, cannot load), else None.

        Starts (or restarts) the worker when needed.
        """
        if self.worker is not None and not self.worker.alive:  # killed while stopping a batch
            self.restart()
        if budget.left <= 0:
            return _Reply("timed out", f"no time left: the tests of {function} used up their "
                                       f"{budget.seconds:g} s")
        if self.stopped is not None:
            return _Reply("crashed", self.stopped)
        if self.deaths >= self.MAX_DEATHS:
            return _Reply("crashed", f"not run: {function} ended the worker process "
                                     f"{self.MAX_DEATHS} times in earlier tests")
        if self.worker is None and self.load_report is not None and self.restart_seconds >= self.restart_budget:
            self.stopped = (f"not run: restarting the worker after crashes used up the "
                            f"{self.restart_budget:g} s allowed, so no more were started")
            return _Reply("crashed", self.stopped)
        if self.worker is None and self.start_error is None:
            self._start(budget)
        if self.start_error is not None:
            return _Reply("crashed", f"your code could not be loaded: {self.start_error}")
        if budget.left <= 0:  # reloading the code in a fresh worker used up the time
            return _Reply("timed out", f"no time left: reloading your code for {function} used up its "
                                       f"{budget.seconds:g} s")
        return None

    def calls(self, function, cases, budget):
        """Yield the worker's reply to each case, in order, all sent in one batch.

        Each reply's time is charged to ``budget`` as it arrives. A reply that ended the worker
        (crash, timeout) is the last one (``self.worker`` is then None and the next batch gets
        a fresh worker); a `_Reply` (no call was made) is the only one. Close the generator to
        stop early: the worker drops the rest of the batch (if it is killed for being slow to
        stop, the next batch gets a fresh worker, and that is not a death).
        """
        refusal = self._refusal(function, budget)
        if refusal is not None:
            yield refusal
            return
        worker = self.worker
        batch = worker.call_batch(function, [(case.args, case.kwargs) for case in cases], timeout=budget.left)
        try:
            for number in range(len(cases)):
                if number and budget.left <= 0:  # as if called one by one: the next call is not made
                    yield _Reply("timed out", f"no time left: the tests of {function} used up their "
                                              f"{budget.seconds:g} s")
                    return
                try:
                    reply = next(batch)
                except StopIteration:
                    return
                except self.worker_error as exc:  # the worker died between batches, or the sandbox failed
                    if getattr(exc, "grader_fault", False):   # not the student's: a grader error
                        raise
                    reply = _Reply("crashed", feedback.one_line(str(exc)))
                budget.used += max(float(reply.seconds or 0.0), 0.0)
                if not worker.alive:  # this very call ended it
                    self.deaths += 1
                    self.restart()
                    yield reply
                    return
                yield reply
        finally:
            batch.close()  # a worker killed while stopping is replaced before the next batch

    def call(self, function, case, budget):
        """The reply to one case (a batch of one)."""
        replies = self.calls(function, [case], budget)
        try:
            return next(replies)
        finally:
            replies.close()

    def restart(self):
        """Drop the worker; the next call starts a fresh one."""
        if self.worker is not None:
            self.integrity.update(getattr(self.worker, "integrity", ()))  # what the code attempted
            self.worker.close()
            self.worker = None

    def close(self):
        self.restart()


# ---------------------------------------------------------------- checking one call

@dataclass
class Outcome:
    """How one call came out. ``got`` is the student's answer (an ndarray) while the outcome
    may still be the test's result; once superseded it is only a `Summary` (see `forget_got`)."""
    status: str
    case: Any = None
    got: Any = None
    expected: Any = None
    scale: Any = None
    message: str = ""        # the worker's message, or what differed
    from_property: bool = False

    def forget_got(self):
        """Keep only a `Summary` of ``got``: this outcome will never be the test's result.

        A Hypothesis run can judge hundreds of failing examples, and an answer may be as large
        as the protocol's caps (64 MB): the judge (which has no memory limit) keeps the full
        answer only of the failures that can still be shown.
        """
        if isinstance(self.got, np.ndarray):
            self.got = Summary(self.got.shape, self.got.dtype)


@dataclass(frozen=True)
class Summary:
    """What the judge keeps of a superseded answer: its shape and dtype (a few bytes)."""
    shape: tuple
    dtype: Any

    @property
    def ndim(self):
        return len(self.shape)


def check(function, case, session, budget, expected=None):
    """Call ``function`` on ``case`` in the worker and judge the reply.

    ``expected`` is ``(answer, tolerance scale)`` when already known (replayed examples).
    """
    return judge_reply(function, case, session.call(function, case, budget), expected)


def judge_reply(function, case, reply, expected=None):
    """The `Outcome` of the worker's ``reply`` to ``case`` (``expected`` as in `check`)."""
    if isinstance(reply, _Reply):  # the judge's own "not run" / "no time left": no input to show
        return Outcome(reply.status, message=reply.message)
    if reply.status != "ok":
        status = _REPLY_STATUS.get(reply.status, "crashed")
        return Outcome(status, case, message=feedback.one_line(reply.message or reply.status))
    expected, scale = expected or props.expected_for(function, case)
    got = np.asarray(reply.value)
    if got.dtype.kind not in "biuf":
        return Outcome("wrong values", case, message=f"the result has dtype {got.dtype}, expected numbers")
    if got.shape != expected.shape:
        return Outcome("wrong shape", case, got, expected, scale)
    if not props.tolerance.within(got, expected, scale).all():
        return Outcome("wrong values", case, got, expected, scale)
    sent = props.arrays_in(case)
    names = feedback.arg_names(function, case)
    for index, (before, after) in enumerate(zip(sent, reply.inputs_after or ())):
        if not props.same_bits(before, after):
            return Outcome("modified input", case, got, expected, scale,
                           message=feedback.modified(names[index] if index < len(names) else f"argument {index + 1}",
                                             before, after))
    return Outcome("passed", case)


def first_failure(function, cases, session, budget, expected=None):
    """The `Outcome` of the first of ``cases`` that does not pass, or "passed"; one batch.

    ``expected`` lists each case's ``(answer, scale)`` when known; otherwise they come from
    `expected_once`. The worker stops at the first failure (it may have run a few cases
    past it, whose answers are dropped).
    """
    return _first_failure_at(function, cases, session, budget, expected)[1]


def _first_failure_at(function, cases, session, budget, expected=None):
    """``(index, outcome)`` of `first_failure` (index -1 when all passed)."""
    if not cases:
        return -1, Outcome("passed")
    replies = session.calls(function, cases, budget)
    index = -1
    try:
        for index, reply in enumerate(replies):
            case = cases[index]
            outcome = judge_reply(function, case, reply, expected[index] if expected else expected_once(function, case))
            if outcome.status != "passed":
                return index, outcome
    finally:
        replies.close()
    if index != len(cases) - 1:  # a session must answer every case or fail one
        raise RuntimeError(f"the worker session answered {index + 1} of {len(cases)} cases")
    return -1, Outcome("passed")


# The answers to the suites' fixed cases, computed once per judge process (the cases are
# module-level constants; the entry keeps its case alive, so its id is never reused).
_EXPECTED = {}


def expected_once(function, case):
    """``props.expected_for(function, case)``, cached for the suites' fixed cases."""
    entry = _EXPECTED.get(id(case))
    if entry is None or entry[0] is not case:
        entry = _EXPECTED[id(case)] = (case, props.expected_for(function, case))
    return entry[1]


class _StopTest(BaseException):
    """Leaves a Hypothesis run at once (BaseException, so Hypothesis does not shrink it)."""


class _Failed(AssertionError):
    """A failing example: Hypothesis shrinks it."""


# Derandomized Hypothesis draws the same examples in the same order until one fails. So the
# examples of a passing run (with their expected answers) are drawn once per judge process and
# replayed for every submission (in one batch); only a failure calls Hypothesis again, from
# scratch, to find and shrink it exactly as a run without the replay would (tests compare the
# two: REPLAY=False).
#
# What Hypothesis does next depends only on how each example it tried came out (passed,
# failed, or stopped the run), so its runs are also remembered, as a tree of the examples it
# tried (`_Step`): a later submission whose examples come out the same way walks the tree,
# calling its worker on each example, without running Hypothesis at all; where it leaves the
# tree, Hypothesis runs from scratch (the examples already judged in this run are answered from
# memory, not called again) and the tree grows by the new path.
# With ``dlgrade grade --jobs N`` the pool's judge processes share the paths they learn
# (`share_runs`), so each path is found and shrunk about once per batch, not once per process.
REPLAY = True
_PASSING_RUNS = {}
_RUN_TREES = {}      # (function, test name) -> the _Step of a Hypothesis run's first example
MAX_STEPS = 200_000  # examples remembered in all trees of a judge process (then no more are added)
_steps = 0
# How failing property tests were shrunk in this process: "remembered" (walked a tree to its
# end), "hypothesis" (Hypothesis ran), "diverged" (Hypothesis drew other examples than
# remembered: never expected, the tests keep it 0).
RUNS = Counter()


class _Step:
    """One example a Hypothesis run tried: ``then[kind]`` is the next one, or None when the
    run ended after that outcome ("pass", "fail" or "stop"); ``seen[kind]`` counts the
    submissions that answered so."""

    __slots__ = ("case", "expected", "then", "seen")

    def __init__(self, case):
        self.case, self.expected, self.then, self.seen = case, None, {}, Counter()

    def likely(self):
        """The outcome most submissions had here."""
        return max(self.then, key=self.seen.__getitem__)


def _kind(outcome, session):
    """How Hypothesis sees an outcome: "pass", "fail" (shrink it) or "stop" (end the run)."""
    if outcome.status == "passed":
        return "pass"
    if outcome.status in _STOP_TEST or session.worker is None:
        return "stop"  # a dead worker costs a restart per example: keep this failure
    return "fail"


def run_test(test, session, budget):
    """The ``Outcome`` of one test: the first failing fixed case, or Hypothesis's smallest failure."""
    if test.strategy is None:
        return first_failure(test.function, list(test.cases), session, budget)
    if not REPLAY:
        return _hypothesis(test, session, budget, [], [])[0]
    key = (test.function, test.name)
    if key not in _PASSING_RUNS:
        _PASSING_RUNS[key] = [(case, props.expected_for(test.function, case)) for case in _draw_passing_run(test)]
    cases = [case for case, _ in _PASSING_RUNS[key]]
    index, outcome = _first_failure_at(test.function, cases, session, budget, [e for _, e in _PASSING_RUNS[key]])
    if outcome.status == "passed":
        return outcome
    outcome.from_property = True
    if _kind(outcome, session) == "stop":
        return outcome  # Hypothesis would stop at this very example too
    # A plain failure: Hypothesis finds it again (the examples before it pass), and shrinks it.
    path = [(case, "pass", None) for case in cases[:index]] + [(cases[index], "fail", outcome)]
    failures = [outcome]
    _ingest(key)
    while True:
        step, state = _RUN_TREES.get(key), "walk" if key in _RUN_TREES else "new"
        for _, kind, _ in path:  # the replay's examples are the run's first ones
            if state != "walk":
                break
            step, state = _follow(step, kind)
        while state == "walk":  # a remembered run, as long as this code answers as it did there
            step, state = _walk(test, step, session, budget, path, failures)
        # Off the tree: another judge process of the batch may have learned this path meanwhile.
        if state != "new" or not _ingest(key):
            break
    if state == "end":
        RUNS["remembered"] += 1
        return _result(failures, failures[0])
    RUNS["hypothesis"] += 1
    try:
        result, path = _hypothesis(test, session, budget, path, failures, replayed=failures[0])
    except _Diverged:  # never expected; forget the remembered runs and run as without them
        RUNS["diverged"] += 1
        _RUN_TREES.pop(key, None)
        return _hypothesis(test, session, budget, [], [], replayed=failures[0])[0]
    _remember(key, path)
    if _EXCHANGE is not None:
        _EXCHANGE.publish(key, [(case, kind) for case, kind, _ in path])
    return result


def _walk(test, step, session, budget, path, failures):
    """Call the worker on the examples a remembered run tried from ``step`` on, in one batch
    along the likeliest outcomes, until this code answers otherwise (then the batch is stopped)
    or the run ends; ``(step, state)`` as `_follow` says where that leaves the walk."""
    plan, ahead = [], step
    while ahead is not None and len(plan) < 256:
        kind = ahead.likely()
        plan.append((ahead, kind))
        ahead = ahead.then[kind]
    replies = session.calls(test.function, [s.case for s, _ in plan], budget)
    try:
        for (step, likely), reply in zip(plan, replies):
            if step.expected is None:
                step.expected = props.expected_for(test.function, step.case)
            outcome = judge_reply(test.function, step.case, reply, step.expected)
            outcome.from_property = True
            kind = _kind(outcome, session)
            path.append((step.case, kind, outcome))
            if kind != "pass":
                _add_failure(failures, outcome)
            step.seen[kind] += 1
            following, state = _follow(step, kind)
            if kind != likely or state != "walk":
                return following, state
    finally:
        replies.close()
    return following, state


def _follow(step, kind):
    """``(next step, "walk")``, ``(None, "end")`` (the run ended there) or ``(None, "new")``."""
    if kind not in step.then:
        return None, "new"
    following = step.then[kind]
    return (following, "walk") if following is not None else (None, "end")


def _add_failure(failures, outcome):
    """Append ``outcome`` to a run's failures. Only the first (a replayed failure stands if a
    second run passes) and the last (the shrunk one, so far) can be the test's result: the one
    ``outcome`` supersedes keeps just a summary of its answer, so the judge holds at most three
    full answers at a time (those two and the one being judged), however long shrinking takes."""
    if len(failures) > 1:
        failures[-1].forget_got()
    failures.append(outcome)


def _result(failures, replayed):
    # Hypothesis replays the minimal failing example last, so the last failure is the shrunk one.
    # A function that fails only now and then (state kept between calls, np.empty left
    # partly unfilled) may pass Hypothesis's second run: its replayed failure still counts.
    result = failures[-1] if failures else replayed or Outcome("passed")
    for outcome in (*failures, replayed):  # Hypothesis's own objects may keep them a while
        if outcome is not None and outcome is not result:
            outcome.forget_got()
    return result


def _draw_passing_run(test):
    """The examples Hypothesis draws for ``test`` when every one of them passes."""
    drawn = []

    def record(case):
        drawn.append(case)

    _hypothesis_test(test, record)()
    return drawn


# Hypothesis's derandomized seed is a digest of the property function's source, so editing the
# judge would change every example drawn. The seed is pinned instead: the one the judge's
# property function had before the engine change (issue 12), so grades stayed identical.
PROPERTY_SEED = int("4422551499733301738177067294958029460692785257874242540441653719401054882537"
                    "807847694546116805153203942254759082432")


def _hypothesis_test(test, prop):
    """``prop`` as the Hypothesis test of ``test``: its strategy, the grader's settings and seed."""
    return seed(PROPERTY_SEED)(props.grader_settings(test.max_examples)(given(test.strategy)(prop)))


def _hypothesis(test, session, budget, path, failures, replayed=None):
    """Run Hypothesis on ``test``: ``(outcome, path)``, path the ``(case, kind, outcome)`` of
    every example it tried. The first ``len(path)`` examples are answered from ``path`` (this
    submission's own answers, already in ``failures``) instead of calling the worker again."""
    known, path, failures = list(path), [], failures

    def prop(case):
        if len(path) < len(known):
            same, kind, outcome = known[len(path)]
            if not _same_case(case, same):  # never expected: Hypothesis drew something else
                raise _Diverged
        else:
            outcome = check(test.function, case, session, budget)
            outcome.from_property = True
            kind = _kind(outcome, session)
            if kind != "pass":
                _add_failure(failures, outcome)
        path.append((case, kind, outcome))
        if kind == "stop":
            raise _StopTest
        if kind == "fail":
            raise _Failed(outcome.status)

    try:
        _hypothesis_test(test, prop)()
    except _StopTest:
        pass
    except Exception:  # noqa: BLE001 - Hypothesis re-raises the shrunk failure; we recorded it
        if not failures:
            raise
    return _result(failures, replayed), path


class _Diverged(BaseException):
    """Hypothesis drew an example other than the one remembered at this point (a bug)."""


def _same_case(a, b):
    """True when two cases are the same call (arrays bit for bit)."""
    def same(x, y):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and props.same_bits(x, y)
        if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
            return (type(x) is type(y) and len(x) == len(y)
                    and all(same(u, v) for u, v in zip(x, y)))
        return type(x) is type(y) and x == y
    return (same(a.args, b.args) and a.kwargs.keys() == b.kwargs.keys()
            and all(same(a.kwargs[k], b.kwargs[k]) for k in a.kwargs))


# The batch's other judge processes (``dlgrade grade --jobs N``): the paths each one learns
# are published and ingested by the others (`autograder.shared_runs`); None: this process alone.
_EXCHANGE = None


def share_runs(folder, secret, max_bytes=None, max_files=None):
    """Share remembered Hypothesis runs through a batch's folder (None: stop sharing).

    Called by ``grade``'s pool initializer; ``max_bytes`` / ``max_files`` bound what this
    process writes there (None: `shared_runs`'s batch-wide limits).
    """
    global _EXCHANGE
    from autograder import shared_runs

    _EXCHANGE = None if folder is None else shared_runs.RunExchange(
        folder, secret, max_bytes=max_bytes or shared_runs.MAX_BYTES,
        max_files=max_files or shared_runs.MAX_FILES)


def _ingest(key):
    """Add the paths of ``key`` other processes published since last time; True if any."""
    if _EXCHANGE is None:
        return False
    news = _EXCHANGE.news(key)
    for steps in news:
        _remember(key, [(case, kind, None) for case, kind in steps])
    return bool(news)


def _remember(key, path):
    """Add a run's path to the tree of ``key`` (up to `MAX_STEPS` examples in all)."""
    global _steps
    if not path:
        return
    step = _RUN_TREES.get(key)
    if step is None:
        if _steps >= MAX_STEPS:
            return
        step = _RUN_TREES[key] = _Step(path[0][0])
        _steps += 1
    for number, (_, kind, _) in enumerate(path):
        step.seen[kind] += 1
        if number + 1 == len(path):
            step.then.setdefault(kind, None)
        elif step.then.get(kind) is None:
            if _steps >= MAX_STEPS:
                return
            step.then[kind] = _Step(path[number + 1][0])
            _steps += 1
        step = step.then[kind]


# ---------------------------------------------------------------- scoring

def max_scores(suite, points):
    """Each test's max score: its weight scaled so the suite adds up to exactly ``points``."""
    weights = [Fraction(t.weight) for t in suite.tests]
    total = sum(weights)
    scaled = [w * Fraction(points) / total for w in weights]
    return [float(s) for s in scaled]


def grade(submission, assignment, *, timeout=60.0, visibility="after_published", limits=None,
          load_timeout=None):
    """Grade one submission; return the complete results.json dict (see the plan's format).

    Args:
        submission: ``autograder.submissions.Submission`` (``.student``, ``.cells`` with
            ``.source`` / ``.label``, ``.sha256``, ``.problems``).
        assignment: ``"week08"`` or ``"week09"``.
        timeout: seconds of worker time per graded function (all its calls together).
        visibility: Gradescope visibility of the hidden tests.
        limits: ``autograder.sandbox.Limits`` for the worker, or None for its defaults.
        load_timeout: seconds the submission's top-level statements may take to load, all
            together (``--load-timeout``; None: the sandbox's default, 60 s); a statement still
            running then is skipped.
    """
    lab = course.load().lab(assignment)
    suite = suites.load(assignment)
    maxima = max_scores(suite, lab.points)
    worker_cls, isolation, worker_error = _sandbox()
    session = (_Session(submission.cells, limits, worker_cls, worker_error, restart_budget=timeout,
                        load_timeout=load_timeout)
               if submission.cells else None)

    results = []
    try:
        for f_number, function in enumerate(lab.functions, start=1):
            budget = _Budget(timeout)
            if session is not None:
                session.new_function()
            stopped = None  # set once the function's time is up
            for t_number, test in enumerate(suite.tests_for(function), start=1):
                if session is None:
                    outcome = Outcome("not implemented", message="no code to grade: "
                                      + ("; ".join(submission.problems) or "the submission has no code"))
                elif stopped is not None:
                    outcome = Outcome("timed out", message=stopped)
                else:
                    outcome = run_test(test, session, budget)
                    if outcome.status == "timed out":
                        stopped = (f"not run: the tests of {function} used up their {timeout:g} s "
                                   "in an earlier test")
                # The feedback is written now, so the student's answer is not kept past its test.
                results.append((f"{f_number}.{t_number}", test, outcome.status,
                                feedback.test_output(suite, test, outcome, timeout)))
                outcome.forget_got()  # Hypothesis's cyclic garbage may keep the outcome until gc runs
    finally:
        if session is not None:
            session.close()

    tests, by_function = [], {}
    index = {id(t): i for i, t in enumerate(suite.tests)}
    for number, test, status, output in results:
        max_score = maxima[index[id(test)]]
        score = max_score if status == "passed" else 0.0
        by_function.setdefault(test.function, [0.0, 0.0])
        by_function[test.function][0] += score
        by_function[test.function][1] += max_score
        tests.append({"name": test.name, "number": number, "score": score, "max_score": max_score,
                      "status": status, "output": output, "visibility": visibility, "tags": [test.function]})
    score = float(sum(Fraction(t["score"]) for t in tests))
    max_score = float(sum(Fraction(t["max_score"]) for t in tests))

    lines = feedback.load_summary(submission, session)
    lines.append(f"{assignment}: {score:g} / {max_score:g} points. "
                 + ", ".join(f"{fn} {s:g}/{m:g}" for fn, (s, m) in by_function.items()) + ".")
    output = "\n".join(lines)
    if len(output) > MAX_OUTPUT:
        output = output[: MAX_OUTPUT - 3] + "..."
    flags = sorted({t["status"] for t in tests} & set(FLAG_STATUSES))
    return {
        "score": score,
        "output": output,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student": submission.student,
            "assignment": assignment,
            "kit_version": autograder.__version__,
            "isolation": isolation,
            "numpy": np.__version__,  # the NumPy that graded (the lab's requirements ask for its major.minor)
            "max_score": max_score,
            "submission_sha256": submission.sha256,
            "options": {"timeout": timeout, "visibility": visibility},
            "flags": flags,
            # what the code attempted (best effort; the report shows it as "attempted")
            "integrity": sorted(session.integrity) if session is not None else [],
        },
    }
