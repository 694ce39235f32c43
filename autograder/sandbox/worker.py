"""The only code that runs inside the box: exec student code, answer calls.

Started by `launch.py` as ``python -I -S -B worker.py CONFIG_JSON`` (possibly under
``unshare``), or, with ``"zygote"`` in the configuration, as a fork server
(`zygote.py`) whose forks continue below as workers, each already in its cgroups,
namespaces and uid. Imports NumPy and the standard library only, never the kit: it
cannot tell student code the answers because it never receives them.

Sequence: read our two helper modules' source (jail, protocol) while the kit is
still visible -> join the worker's cgroups -> enter the jail (namespaces, or a
chroot into the batch's copy of Python) as a uid of its own -> resource limits ->
seccomp filter -> import NumPy from a directory that holds nothing else ->
install the import gate -> say "ready" -> answer "load" and "call" frames until
the pipe closes.
"""

import ast
import itertools
import json
import os
import re
import signal
import sys
import types


def _compiled(filename):
    """Our sibling module's code, read now: after the jail its file is out of sight."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), filename)
    with open(path, encoding="utf-8") as f:
        return compile(f.read(), path, "exec")


def _module(name, code):
    mod = types.ModuleType(name)
    exec(code, mod.__dict__)
    sys.modules[name] = mod
    return mod


CFG = json.loads(sys.argv[1])
_JAIL = _module("_dlgrade_jail", _compiled("jail.py"))
_PROTO_CODE = _compiled("protocol.py")
_STATEMENTS = _module("_dlgrade_statements", _compiled("statements.py"))   # splitting code that does not parse
_AUDIT_CODE = _compiled("audit.py")

if CFG.get("zygote"):
    # A fork server (zygote.py): returns only in a forked worker, already in its cgroups,
    # namespaces (or chroot) and uid, with NumPy imported once for all its workers.
    CFG = _module("_dlgrade_zygote", _compiled("zygote.py")).serve(CFG, _JAIL)
else:
    _JAIL.join_cgroups(CFG["cgroups"])   # first: every process started from here on is counted
    if CFG["jail"]:
        _JAIL.enter(CFG)          # namespaces: minimal root, pivot_root, own uid
    else:
        _JAIL.enter_chroot(CFG)   # uid levels: the batch's copied root, own uid
CMD_FD, REPLY_FD = CFG["fds"]
_JAIL.set_limits(CFG["limits"])
_JAIL.install_seccomp(bytes.fromhex(CFG["seccomp"]))   # see seccomp.py for what it refuses
sys.dont_write_bytecode = True
if CFG["numpy_path"] not in sys.path:
    sys.path.append(CFG["numpy_path"])

import numpy as np  # noqa: E402  (only after the jail: NumPy must load from the private dir)

P = _module("_dlgrade_protocol", _PROTO_CODE)
# What student code tries (files, processes, sockets, ctypes, frames, numpy patches): see audit.py.
AUDIT = _module("_dlgrade_audit", _AUDIT_CODE).install(np, os.path.abspath(__file__), os.path.dirname(os.__file__),
                                                       CFG["audit_fd"])
CAPS = P.Caps(**CFG["caps"])
OUT_CAPS = P.Caps(**CFG["out_caps"])
NUMPY_DIR = os.path.dirname(np.__file__)

# Keep our own references: student code may patch numpy's module attributes.
_ndarray, _generic, _view, _copy = np.ndarray, np.generic, np.ndarray.view, np.ndarray.copy
_asarray = np.asarray
_NOT_AVAILABLE = "{} is not available while grading: use NumPy and the standard library only"


class Capture:
    """Stand-in for sys.stdout/sys.stderr: keeps the first `limit` characters, counts the rest."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, limit):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def write(self, s):
        s = str(s)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(len(s), room)
        self.dropped += max(len(s) - max(room, 0), 0)
        return len(s)

    def take(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n... [{self.dropped} more characters of output dropped]"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError("captured output has no file descriptor")


class State:
    blocked = []          # top-level module names refused, in order of first attempt
    call_blocked = None   # list while a call runs: imports refused during this call
    blocked_names = {}    # name bound by a refused top-level import -> module
    sources = {}          # "<cell label>" (the code's file name) -> the cell's lines, for crash lines


_ALLOWED = set(sys.stdlib_module_names) | set(sys.builtin_module_names) | {"numpy"}
_STDLIB_DIR = os.path.dirname(os.__file__)
_IMPORTLIB = os.path.join(_STDLIB_DIR, "importlib", "__init__.py")


def _importer():
    """File of the code that asked for the import (seen through importlib.import_module)."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen")
                                 or frame.f_code.co_filename == _IMPORTLIB):
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else ""


class ImportGate:
    """sys.meta_path finder that refuses every module that is not stdlib or numpy."""

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in _ALLOWED or top.startswith("_sysconfigdata_"):
            return None
        importer = _importer()
        # NumPy and the stdlib probing optional modules (copy.py tries `org`) is not
        # the student's doing: refuse quietly.
        if not importer.startswith((NUMPY_DIR, _STDLIB_DIR)):
            if top not in State.blocked:
                State.blocked.append(top)
            if State.call_blocked is not None and top not in State.call_blocked:
                State.call_blocked.append(top)
        raise ModuleNotFoundError(_NOT_AVAILABLE.format(top), name=name)


MAIN_PID = os.getpid()


def only_parent():
    """A process forked by student code must never answer the judge: end it here."""
    if os.getpid() != MAIN_PID:
        os._exit(0)


def reap():
    """Collect exited children (the worker may be PID 1 of its namespace)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def one_line(exc):
    """'ValueError: shapes (4,9) and (3,2) not aligned' -- never a traceback."""
    try:
        text = str(exc)
    except BaseException:
        text = ""
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:297] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def student_line(exc):
    """' -- at cell 4, line 7: `b = float(bias)`': the innermost line of the student's own code
    that the exception passed through ('' when none), so feedback can point at it."""
    try:
        found, tb = None, exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name in State.sources:
                found = (name, tb.tb_lineno)
            tb = tb.tb_next
        if found is None:
            return ""
        name, line = found
        lines = State.sources[name]
        code = " ".join(lines[line - 1].split())[:120] if 0 < line <= len(lines) else ""
        return f" -- at {name[1:-1][:80]}, line {line}: `{code}`"
    except BaseException:
        return ""


