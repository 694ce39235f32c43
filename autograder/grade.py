"""``dlgrade grade``: grade a batch of submissions of one assignment into a results folder.

    dlgrade grade --assignment week09 --out RESULTS_DIR [--timeout SECONDS] [--jobs N]
                  [--load-timeout SECONDS] [--force]
                  [--visibility {hidden,after_due_date,after_published,visible}]
                  SUBMISSION...

Every student found in the inputs gets a result (see ``autograder.submissions``): one whose
files no rule can choose from, or who handed in nothing usable, gets score 0 and status
``no submission`` naming the files found, without starting a sandbox.

A results folder belongs to one assignment: grading another assignment into a folder that
holds results of a different one stops with a one-line error before anything is written.

Each student's result is written (atomically) as soon as that student is graded, so an
interrupted batch can be rerun: a student is skipped when ``RESULTS_DIR/<student>.json``
exists, was made without an internal grader error, and from the same file content (sha256),
the same kit version and the same options: assignment, timeout, visibility, and a
fingerprint of the grading code and data (judge, feedback, sandbox, suites, fixtures, reference,
syllabus), so a fixed test regrades even before the version number moves. ``--force``
regrades everyone. ``scores.csv`` is rebuilt at the end from all results of
the assignment in the folder.

Student ids are stable within a results folder: a name graded into it before keeps the id it
got then (``results.known_ids``), so a classmate whose file name differs only in case
(``ADA.py`` beside ``ada.py``) never moves another student's result or scores.csv row.
``RESULTS_DIR/passed-over.txt`` lists every file of the inputs that was not graded, and
why (the summary line counts them).

The judge is trusted code (it never runs student code itself; each judge call starts its own
sandboxed worker), so ``--jobs N`` runs N judges in a process pool; ``--jobs 1`` grades in
this process. The pool's judges share the Hypothesis runs they learn through a private temp
folder of the batch (``autograder.shared_runs``; removed at the end, never seen by student code).
"""
import argparse
import concurrent.futures
import functools
import hashlib
import importlib
import multiprocessing
import os
import pathlib
import re
import signal
import sys
import traceback
from collections import Counter

from . import __version__

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
ERROR_LOG = "grader-errors.log"
# The judge module, by name so that pool processes import it themselves (and tests can
# point it at a stand-in).
JUDGE_MODULE = "autograder.judge"


def _positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def add_arguments(parser):
    parser.add_argument("--assignment", required=True, metavar="NAME",
                        help="the lab to grade, as named in the syllabus (e.g. week08, week09)")
    parser.add_argument("--out", required=True, metavar="RESULTS_DIR",
                        help="folder for <student>.json results and scores.csv (created if needed)")
    parser.add_argument("--timeout", type=_positive_seconds, default=60.0, metavar="SECONDS",
                        help="time one submission may spend on one function's tests (default: 60)")
    parser.add_argument("--load-timeout", type=_positive_seconds, default=60.0, metavar="SECONDS",
                        help="time the top-level statements of one submission may take to load, "
                             "all together; a statement still running then is stopped and skipped "
                             "(default: 60)")
    parser.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                        help="submissions graded in parallel (default: the number of CPU cores)")
    parser.add_argument("--force", action="store_true",
                        help="regrade every submission, even those with an up-to-date result")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                        help="Gradescope visibility of the hidden tests' details (default: after_published)")
    from .sandbox import LEVELS
    parser.add_argument("--isolation", choices=LEVELS, default=None, metavar="LEVEL",
                        help="accept this isolation level (or a stronger one) where the strongest, "
                             f"{LEVELS[0]}, cannot be had; one of: {', '.join(LEVELS)}")
    parser.add_argument("--syllabus", metavar="SYLLABUS_TOML",
                        help="the term's syllabus file: points and due dates "
                             "(default: the bundled autograder/syllabus.toml)")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help=".py or .ipynb file, a folder of them (or of per-student folders), a Canvas "
                             "'Download Submissions' zip or a Gradescope 'Export Submissions' zip/folder")


