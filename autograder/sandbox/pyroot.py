"""A root file system that a worker uid can run Python in, for the levels without namespaces.

Where `unshare` is not allowed (a default Docker container, Gradescope) the
worker cannot get a private mount namespace. It still must not run as the
grader, and it must not see the grader's files, so the judge builds, once per
batch, a directory holding copies (hard links where the file system allows) of
just what the interpreter needs, at the same paths as on the host:

- the interpreter and its shared libraries (as the dynamic loader resolves them,
  with the symbolic links on the way, e.g. /lib64 -> usr/lib64),
- the standard library (no site-packages, no test suite),
- NumPy and its bundled libraries at ``/.dlgrade`` (as the namespace levels show them),
- /etc/ld.so.cache, /dev/null, and ``/.work`` (root's, mode 0711) that holds one
  private folder per worker.

Everything is owned by root and readable by all, whatever the modes of the
originals' folders (pyenv and conda under /root, mode 700). The worker chroots
into it as root and drops to its own uid: there is no /proc, no /home, no /work,
no results and no submissions in there. Size: about 100 MB when copied, next to
nothing when hard-linked (the usual case: /tmp and the interpreter on one disk).
"""
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile

NUMPY_HOME = "/.dlgrade"
WORK = "/.work"   # holds one private folder per worker (not /tmp: the interpreter may live there)
# Parts of the standard library that student code never needs (and that are large).
_SKIP_STDLIB = {"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo",
                "ensurepip", "lib2to3", "config-3.11-x86_64-linux-gnu"}


def _same_paths_inside(root, path):
    """Make `path`'s parent folders exist inside `root`, replicating symbolic links on the way.

    Returns the host path with every folder symlink resolved (where the real file is)."""
    parts = [p for p in path.split("/") if p]
    host = "/"
    for name in parts[:-1]:
        host = os.path.join(host, name)
        inside = root + host
        if os.path.islink(host):
            target = os.readlink(host)
            if not os.path.lexists(inside):
                os.symlink(target, inside)
            host = os.path.realpath(host)
            _same_paths_inside(root, host + "/x")   # the link's target must exist inside too
        elif not os.path.isdir(inside):
            os.mkdir(inside)
            os.chmod(inside, 0o755)
    return os.path.join(host, parts[-1]) if parts else "/"


def _link_or_copy(src, dst):
    """A hard link when others may read the file anyway (never change the host's modes), else a copy."""
    mode = os.stat(src).st_mode
    if mode & 0o004 and (mode & 0o001 or not mode & 0o100):
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755 if mode & 0o100 else 0o644)


def _add_file(root, path):
    """Place host file `path` (following symbolic links, replicating them) at the same path."""
    seen = 0
    while True:
        host = _same_paths_inside(root, path)
        inside = root + host
        if os.path.islink(host):
            target = os.readlink(host)
            if not os.path.lexists(inside):
                os.symlink(target, inside)
            path = os.path.normpath(os.path.join(os.path.dirname(host), target))
            seen += 1
            if seen > 40:
                raise OSError(f"too many symbolic links at {path}")
            continue
        if not os.path.lexists(inside):
            _link_or_copy(host, inside)
        return


def _add_tree(root, src, dst, skip=()):
    """Copy folder `src` to `dst` (a path inside the root), files linked or copied."""
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in skip]
        rel = os.path.relpath(dirpath, src)
        target = os.path.normpath(os.path.join(root + dst, rel))
        os.makedirs(target, mode=0o755, exist_ok=True)
        os.chmod(target, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                link = os.readlink(path)
                if not os.path.lexists(os.path.join(target, name)):
                    os.symlink(link, os.path.join(target, name))
            elif os.path.isfile(path):
                _link_or_copy(path, os.path.join(target, name))


def _shared_libraries(files):
    """Absolute paths of the shared libraries the dynamic loader resolves for `files` (ldd)."""
    libs = set()
    for start in range(0, len(files), 200):
        out = subprocess.run(["ldd", *files[start:start + 200]], capture_output=True, text=True).stdout
        for line in out.splitlines():
            line = line.strip()
            if "(0x" not in line:   # "file:" headers, "statically linked", "not found"
                continue
            if "=>" in line:
                path = line.split("=>", 1)[1].strip().split(" (")[0].strip()
            else:
                path = line.split(" (")[0].strip()
            if path.startswith("/"):
                libs.add(path)
    return sorted(libs)


def build(interpreter, numpy_dirs, parent=None):
    """Build the root; return its path (remove it with `remove`).

    Args:
        interpreter: real path of the base interpreter (not a venv shim).
        numpy_dirs: {"numpy": dir, "numpy.libs": dir} as on the host.
        parent: where to make it (default: the system's temp folder).
    Raises OSError when something cannot be placed.
    """
    root = tempfile.mkdtemp(prefix="dlgrade-root-", dir=parent)
    try:
        os.chmod(root, 0o755)
        stdlib = os.path.realpath(sysconfig.get_paths(vars={"base": sys.base_prefix,
                                                           "platbase": sys.base_exec_prefix})["stdlib"])
        dynload = os.path.join(stdlib, "lib-dynload")
        _add_file(root, interpreter)
        _same_paths_inside(root, stdlib + "/x")
        _add_tree(root, stdlib, stdlib, skip=_SKIP_STDLIB)
        binaries = [interpreter]
        if os.path.isdir(dynload):
            binaries += [os.path.join(dynload, n) for n in sorted(os.listdir(dynload)) if n.endswith(".so")]
        for name, src in numpy_dirs.items():
            _add_tree(root, src, f"{NUMPY_HOME}/{name}", skip={"tests"})
            for dirpath, _dirs, files in os.walk(src):
                binaries += [os.path.join(dirpath, f) for f in files if ".so" in f]
        for lib in _shared_libraries(binaries):
            if not lib.startswith(tuple(numpy_dirs.values())):
                _add_file(root, lib)
        if os.path.exists("/etc/ld.so.cache"):
            _add_file(root, "/etc/ld.so.cache")
        os.makedirs(root + "/dev", mode=0o755, exist_ok=True)
        os.mknod(root + "/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod(root + "/dev/null", 0o666)
        os.mkdir(root + WORK, 0o711)   # workers may pass through to their own folder, not list it
        os.chmod(root + WORK, 0o711)
        # No writable place is left: every folder is root's, 0755.
        return root
    except BaseException:
        remove(root)
        raise


def remove(root):
    shutil.rmtree(root, ignore_errors=True)
