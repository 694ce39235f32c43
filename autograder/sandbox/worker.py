"""The only code that runs inside the box: exec student code, answer calls.

Started by `launch.py` as ``python -I -S -B worker.py CONFIG_JSON`` (possibly under
``unshare``). Imports NumPy and the standard library only, never the kit: it
cannot tell student code the answers because it never receives them.

Sequence: read our two helper modules' source (jail, protocol) while the kit is
still visible -> join the worker's cgroups -> enter the jail (namespaces, or a
chroot into the batch's copy of Python) as a uid of its own -> resource limits ->
seccomp filter -> import NumPy from a directory that holds nothing else ->
install the import gate -> say "ready" -> answer "load" and "call" frames until
the pipe closes.
"""

import ast
import json
import os
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
_AUDIT_CODE = _compiled("audit.py")
CMD_FD, REPLY_FD = CFG["fds"]

_JAIL.join_cgroups(CFG["cgroups"])   # first: every process started from here on is counted
if CFG["jail"]:
    _JAIL.enter(CFG)          # namespaces: minimal root, pivot_root, own uid
else:
    _JAIL.enter_chroot(CFG)   # uid levels: the batch's copied root, own uid
_JAIL.set_limits(CFG["limits"])
_JAIL.install_seccomp(bytes.fromhex(CFG["seccomp"]))   # see seccomp.py for what it refuses
sys.dont_write_bytecode = True
sys.path.append(CFG["numpy_path"])

import numpy as np  # noqa: E402  (only after the jail: NumPy must load from the private dir)

P = _module("_dlgrade_protocol", _PROTO_CODE)
# What student code tries (files, processes, sockets, ctypes, frames, numpy patches): see audit.py.
AUDIT = _module("_dlgrade_audit", _AUDIT_CODE).install(np, os.path.abspath(__file__), os.path.dirname(os.__file__))
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
    header["integrity"] = AUDIT.take()   # attempts noted since the last frame
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


def load(namespace, cells, skip, capture):
    """Exec each top-level statement on its own; a failing one stops nothing else."""
    errors = []
    skip = {tuple(s) for s in skip}
    for ci, (label, source) in enumerate(cells):
        State.sources[f"<{label}>"] = source.splitlines()
        try:
            tree = ast.parse(source, filename=f"<{label}>")
        except SyntaxError as exc:
            errors.append({"where": where(label, exc.lineno or 1),
                           "message": f"SyntaxError: {exc.msg} (this cell was skipped)"})
            continue
        except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
            errors.append({"where": where(label, 1), "message": f"{one_line(exc)} (this cell was skipped)"})
            continue
        for si, stmt in enumerate(tree.body):
            if (ci, si) in skip:
                continue
            send({"op": "progress", "at": [ci, si], "where": where(label, stmt.lineno)})
            before = len(State.blocked)
            try:
                code = compile(ast.Module(body=[stmt], type_ignores=[]), f"<{label}>", "exec")
                exec(code, namespace)
                only_parent()
            except BaseException as exc:  # SystemExit, KeyboardInterrupt included
                only_parent()
                errors.append({"where": where(label, stmt.lineno), "message": one_line(exc)})
            new = set(State.blocked[before:])
            if new:
                State.blocked_names.update(names_bound_by_imports(stmt, new))
    defined = [k for k, v in namespace.items()
               if isinstance(v, types.FunctionType) and not k.startswith("__")]
    if len(errors) > 100:  # keep the reply small; the first ones are what matters
        errors = errors[:100] + [{"where": "", "message": f"... and {len(errors) - 100} more errors"}]
    return {"defined": [d[:100] for d in defined[:500]], "errors": errors,
            "blocked_imports": [b[:100] for b in State.blocked[:100]], "stdout": capture.take()}


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
            send({"op": "loaded", "report": load(namespace, header["cells"], header.get("skip", []), capture)})
        elif op == "call":
            run_batch(namespace, header, arrays, reader, capture)
        elif op == "exit":
            os._exit(0)


if __name__ == "__main__":
    main()