def send(header, arrays=()):
    AUDIT.check_numpy()   # notes numpy attributes the code replaced (audit.py)
    P.write_frame(REPLY_FD, P.pack_frame(header, list(arrays), OUT_CAPS))


def names_bound_by_imports(stmt, modules):
    """Names a statement's import nodes would bind from any of `modules` (top-level names)."""
    bound = {}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.partition(".")[0]
                if top in modules:
                    bound[alias.asname or top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.partition(".")[0]
            if top in modules:
                for alias in node.names:
                    if alias.name != "*":
                        bound[alias.asname or alias.name] = top
    return bound


def where(label, line):
    return f"{label}, line {line}" if label else f"line {line}"


# ---- loading: each top-level statement on its own, within the loading time budget

BIG_SOURCE = 1 << 20      # a cell this large is split into statements before it is parsed
BATCH_CHARS = 1 << 16     # statements parsed together when a cell is split
OVER_BUDGET_SECONDS = 10  # for definitions once the budget is spent, all together
_DEFINITION_START = re.compile(r"^(?:async[ \t]+def|def|class|@|import|from)\b")
_DEF_NAME = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")


class LoadTimeout(BaseException):
    """Raised inside a statement still running when the loading time is up (BaseException:
    ``except Exception`` in student code does not swallow it)."""


class _Alarm:
    armed = False

    @staticmethod
    def handler(signum, frame):
        if _Alarm.armed and os.getpid() == MAIN_PID:
            raise LoadTimeout()

    @staticmethod
    def arm(seconds):
        _Alarm.armed = True
        # Repeats every 0.5 s: code that catches BaseException once is interrupted again.
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), 0.5)

    @staticmethod
    def disarm():
        _Alarm.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _parse(label, lines, first, last, split=True):
    """``[(line, statement or None, error or None)]`` for ``lines[first-1:last]`` (1-based)."""
    try:
        tree = ast.parse("".join(lines[first - 1:last]), filename=f"<{label}>")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:   # null bytes, absurd nesting
        inner = [n for n in range(first + 1, last + 1) if _DEFINITION_START.match(lines[n - 1])]
        if split and inner:   # e.g. an unclosed bracket swallowed the functions after it
            bounds = [first] + inner + [last + 1]
            return [p for a, b in zip(bounds, bounds[1:]) for p in _parse(label, lines, a, b - 1, False)]
        span = f"line {first}" if first == last else f"lines {first}-{last}"
        if isinstance(exc, SyntaxError):
            error = f"SyntaxError: {exc.msg} (line {first + (exc.lineno or 1) - 1}); {span} skipped"
        else:
            error = f"{one_line(exc)}; {span} skipped"
        return [(first, None, error)]
    ast.increment_lineno(tree, first - 1)
    return [(stmt.lineno, stmt, None) for stmt in tree.body]


