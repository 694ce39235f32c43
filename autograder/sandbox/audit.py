"""Inside the worker: note, best effort, what student code tried that honest lab code never does.

Loaded by worker.py from source (standard library only) and installed with
`install` after the jail and before any student code. A `sys.addaudithook` hook
(PEP 578; it cannot be removed) records short lines such as "tried to open
/etc/passwd", "started a process (subprocess.Popen)" or "patched numpy.allclose";
each new line is written at once to a pipe of its own (one write of at most
PIPE_BUF bytes, so atomic even from threads and forked children; non-blocking, so
a full pipe drops lines instead of hanging) that the judge reads whenever it likes,
even after the worker timed out or died, and collects into
``result["extra_data"]["integrity"]``. `check_numpy`, called before each reply,
notes numpy attributes replaced since start-up.

Only what honest lab code never does counts. Deliberately silent: NumPy loading a
submodule of its own on first use (``np.random``, ``np.testing``, ``np.fft``: the
attribute then holds the genuine module ``sys.modules["numpy.<name>"]``), the import
system reading the worker's own ``sys.path`` (the stdlib zip, lib-dynload, NumPy's
folder), the interpreter's ``__warningregistry__`` bookkeeping, and NumPy's global
settings (``np.set_printoptions``, ``np.seterr``, ``np.random.seed``): they change how
numbers print or which warnings fire in this worker, never what the judge compares.

These are attempts, not proof: the sandbox refuses or hides what they reach for,
and code running in the same interpreter could fool a hook. The report shows them
as "attempted".
"""
import operator
import os
import sys
import types

MAX_LINES = 50
_EVENTS = {
    "subprocess.Popen": "started a process (subprocess)",
    "os.system": "ran a shell command (os.system)",
    "os.exec": "replaced the process (os.exec*)",
    "os.posix_spawn": "started a process (os.posix_spawn)",
    "os.spawn": "started a process (os.spawn*)",
    "os.fork": "forked a process (os.fork)",
    "os.forkpty": "forked a process (os.forkpty)",
    "os.kill": "sent a signal (os.kill)",
    "os.killpg": "sent a signal (os.killpg)",
    "socket.__new__": "opened a socket",
    "socket.connect": "connected a socket",
    "ctypes.dlopen": "loaded a C library (ctypes)",
    "ctypes.dlsym": "used ctypes",
    "ctypes.cdata": "used ctypes",
    "sys._getframe": "walked the call stack (sys._getframe)",
    "sys._current_frames": "walked the call stack (sys._current_frames)",
    "sys.addaudithook": "tried to add an audit hook",
    "gc.get_objects": "searched the interpreter's objects (gc)",
    "gc.get_referrers": "searched the interpreter's objects (gc)",
}


def _dict_of(module):
    """A genuine module's namespace (read without attribute access), else {}."""
    return module.__dict__ if type(module) is types.ModuleType else {}


