"""What the judge processes of one batch learn about Hypothesis runs, shared between them.

The judge remembers, per process, how Hypothesis's run of a failing property test went
(``judge._RUN_TREES``), so a later submission with the same bug walks that path instead of
running Hypothesis. With ``dlgrade grade --jobs N`` there are N judge processes; through a
`RunExchange` each path one of them learns is published once and read by the others before
they next need that test's tree, so each distinct path is found and shrunk by Hypothesis
about once per batch instead of once per process. (Results do not depend on it: a tree only
shortcuts Hypothesis's deterministic exploration, and the judge falls back to Hypothesis
where a walk leaves it.)

Layout: the parent (``grade.run``) makes a private folder per batch (`create`: mode 0700,
under the system temp folder, never in the results folder) and removes it at the end. A
path of test ``key`` is one file ``<folder>/<digest of key>/<writer>-<n>.run``, written to a
dot-named temp file and renamed into place (readers never see half a file); a reader lists
the folder of the test it is about to use and reads only the names it has not read before.

Trust: the files are pickles (cases hold arrays, tuples and kwargs; the reader rebuilds
``suites.Case`` objects). That is acceptable only because nothing but the judge processes of
this batch write there: the folder is the grader's own (0700) and the sandboxed workers run
chrooted under other uids without the host's /tmp; on top of that every file starts with an
HMAC-SHA256 of its contents under a per-batch secret that reaches the pool processes only
through the pool initializer (never the file system or the environment), and a file whose
HMAC does not match is skipped unread.

Bounds: each process may write at most ``max_bytes`` and ``max_files`` (the parent gives
each of the N processes 1/N of the batch's `MAX_BYTES` / `MAX_FILES`), so a pathological
batch cannot fill the disk; past that a process only reads.
"""
import hashlib
import hmac
import os
import pickle
import secrets
import shutil
import tempfile

MAX_BYTES = 512 * 2**20   # all files of one batch together
MAX_FILES = 20_000
_MAC = hashlib.sha256().digest_size
_SUFFIX = ".run"


def create():
    """``(folder, secret)`` for one batch: a fresh 0700 temp folder and a random HMAC key."""
    return tempfile.mkdtemp(prefix="dlgrade-runs-"), secrets.token_bytes(32)


def remove(folder):
    """Delete a batch's folder (the parent, at the end of the batch)."""
    shutil.rmtree(folder, ignore_errors=True)


def _digest(key):
    return hashlib.sha256(repr(key).encode()).hexdigest()[:24]


class RunExchange:
    """One judge process's view of the batch's shared paths.

    Args:
        folder: the batch's folder (from `create`).
        secret: the batch's HMAC key (bytes).
        max_bytes, max_files: what this process may write in all.
    """

    def __init__(self, folder, secret, max_bytes=MAX_BYTES, max_files=MAX_FILES):
        self.folder, self.secret = str(folder), bytes(secret)
        self.max_bytes, self.max_files = max_bytes, max_files
        self.me = secrets.token_hex(6)   # this writer's file-name prefix (pids can be reused)
        self.written_bytes = self.written_files = 0
        self.read = {}                   # key digest -> names already read (or skipped)
        self.skipped = 0                 # files not used: bad HMAC, unreadable, another key

    def publish(self, key, steps):
        """Share one path of test ``key``: ``steps``, a list of picklable items. Returns True
        if written; False past this process's bounds or when the file cannot be written."""
        body = pickle.dumps((key, steps), protocol=pickle.HIGHEST_PROTOCOL)
        data = hmac.digest(self.secret, body, "sha256") + body
        if (self.written_files + 1 > self.max_files
                or self.written_bytes + len(data) > self.max_bytes):
            return False
        digest = _digest(key)
        where = os.path.join(self.folder, digest)
        name = f"{self.me}-{self.written_files}{_SUFFIX}"
        temp = os.path.join(where, "." + name)
        try:
            try:
                os.mkdir(where, mode=0o700)   # not makedirs: a removed batch folder stays removed
            except FileExistsError:
                pass
            with open(temp, "xb") as file:
                file.write(data)
            os.replace(temp, os.path.join(where, name))
        except OSError:   # a full disk or a removed folder costs the sharing, not the grade
            try:
                os.unlink(temp)
            except OSError:
                pass
            return False
        self.written_files += 1
        self.written_bytes += len(data)
        self.read.setdefault(digest, set()).add(name)   # never read back one's own files
        return True

    def news(self, key):
        """The paths of test ``key`` that other processes published since the last call."""
        digest = _digest(key)
        seen = self.read.setdefault(digest, set())
        try:
            names = sorted(os.listdir(os.path.join(self.folder, digest)))
        except OSError:   # nobody has published for this test yet
            return []
        found = []
        for name in names:
            if name in seen or name.startswith(".") or not name.endswith(_SUFFIX):
                continue
            seen.add(name)
            steps = self._load(os.path.join(self.folder, digest, name), key)
            if steps is None:
                self.skipped += 1
            else:
                found.append(steps)
        return found

    def _load(self, path, key):
        try:
            with open(path, "rb") as file:
                data = file.read(self.max_bytes + _MAC + 1)
        except OSError:
            return None
        mac, body = data[:_MAC], data[_MAC:]
        if len(mac) != _MAC or not hmac.compare_digest(mac, hmac.digest(self.secret, body, "sha256")):
            return None   # not written by this batch's judges: never unpickled
        stored_key, steps = pickle.loads(body)   # trusted: see the module docstring
        return steps if stored_key == key else None