def _error(message):
    print(f"dlgrade grade: error: {message}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- the judge


def _judge(name=None):
    """The judge module (imported lazily: it pulls in Hypothesis and the suites)."""
    return importlib.import_module(name or JUDGE_MODULE)


def _isolation(accepted=None):
    """The batch's isolation level, decided once here (pool processes are handed it).

    Returns ``(level, root)`` (``root``: the uid levels' copied Python, shared by the pool);
    raises ``_UsageError`` with the one-line refusal when the strongest level cannot be had
    and ``accepted`` (``--isolation``) does not accept the level this machine provides.
    """
    from . import sandbox
    try:
        level = sandbox.isolation_level()
    except sandbox.NoIsolation as exc:
        raise _UsageError(f"{exc}; grade as root on Linux (namespaces and cgroups give the "
                          f"strongest level, {sandbox.LEVELS[0]})") from None
    order = sandbox.LEVELS   # strongest first
    if level != order[0] and (accepted is None or order.index(level) > order.index(accepted)):
        why = sandbox.launch.WEAKER_BECAUSE.get(order[0])
        raise _UsageError(f"the strongest isolation ({order[0]}) is not available here"
                          + (f" ({why})" if why else "") + f"; this machine provides '{level}' "
                          f"({sandbox.LEVEL_NOTES[level]}): rerun with --isolation {level} to accept it")
    sandbox.pin_level(level)
    return level, sandbox.launch.batch_root(level)


def _grade_task(submission, judge_module, assignment, timeout, visibility, load_timeout=60.0):
    """Grade one submission; never raises (runs in a pool process or in-process).

    Returns ``(result, None)`` or ``(None, traceback text)`` if the judge failed.
    """
    try:
        # No timing goes into the result (not even Gradescope's optional execution_time): two runs
        # over the same submissions write byte-identical files, so a diff shows grade changes only.
        return _judge(judge_module).grade(submission, assignment, timeout=timeout, visibility=visibility,
                                          load_timeout=load_timeout), None
    except Exception:  # a judge bug must cost one result, not the batch
        return None, traceback.format_exc()
    except (KeyboardInterrupt, SystemExit):
        # In a pool process this is the parent stopping the batch (SIGTERM, see _pool_init):
        # the judge has closed its sandbox on the way out; stop here rather than let the
        # pool take the next student.
        if _IN_POOL:
            os._exit(143)
        raise


_IN_POOL = False


def _pool_init(isolation=None, root=None, sharing=None):
    """Runs first in each pool process.

    Ctrl-C is left to the parent (which then terminates the pool), so an interrupted batch
    stops once and quietly; SIGTERM unwinds the judge, so its sandbox is closed. The
    isolation level is the one the parent decided (no pool process probes on its own).
    ``sharing``: ``(judge module, folder, secret, max bytes, max files)``: the batch's
    exchange of remembered Hypothesis runs (`autograder.shared_runs`), or None.
    """
    global _IN_POOL
    _IN_POOL = True
    if isolation is not None:
        from . import sandbox
        sandbox.pin_level(isolation, root)
    if sharing is not None:
        judge_module, *exchange = sharing
        share = getattr(_judge(judge_module), "share_runs", None)   # a stand-in judge may have none
        if share is not None:
            share(*exchange)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# What decides a grade besides the submission: the judge, the sandbox, the hidden tests
# and fixtures, the reference and the syllabus points. Their content is hashed into the
# cache key, so editing any of them regrades even when the kit version did not change.
_PACKAGE = pathlib.Path(__file__).resolve().parent
GRADER_FILES = (_PACKAGE / "judge.py", _PACKAGE / "feedback.py", _PACKAGE / "submissions",
                _PACKAGE / "syllabus.toml", _PACKAGE / "sandbox", _PACKAGE / "suites",
                _PACKAGE.parent / "reference")
_HASHED_SUFFIXES = {".py", ".npz", ".json", ".toml"}


@functools.cache
def grader_fingerprint():
    """sha256 (first 16 hex digits) over the grading code and data, by relative path."""
    digest = hashlib.sha256()
    for root in GRADER_FILES:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file() and path.suffix in _HASHED_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(_PACKAGE.parent).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- results


def _options(args):
    options = {"timeout": float(args.timeout), "visibility": args.visibility,
               "load_timeout": float(args.load_timeout), "grader": grader_fingerprint()}
    if getattr(args, "syllabus", None):   # a term's own syllabus: its points decide the maxima
        options["syllabus"] = hashlib.sha256(pathlib.Path(args.syllabus).read_bytes()).hexdigest()[:16]
    return options


def _is_current(result, submission, assignment, options, isolation):
    """True when a stored result was made from this content, kit version, options and
    isolation level (a result graded under weaker isolation is graded again)."""
    if not result:
        return False
    extra = result.get("extra_data") or {}
    return (extra.get("submission_sha256") == submission.sha256
            and extra.get("kit_version") == __version__
            and extra.get("assignment") == assignment
            and extra.get("options") == options
            and extra.get("isolation") == isolation
            and not extra.get("grader_error"))


def _stamp(result, submission, assignment, options, isolation):
    """Make sure the fields the cache and the reports rely on are present and right."""
    extra = result.setdefault("extra_data", {})
    # isolation: the level this batch detected (the judge asks the same cached probe), so the
    # cache can tell results graded under weaker isolation.
    extra.update(student=submission.student, assignment=assignment, kit_version=__version__,
                 submission_sha256=submission.sha256, options=dict(options), isolation=isolation)
    # What intake decided: the file graded (None: nothing was), and why / what was passed over;
    # where the file was found (a Canvas download's own member name), and the name the id
    # was made from (the results folder's memory of ids, see results.known_ids).
    extra.update(file=submission.file, notes=list(submission.notes),
                 upload=getattr(submission, "upload", None), raw_id=getattr(submission, "raw_id", None))
    extra["late"], submitted_at = _late(submission, assignment)
    if submitted_at:
        extra["submitted_at"] = submitted_at
    return result


def _no_submission_result(submission, lab, judge, visibility):
    """Score 0, every test ``no submission``, the output naming the files found (no sandbox)."""
    message = "; ".join(submission.problems) or "no submission"
    result = _crashed_result(submission, lab, judge, visibility, message)
    for test in result["tests"]:
        test["status"] = "no submission"
    extra = result["extra_data"]
    extra.pop("grader_error", None)
    extra["flags"] = []
    result["output"] = "\n".join(list(submission.problems) + list(submission.notes))
    return result


# Canvas's bulk download names late work "<login>_LATE_<user id>_<submission id>_<file>".
_CANVAS_LATE = re.compile(r"^.+?_LATE_\d+_\d+_.")


def _late(submission, assignment):
    """``(late, submitted_at)``: ``late`` is True when the Canvas name carries LATE or the
    submission time is after the lab's due date, False when known on time (a Canvas name
    without LATE, or a time before the due date), None when unknown (CONTRACT section 3)."""
    from . import course, submissions

    # getattr: Submission.late / .submitted_at come from intake (Canvas marker, Gradescope metadata)
    marker, submitted_at = getattr(submission, "late", None), getattr(submission, "submitted_at", None)
    name = pathlib.PurePath(str(submission.path)).name
    canvas = submissions.canvas_student(name)
    if marker or (canvas and _CANVAS_LATE.match(name)):
        return True, submitted_at
    if submitted_at:
        days = course.load().lab(assignment).days_late(submitted_at)
        if days is not None:
            return days > 0, submitted_at
    if canvas:
        return False, submitted_at       # Canvas marks every late file; this one has no marker
    return None, submitted_at


def _crashed_result(submission, lab, judge, visibility, message):
    """Every test of the lab 'crashed' with ``message``: nobody is lost to a judge bug."""
    plan = getattr(judge, "test_plan", None)
    tests = None
    if callable(plan):
        try:
            tests = [dict(t) for t in plan(lab.name, visibility=visibility)]
        except Exception:
            tests = None
    if not tests:
        tests = _tests_from_suite(lab, visibility)
    if not tests:  # no suite either: one test per function, the week's points split evenly
        share = lab.points / len(lab.functions)
        tests = [{"name": f"{fn}: graded", "number": f"{i}", "max_score": share,
                  "visibility": visibility, "tags": [fn]}
                 for i, fn in enumerate(lab.functions, start=1)]
    for test in tests:
        test.update(score=0.0, status="crashed", output=message)
    return {
        "score": 0.0,
        "output": message,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"max_score": float(lab.points), "flags": ["crashed"], "grader_error": message},
    }