class Recorder:
    def __init__(self, allowed_dirs, ours, numpy_module, fd):
        self.allowed = tuple(d.rstrip("/") + "/" for d in allowed_dirs)
        self.ours = tuple(ours)          # file names of code that is not the student's
        self.fd = fd
        self.lines = []
        self.busy = False
        self.np = numpy_module
        self.numpy_dir = os.path.dirname(numpy_module.__file__) + "/"
        # numpy's own namespace dict, kept now: a module's __dict__ cannot be swapped, but reading
        # it through the module again would go through a class the student may have replaced
        self._np_dict = numpy_module.__dict__
        # the values themselves, so a replaced one stays alive and its id cannot be reused
        self.snapshot = self._numpy_attrs()
        self._linalg = self._np_dict.get("linalg")
        self._seen = self._namespaces()

    def _namespaces(self):
        """``[(dict, keys, values)]`` of numpy and numpy.linalg as they are now (for `_unchanged`)."""
        found = []
        for d in (self._np_dict, _dict_of(self._linalg)):
            found.append((d, list(d.keys()), list(d.values())))
        return found

    def _unchanged(self):
        """True if numpy's and numpy.linalg's attributes are the very objects last checked.

        Identity only, compared in C (map over operator.is_): about ten times faster than the
        full check, which runs after every call, and it reads the modules' own ``__dict__``,
        never through attribute access or ``__eq__``, which student code could redefine.
        """
        try:
            if type(self.np) is not types.ModuleType or self._np_dict.get("linalg") is not self._linalg:
                return False
            for d, keys, values in self._seen:
                if (len(d) != len(keys) or not all(map(operator.is_, d.values(), values))
                        or not all(map(operator.is_, d.keys(), keys))):
                    return False
        except Exception:   # e.g. a student thread changing numpy meanwhile: check in full
            return False
        return True

    def _numpy_attrs(self):
        """{"numpy.<name>": attribute value} of numpy and numpy.linalg, as seen now."""
        attrs = {}
        for prefix, d in (("numpy", self._np_dict), ("numpy.linalg", _dict_of(self._np_dict.get("linalg")))):
            for name, value in list(d.items()):
                attrs[f"{prefix}.{name}"] = value
        return attrs

    def _numpy_loaded(self, name, value):
        """True if `value` is the submodule `name` ("numpy.random") as NumPy's own import made
        it: the entry of sys.modules, named so, loaded from NumPy's folder. Best effort: code
        in this interpreter could forge all three."""
        spec = getattr(value, "__spec__", None)
        return (isinstance(value, types.ModuleType) and sys.modules.get(name) is value
                and value.__name__ == name and isinstance(getattr(spec, "origin", None), str)
                and spec.origin.startswith(self.numpy_dir))

    def note(self, line):
        line = " ".join(line.split())[:120]
        if line not in self.lines and len(self.lines) < MAX_LINES:
            self.lines.append(line)
            try:
                os.write(self.fd, (line + "\n").encode("utf-8", "replace"))
            except OSError:   # full (non-blocking) or closed: best effort
                pass

    def _by_student(self):
        """True if the code that asked for the frame is not ours, NumPy's or the stdlib's
        (inspect.currentframe and traceback helpers count as their caller)."""
        frame = sys._getframe(2)
        while frame is not None and (frame.f_code.co_filename.startswith("<frozen")
                                     or frame.f_code.co_filename.endswith(("/inspect.py", "/traceback.py"))):
            frame = frame.f_back
        return frame is not None and not frame.f_code.co_filename.startswith(self.ours)

    def hook(self, event, args):
        if self.busy:
            return
        self.busy = True
        try:
            if event == "open":
                path = args[0]
                if isinstance(path, bytes):
                    path = os.fsdecode(path)
                if isinstance(path, str):
                    full = os.path.abspath(path)
                    if not (full + "/").startswith(self.allowed):
                        self.note(f"tried to open {full}")
            elif event in _EVENTS:
                # Stack and object walking is common inside the stdlib: only the student's own counts.
                if not event.startswith(("sys._", "gc.")) or self._by_student():
                    self.note(_EVENTS[event])
        except Exception:
            pass
        finally:
            self.busy = False

    def check_numpy(self):
        """Note numpy attributes replaced or added since start-up."""
        if self._unchanged():   # nothing new since the last check: nothing new to note
            return
        self.busy = True
        try:
            for name, value in sorted(self._numpy_attrs().items()):
                if name in self.snapshot:
                    if self.snapshot[name] is not value:
                        self.note(f"patched {name}")
                elif self._numpy_loaded(name, value) or name.endswith(".__warningregistry__"):
                    pass   # NumPy's lazy submodule import; warnings' own bookkeeping
                elif isinstance(sys.modules.get(name), types.ModuleType):
                    self.note(f"patched {name}")   # a loaded numpy submodule, replaced
                else:
                    self.note(f"added {name}")
        except Exception:
            pass
        finally:
            self.busy = False
        if type(self.np) is not types.ModuleType:
            self.note("replaced numpy's module class")
        # Whatever differs from start-up is noted now; the next check looks for news only.
        self._linalg = self._np_dict.get("linalg")
        self._seen = self._namespaces()


def install(numpy_module, worker_file, stdlib_dir, fd):
    """Start recording into pipe `fd`; returns the `Recorder`."""
    numpy_dir = os.path.dirname(numpy_module.__file__)
    # The import system probes every entry of the worker's own sys.path (the stdlib zip, even
    # when absent; lib-dynload; NumPy's private folder): copied now, so code that extends
    # sys.path later does not widen what may be opened unnoticed.
    import_path = [os.path.abspath(p) for p in sys.path if isinstance(p, str) and p]
    allowed = [os.getcwd(), numpy_dir, os.path.dirname(numpy_dir), stdlib_dir, "/dev/null", "/dev/urandom",
               "/proc/self"] + [p for p in import_path if p != "/"]
    ours = (worker_file, numpy_dir, stdlib_dir, "<frozen", "_dlgrade_")
    recorder = Recorder(allowed, ours, numpy_module, fd)
    sys.addaudithook(recorder.hook)
    return recorder