def statements(label, source):
    """The top-level statements of one cell, in order, as ``(line, ast node or None, error)``.

    A cell that parses is its statements. One that does not (or is too big to parse whole)
    is split into top-level statements first (``statements.py``), parsed in batches of
    about ``BATCH_CHARS``, and a batch that fails statement by statement: a syntax error
    skips only the statement it is in. A generator: a huge cell is split and parsed only as
    far as loading gets within its time.
    """
    if len(source) <= BIG_SOURCE:
        try:
            tree = ast.parse(source, filename=f"<{label}>")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        else:
            yield from ((stmt.lineno, stmt, None) for stmt in tree.body)
            return
    lines = source.splitlines(keepends=True)
    batch, size, previous = [], 0, 1
    starts = _STATEMENTS.statement_starts(lines)
    for start in itertools.chain(starts, [len(lines) + 1]):
        if start <= previous:
            continue
        batch.append((previous, start - 1))
        size += sum(len(lines[i]) for i in range(previous - 1, start - 1))
        previous = start
        if size >= BATCH_CHARS:
            yield from _parse_batch(label, lines, batch)
            batch, size = [], 0
    if batch:
        yield from _parse_batch(label, lines, batch)


def _parse_batch(label, lines, batch):
    """Consecutive statements ``[(first, last), ...]`` parsed together; if that fails, one by one."""
    if len(batch) > 1:
        first = batch[0][0]
        try:
            tree = ast.parse("".join(lines[first - 1:batch[-1][1]]), filename=f"<{label}>")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        else:
            ast.increment_lineno(tree, first - 1)
            return [(stmt.lineno, stmt, None) for stmt in tree.body]
    return [p for first, last in batch for p in _parse(label, lines, first, last)]