def _tests_from_suite(lab, visibility):
    """The lab's hidden tests (names, points scaled to the week) without running any."""
    try:
        from . import suites
        suite = suites.load(lab.name)
        total = sum(t.weight for t in suite.tests)
        tests = []
        for f, function in enumerate(suite.functions, start=1):
            for t, test in enumerate(suite.tests_for(function), start=1):
                tests.append({"name": test.name, "number": f"{f}.{t}", "visibility": visibility,
                              "max_score": test.weight * lab.points / total, "tags": [function]})
        return tests
    except Exception:   # this is the fallback of a fallback: never let it raise
        return None


# --------------------------------------------------------------------------- running


def _run_in_process(pending, task_args):
    for submission in pending:
        yield submission, _grade_task(submission, *task_args)


def _run_in_pool(pending, task_args, jobs, isolation=(None, None), share_runs=False):
    """Yield ``(submission, (result, error))`` as judges finish, across a process pool.

    If a judge process dies (the pool breaks), the unfinished submissions are retried one
    at a time in fresh single-process pools, so the one that kills its judge is named and
    the others are still graded. With ``share_runs`` the judges share the Hypothesis runs
    they learn through a private folder of this batch (`autograder.shared_runs`), removed
    when the pool is done (or the caller stops early); each may fill 1/jobs of its bounds.
    """
    folder, sharing = None, None
    if share_runs:
        from . import shared_runs
        folder, secret = shared_runs.create()
        sharing = (task_args[0], folder, secret, shared_runs.MAX_BYTES // jobs, shared_runs.MAX_FILES // jobs)
    try:
        yield from _pool(pending, task_args, jobs, (*isolation, sharing))
    finally:
        if folder is not None:
            shared_runs.remove(folder)


def _pool(pending, task_args, jobs, initargs):
    """`_run_in_pool`'s work: the pool, then the retries after a broken pool."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads (tqdm)
    left = list(pending)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                                initializer=_pool_init, initargs=initargs) as pool:
        futures = {pool.submit(_grade_task, s, *task_args): s for s in left}
        try:
            for future in concurrent.futures.as_completed(futures):
                submission = futures[future]
                try:
                    outcome = future.result()
                except concurrent.futures.process.BrokenProcessPool:
                    break
                left.remove(submission)
                yield submission, outcome
        except BaseException:   # interrupted, or the caller stopped early
            # Stop the judges now rather than wait for them (private attribute, guarded;
            # read before shutdown, which forgets it).
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            raise
    for submission in list(left):  # only after a broken pool
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context,
                                                    initializer=_pool_init, initargs=initargs) as single:
            try:
                outcome = single.submit(_grade_task, submission, *task_args).result()
            except concurrent.futures.process.BrokenProcessPool as exc:
                outcome = (None, f"the judge process died while grading ({exc})")
        yield submission, outcome


class _UsageError(Exception):
    """Nothing can be graded as asked; exit 2 with this one-line message."""


def _check_results_folder(out, assignment):
    """Raise _UsageError when ``out`` holds results of another assignment (nothing written yet)."""
    from . import results

    try:
        others = sorted({str(r.get("extra_data", {}).get("assignment")) for _, r in results.iter_results(out)}
                        - {assignment})
    except OSError:
        return
    if others:
        raise _UsageError(f"{out} holds results of {', '.join(others)}; grade {assignment} into a "
                          "folder of its own (results folders belong to one assignment)")


def _prepare(args):
    """``(lab, submissions)`` after checking everything that needs no grading; or _UsageError."""
    from . import course, results, submissions

    try:
        lab = course.load(getattr(args, "syllabus", None)).lab(args.assignment)
    except KeyError as exc:
        raise _UsageError(exc.args[0]) from None
    except course.SyllabusError as exc:
        raise _UsageError(str(exc)) from None
    if getattr(args, "syllabus", None):
        # The judge reads the syllabus too (in this process or in spawned pool processes,
        # which inherit the environment): point every course.load() at the term's file.
        os.environ[course.ENVIRONMENT] = os.path.abspath(args.syllabus)
    if os.path.isdir(args.out):
        _check_results_folder(args.out, lab.name)
    passed = []        # files that belong to no student (a top-level .DS_Store, __MACOSX/)
    try:
        batch = submissions.collect(args.submissions, assignment=lab.name, skip=[args.out], passed=passed,
                                    known_ids=results.known_ids(args.out))
    except submissions.SubmissionError as exc:
        raise _UsageError(str(exc)) from None
    bad_ids = []
    for submission in batch:
        try:
            results.check_student_id(submission.student)
        except results.ResultsError as exc:
            bad_ids.append(f"{submission.path}: {exc}")
    if bad_ids:
        raise _UsageError("; ".join(bad_ids))
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise _UsageError(f"cannot create results folder {args.out}: {exc.strerror or exc}") from None
    return lab, batch, [("", row) for row in passed] + [(s.student, row) for s in batch for row in s.skipped]


def run(args):
    from . import results
    from tqdm import tqdm

    try:
        lab, batch, passed = _prepare(args)
    except _UsageError as exc:
        return _error(str(exc))
    out = args.out
    try:
        judge = _judge()
    except ImportError as exc:
        return _error(f"the grader is not fully installed ({exc})")
    try:
        isolation, root = _isolation(args.isolation)
    except _UsageError as exc:   # the refusal: nothing graded, one line
        return _error(str(exc))
    except Exception as exc:   # the sandbox cannot start at all: nothing can be graded
        return _error(f"cannot start the sandbox: {exc}")
    print(f"dlgrade grade: {lab.name} ({lab.title}), {len(batch)} student(s), "
          f"isolation: {isolation}")
    _warn_merged(passed)
    try:
        results.write_passed_over(out, passed)
    except OSError as exc:
        return _error(f"cannot write {results.PASSED_OVER} in {out}: {exc.strerror or exc}")

    options = _options(args)
    pending, cached, missing = [], [], []
    for submission in batch:
        if submission.missing:
            missing.append(submission)
            continue
        stored = None if args.force else results.read_result(out, submission.student)
        if _is_current(stored, submission, lab.name, options, isolation):
            cached.append((submission, stored))
        else:
            pending.append(submission)

    jobs = min(args.jobs or os.cpu_count() or 1, max(len(pending), 1))
    if jobs > 1 and "autograder.sandbox" in sys.modules:
        # The probe's fork server would idle here: each pool process starts its own.
        sys.modules["autograder.sandbox"].launch.close_fork_servers()
    task_args = (JUDGE_MODULE, lab.name, options["timeout"], options["visibility"], options["load_timeout"])
    runner = (_run_in_process(pending, task_args) if jobs == 1
              else _run_in_pool(pending, task_args, jobs, (isolation, root), share_runs=True))
    graded, failures = [], 0
    for submission in missing:
        result = _stamp(_no_submission_result(submission, lab, judge, args.visibility), submission,
                        lab.name, options, isolation)
        try:
            results.write_result(out, submission.student, result)
        except (OSError, ValueError) as exc:
            return _write_failed(out, submission, exc)
        graded.append((submission, result))
    with tqdm(total=len(pending), unit="student", file=sys.stderr, disable=None,
              desc=f"grading {lab.name}") as bar:
        for submission, (result, error) in runner:
            if result is None or not isinstance(result, dict):
                failures += 1
                first = (error or "the judge returned no result").strip().splitlines()[-1]
                message = f"internal grader error: {first}"
                _log_error(out, submission, error or message)
                tqdm.write(f"dlgrade grade: {submission.student}: {message} "
                           f"(details in {os.path.join(out, ERROR_LOG)})", file=sys.stderr)
                result = _crashed_result(submission, lab, judge, args.visibility, message)
            _stamp(result, submission, lab.name, options, isolation)
            try:
                results.write_result(out, submission.student, result)
            except (OSError, ValueError) as exc:
                bar.close()
                return _write_failed(out, submission, exc)
            graded.append((submission, result))
            bar.update(1)

    from .sandbox import launch
    launch.sweep_worker_files()   # files of worker uids in /dev/shm, /tmp, /var/tmp: none should exist
    launch.sweep_worker_ipc()     # their System V IPC objects (uid levels): none should exist either
    try:
        scores = results.write_scores(out, lab.name)
    except OSError as exc:
        print(f"dlgrade grade: error: cannot write scores.csv in {out}: {exc}", file=sys.stderr)
        return 1
    _summary(lab, batch, graded, cached, failures, scores, passed)
    return 0


def _write_failed(out, submission, exc):
    print(f"dlgrade grade: error: cannot write the result of {submission.student} in {out}: "
          f"{getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
    return 1


def _log_error(out, submission, text):
    try:
        with open(os.path.join(out, ERROR_LOG), "a", encoding="utf-8") as log:
            log.write(f"--- {submission.student} ({submission.path})\n{text.rstrip()}\n")
    except OSError:
        pass


def _warn_merged(passed):
    """One line when a student was found in several inputs and a later input's file replaced an
    earlier one: two different students may share a file name across inputs."""
    from . import results

    merged = sorted({student for student, row in passed if row.reason.startswith("replaced by")})
    if merged:
        print(f"dlgrade grade: warning: {len(merged)} student(s) found with the same file name in several "
              f"inputs ({', '.join(merged[:5])}{', ...' if len(merged) > 5 else ''}): the later input's "
              f"file was graded (see {results.PASSED_OVER})", file=sys.stderr)


def _summary(lab, batch, graded, cached, failures, scores_path, passed=()):
    """One line: students, what intake did (no submission, files passed over), scores, statuses.

    ``passed``: ``(student, PassedOver)`` for every file not graded (passed-over.txt's lines).
    """
    from . import results

    everyone = graded + cached
    missing = [s.student for s in batch if s.missing]
    passed_over = len(passed)
    statuses = Counter(t.get("status", "?") for _, r in everyone for t in r.get("tests", []))
    mean = sum(float(r.get("score", 0.0)) for _, r in everyone) / max(len(everyone), 1)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0])))
    line = (f"dlgrade grade: {len(batch)} student(s): {len(graded) - len(missing)} graded, "
            f"{len(cached)} cached, {len(missing)} no submission")
    if missing:
        line += f" ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})"
    line += (f"; {passed_over} file(s) passed over" + (f" (see {results.PASSED_OVER})" if passed_over else "")
             + f"; mean score {mean:.2f} / {lab.points:g}; tests: {counts or 'none'}")
    if failures:
        line += f"; {failures} internal grader error(s), see {ERROR_LOG}"
    print(line)
    # A results folder accumulates (late students graded one by one): say which rows of
    # scores.csv these inputs did not produce, so a TA never mistakes them for this run's.
    try:
        rows = results.scores_students(scores_path)
    except (OSError, ValueError):
        rows = None
    if rows is None:
        print(f"dlgrade grade: scores: {scores_path}")
        return
    earlier = sorted(set(rows) - {s.student for s in batch})
    line = f"dlgrade grade: scores: {scores_path}: {len(rows)} student(s)"
    if earlier:
        line += (f", {len(earlier)} of them from earlier runs (not in these inputs: "
                 f"{', '.join(earlier[:5])}{', ...' if len(earlier) > 5 else ''}; "
                 "grade into an empty --out folder to start clean)")
    print(line)