def is_definition(stmt):
    """def, class, import, or a name bound to a literal: what graded functions rely on, and fast."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        try:
            ast.literal_eval(stmt.value)
            return True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)   # a docstring


def bound_names(stmt, source_line=""):
    """Names a top-level statement would have defined, had it run (for the judge's feedback)."""
    if stmt is None:
        match = _DEF_NAME.match(source_line)
        return [match.group(1)] if match else []
    names = set()
    try:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
    except (RecursionError, MemoryError):
        pass
    return sorted(names)[:50]


def load(namespace, cells, skip, capture, budget=None):
    """Exec each top-level statement on its own; a failing one stops nothing else.

    ``budget``: seconds all statements may take together (None: no limit here). A statement
    still running when it is spent is stopped (``LoadTimeout``) and skipped; after that only
    definitions run (``is_definition``), for ``OVER_BUDGET_SECONDS`` at most, after which
    nothing more is run (nor split or parsed); what was not run is reported. Each error
    carries ``binds``: the names its statement would have defined (so the judge never parses
    student code itself).
    """
    import time

    errors, not_run, not_run_count = [], [], 0   # what was not run: where it starts, cells, how many
    skip = {tuple(s) for s in skip}
    started = time.monotonic()
    deadline = started + budget if budget else None
    over_deadline = None
    previous = signal.signal(signal.SIGALRM, _Alarm.handler) if budget else None
    try:
        for ci, (label, source) in enumerate(cells):
            State.sources[f"<{label}>"] = source.splitlines()   # for the line a crash happens on
            lines = None
            if over_deadline is not None and time.monotonic() >= over_deadline:
                not_run_count += 1                  # the whole cell: not even split
                not_run.append((label, 1))
                continue
            for si, (line, stmt, problem) in enumerate(statements(label, source)):
                if (ci, si) in skip:
                    continue
                here = where(label, line)
                if over_deadline is not None and time.monotonic() >= over_deadline:
                    not_run_count += 1
                    not_run.append((label, line))
                    break
                if stmt is None:
                    lines = lines or source.splitlines()
                    first = lines[line - 1] if 0 < line <= len(lines) else ""
                    errors.append({"where": here, "message": problem, "binds": bound_names(None, first)})
                    continue
                seconds = None
                if deadline is not None:
                    now = time.monotonic()
                    if now < deadline:
                        seconds = deadline - now
                    else:
                        over_deadline = over_deadline or now + OVER_BUDGET_SECONDS
                        if not is_definition(stmt):
                            not_run_count += 1
                            if not not_run or not_run[-1][0] != label:
                                not_run.append((label, line))
                            continue
                        seconds = over_deadline - now
                if not is_definition(stmt):
                    send({"op": "progress", "at": [ci, si], "where": here})
                before = len(State.blocked)
                try:
                    code = compile(ast.Module(body=[stmt], type_ignores=[]), f"<{label}>", "exec")
                    if seconds is not None:
                        _Alarm.arm(seconds)
                    try:
                        exec(code, namespace)
                    finally:
                        _Alarm.disarm()
                    only_parent()
                except LoadTimeout:
                    only_parent()
                    errors.append({"where": here, "binds": bound_names(stmt),
                                   "message": f"still running when the loading time ({budget:g} s, "
                                              "--load-timeout) ran out: stopped and skipped"})
                except BaseException as exc:  # SystemExit, KeyboardInterrupt included
                    only_parent()
                    errors.append({"where": here, "message": one_line(exc), "binds": bound_names(stmt)})
                new = set(State.blocked[before:])
                if new:
                    State.blocked_names.update(names_bound_by_imports(stmt, new))
    finally:
        _Alarm.disarm()
        if previous is not None:
            signal.signal(signal.SIGALRM, previous)
    if not_run:
        cells_ = [label.split(' "')[0] for label, _ in not_run]     # 'cell 8', or the file name
        shown = ", ".join(cells_[:6]) + (f" and {len(cells_) - 6} more" if len(cells_) > 6 else "")
        errors.append({"where": where(*not_run[0]), "binds": [],
                       "message": f"not run: the loading time ({budget:g} s, --load-timeout) had run "
                                  f"out; from here on only definitions ran, the rest ({not_run_count} "
                                  f"part(s), in {shown}) was skipped"})
    defined = [k for k, v in namespace.items()
               if isinstance(v, types.FunctionType) and not k.startswith("__")]
    if len(errors) > 100:  # keep the reply small; the first ones are what matters
        errors = errors[:100] + [{"where": "", "message": f"... and {len(errors) - 100} more errors"}]
    errors = [{"where": str(e.get("where", ""))[:200], "message": str(e.get("message", ""))[:400],
               "binds": [str(n)[:100] for n in e.get("binds") or ()][:50]} for e in errors]
    return {"defined": [d[:100] for d in defined[:500]], "errors": errors,
            "blocked_imports": [b[:100] for b in State.blocked[:100]], "stdout": capture.take(),
            "seconds": round(time.monotonic() - started, 3)}


def to_plain_array(value):
    """(array, None) for an acceptable result, else (None, message)."""
    kind = type(value)
    if issubclass(kind, _ndarray):
        arr = _copy(_view(value, _ndarray), order="C")  # subclasses lose their overrides here
    elif issubclass(kind, _generic):  # a NumPy scalar: fine as a 0-d array
        arr = _asarray(value)
    else:
        article = "an" if kind.__name__[:1].lower() in "aeiou" else "a"
        return None, f"the function returned {article} {kind.__name__}, expected a NumPy array"
    try:
        P.check_array(arr, OUT_CAPS, "the returned array")
    except P.ProtocolError as exc:
        return None, str(exc)
    return arr, None


def call(namespace, name, args, kwargs):
    """``(reply, value)`` of one call ``name(*args, **kwargs)``: value is the plain array or None."""
    fn = namespace.get(name)
    if fn is None:
        return {"status": "not implemented", "message": f"{name} is not defined"}, None
    if not callable(fn):
        return {"status": "not implemented", "message": f"{name} is not a function"}, None
    State.call_blocked = []
    try:
        result = fn(*args, **dict(kwargs))
        only_parent()
    except NotImplementedError:
        only_parent()
        reply = {"status": "not implemented", "message": f"{name} raises NotImplementedError"}
        result = None
    except NameError as exc:
        only_parent()
        module = State.blocked_names.get(getattr(exc, "name", None))
        if module is not None and exc.name not in namespace:
            reply = {"status": "policy violation",
                     "message": f"{name} uses '{exc.name}' from {module}, which is not available "
                                "while grading: use NumPy and the standard library only"}
        else:
            reply = {"status": "crashed", "message": one_line(exc) + student_line(exc)}
        result = None
    except SystemExit as exc:
        only_parent()
        reply = {"status": "crashed", "message": f"SystemExit: {name} called sys.exit({exc.code!r})"}
        result = None
    except BaseException as exc:
        only_parent()
        reply = {"status": "crashed", "message": one_line(exc) + student_line(exc)}
        result = None
    else:
        reply = None
    finally:
        refused, State.call_blocked = State.call_blocked, None
    if refused:
        return {"status": "policy violation",
                "message": f"{name} tried to import {', '.join(refused)}, which is not available "
                           "while grading: use NumPy and the standard library only"}, None
    if reply is not None:
        return reply, None
    if result is None or result is Ellipsis:
        what = "None" if result is None else "Ellipsis (...)"
        return {"status": "not implemented",
                "message": f"{name} returned {what}; is the function body still a stub?"}, None
    arr, problem = to_plain_array(result)
    if problem:
        return {"status": "bad output", "message": problem}, None
    return {"status": "ok", "message": ""}, arr


def run_batch(namespace, header, arrays, reader, capture):
    """Answer the calls of one "call" frame in order: a "result" frame each, then "done".

    Each call gets its own arrays (``"arrays": [first, end]`` of the frame's arrays) and its
    "result" sends them back as they are afterwards (``inputs_after``). Between calls a
    "stop" frame from the judge (it has seen what it needs) ends the batch early.
    """
    name = str(header.get("name"))
    done = 0
    for spec in header.get("calls") or []:
        if done and reader.ready() and reader.read()[0].get("op") == "stop":
            break
        first, end = spec["arrays"]
        inputs = arrays[first:end]
        args = P.decode_value(spec.get("args", []), arrays)
        kwargs = P.decode_value(spec.get("kwargs", []), arrays)
        reply, value = call(namespace, name, args, kwargs)
        reap()
        out = ([value] if value is not None else []) + inputs
        reply.update(op="result", index=done, has_value=value is not None, stdout=capture.take())
        try:
            send(reply, out)
        except P.ProtocolError as exc:  # e.g. an input grown past the caps in place
            send({"op": "result", "index": done, "status": "bad output", "message": str(exc),
                  "has_value": False, "stdout": capture.take()})
        done += 1
    send({"op": "done", "count": done})


def main():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too-large writes fail with an error instead
    # As PID 1 of its namespace the worker would ignore SIGXCPU; exit so the judge can tell.
    signal.signal(signal.SIGXCPU, lambda *_: os._exit(128 + signal.SIGXCPU))
    capture = Capture(CFG["output_chars"])
    sys.stdout = sys.stderr = capture
    sys.meta_path.insert(0, ImportGate())
    namespace = {"__name__": "submission", "__builtins__": __builtins__}
    reader = P.Reader(CMD_FD, CAPS)
    # From here on, output written straight to fd 1/2 (os.write, C code) goes nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    send({"op": "ready", "uid": os.getuid()})
    while True:
        try:
            frame = reader.read()
        except EOFError:
            os._exit(0)
        header, arrays = frame
        op = header.get("op")
        if op == "load":
            send({"op": "loaded", "report": load(namespace, header["cells"], header.get("skip", []), capture,
                                                 header.get("budget"))})
        elif op == "call":
            run_batch(namespace, header, arrays, reader, capture)
        elif op == "exit":
            os._exit(0)


if __name__ == "__main__":
    main()
