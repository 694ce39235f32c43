"""Plain arrays over pipes, validated on arrival; nothing else crosses.

Both sides of the sandbox use this module: the judge (through `launch.py`) and the
worker (which loads it from source before any student code runs). It therefore
imports only NumPy and the standard library.

A frame is::

    b"DLG1" | uint32 big-endian header length | JSON header | blob 1 | blob 2 | ...

The header lists the byte length of each blob under ``"blobs"``; every blob is one
array in ``.npy`` format (written by `numpy.lib.format`, read back here with our own
checks and never with pickle). Arguments travel as a small JSON tree in which
arrays are referenced by index (``{"$": "a", "i": 0}``) and tuples are tagged
(``{"$": "t", "v": [...]}``), so only plain data (numbers, strings, None, lists,
tuples, numeric arrays) can cross.
"""

import io
import json
import os
import select
import struct
import time

import numpy as np

MAGIC = b"DLG1"
_PREFIX = struct.Struct(">4sI")

# Only plain numbers cross: bool, signed/unsigned int, float (no complex, object,
# strings, datetimes, structured or sub-array dtypes).
NUMERIC_KINDS = "biuf"


class ProtocolError(Exception):
    """A frame or value that breaks the protocol (malformed, too large, not plain data)."""


class Caps:
    """Size caps for one direction of traffic.

    Args:
        header_bytes: largest JSON header accepted.
        array_bytes: largest single array (data bytes).
        array_elements: most elements in a single array.
        total_bytes: largest frame (header + all blobs).
        arrays: most arrays in one frame.
    """

    def __init__(self, header_bytes=1 << 20, array_bytes=64 << 20, array_elements=8 << 20,
                 total_bytes=256 << 20, arrays=256):
        self.header_bytes = header_bytes
        self.array_bytes = array_bytes
        self.array_elements = array_elements
        self.total_bytes = total_bytes
        self.arrays = arrays

    def as_dict(self):
        return dict(vars(self))


# ---------------------------------------------------------------- arrays <-> bytes

def check_array(arr, caps, what="array"):
    """Raise ProtocolError unless `arr` is a plain numeric ndarray within the caps."""
    if type(arr) is not np.ndarray:
        raise ProtocolError(f"{what} is a {type(arr).__name__}, expected a NumPy array")
    check_dtype_shape(arr.dtype, arr.shape, caps, what)


def check_dtype_shape(dtype, shape, caps, what="array"):
    """Raise ProtocolError unless (dtype, shape) describe a small plain numeric array."""
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"{what} has dtype {dtype}, expected numbers (bool, int or float)")
    if len(shape) > 32 or any((not isinstance(n, int)) or n < 0 for n in shape):
        raise ProtocolError(f"{what} has an invalid shape {shape}")
    size = 1
    for n in shape:
        size *= n
    if size > caps.array_elements:
        raise ProtocolError(f"{what} is too large ({size} elements; the limit is {caps.array_elements})")
    if size * dtype.itemsize > caps.array_bytes:
        raise ProtocolError(f"{what} is too large ({size * dtype.itemsize} bytes; the limit is {caps.array_bytes})")


def array_to_bytes(arr, caps):
    """Serialize a plain numeric ndarray to ``.npy`` bytes (no pickle)."""
    check_array(arr, caps)
    buf = io.BytesIO()
    if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
        arr = arr.copy(order="C")
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def bytes_to_array(data, caps, what="array"):
    """Rebuild a fresh, writeable, native-endian ndarray from ``.npy`` bytes.

    The header is checked (dtype, shape, caps) before any data is interpreted, and
    the data must be exactly as long as the header says. Never unpickles.
    """
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ProtocolError(f"{what}: unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as exc:  # any parse failure of untrusted bytes
        raise ProtocolError(f"{what}: malformed .npy header ({exc})") from None
    check_dtype_shape(dtype, tuple(shape), caps, what)
    payload = memoryview(data)[fp.tell():]
    size = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    if len(payload) != size * dtype.itemsize:
        raise ProtocolError(f"{what}: {len(payload)} data bytes, expected {size * dtype.itemsize}")
    flat = np.frombuffer(payload, dtype=dtype, count=size)
    arr = flat.reshape(shape, order="F" if fortran else "C")
    return np.array(arr, dtype=dtype.newbyteorder("="), order="C", copy=True)


# ---------------------------------------------------------------- argument trees

def encode_value(value, arrays, caps):
    """Turn plain data into a JSON tree, appending numeric arrays to `arrays`.

    Accepts numpy arrays, bool/int/float/str/None, NumPy scalars (sent as Python
    numbers), and lists/tuples of those.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        check_array(np.asarray(value), caps, "argument")
        arrays.append(value)
        return {"$": "a", "i": len(arrays) - 1}
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return value.item()
    if isinstance(value, (int, float)):  # int/float subclasses (e.g. IntEnum)
        return int(value) if isinstance(value, int) else float(value)
    if isinstance(value, tuple):
        return {"$": "t", "v": [encode_value(v, arrays, caps) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, arrays, caps) for v in value]
    raise ProtocolError(f"cannot send a {type(value).__name__}; only plain data crosses")


def decode_value(tree, arrays):
    """Inverse of `encode_value`; `arrays` are the already validated blobs."""
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [decode_value(v, arrays) for v in tree]
    if isinstance(tree, dict):
        tag = tree.get("$")
        if tag == "a":
            i = tree.get("i")
            if type(i) is not int or not 0 <= i < len(arrays):
                raise ProtocolError("argument refers to a missing array")
            return arrays[i]
        if tag == "t" and isinstance(tree.get("v"), list):
            return tuple(decode_value(v, arrays) for v in tree["v"])
    raise ProtocolError("malformed argument tree")


# ---------------------------------------------------------------- frames

def pack_frame(header, arrays, caps):
    """Bytes of one frame: `header` (JSON-able dict) plus `arrays` as .npy blobs."""
    blobs = [array_to_bytes(a, caps) for a in arrays]
    header = dict(header, blobs=[len(b) for b in blobs])
    head = json.dumps(header, separators=(",", ":")).encode()
    if len(head) > caps.header_bytes:
        raise ProtocolError(f"header too large ({len(head)} bytes)")
    return b"".join([_PREFIX.pack(MAGIC, len(head)), head, *blobs])


def write_frame(fd, data, deadline=None):
    """Write all of `data` to `fd`; False if the deadline passed first.

    Raises BrokenPipeError/OSError if the other side is gone.
    """
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
        n = os.write(fd, view[:1 << 16])
        view = view[n:]
    return True


class Reader:
    """Reads frames from a pipe fd, with an optional deadline per frame.

    `read(deadline)` returns ``(header, arrays)``, or None when the deadline passed
    (the partial frame stays buffered), and raises EOFError when the writer is gone
    and ProtocolError on anything malformed or over the caps. After a
    ProtocolError the stream is out of sync and must be abandoned.
    """

    def __init__(self, fd, caps):
        self.fd = fd
        self.caps = caps
        self.buf = bytearray()

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                ready, _, _ = select.select([self.fd], [], [], left)
                if not ready:
                    continue
            chunk = os.read(self.fd, max(n - len(self.buf), 1 << 16))
            if not chunk:
                raise EOFError("the other side closed the pipe")
            self.buf += chunk
        return True

    def read(self, deadline=None):
        if not self._fill(_PREFIX.size, deadline):
            return None
        magic, head_len = _PREFIX.unpack_from(self.buf)
        if magic != MAGIC:
            raise ProtocolError("garbage on the pipe (bad frame magic)")
        if head_len > self.caps.header_bytes:
            raise ProtocolError(f"frame header too large ({head_len} bytes)")
        end = _PREFIX.size + head_len
        if not self._fill(end, deadline):
            return None
        try:
            header = json.loads(bytes(self.buf[_PREFIX.size:end]))
        except ValueError:
            raise ProtocolError("malformed frame header (not JSON)") from None
        blobs = header.get("blobs") if isinstance(header, dict) else None
        if not isinstance(blobs, list) or not all(type(n) is int and n >= 0 for n in blobs):
            raise ProtocolError("malformed frame header (no blob list)")
        if len(blobs) > self.caps.arrays:
            raise ProtocolError(f"too many arrays in one frame ({len(blobs)})")
        total = end + sum(blobs)
        if total > self.caps.total_bytes or any(n > self.caps.array_bytes + 4096 for n in blobs):
            raise ProtocolError(f"frame too large ({total} bytes)")
        if not self._fill(total, deadline):
            return None
        data = bytes(self.buf[:total])
        del self.buf[:total]
        arrays, pos = [], end
        for i, n in enumerate(blobs):
            arrays.append(bytes_to_array(data[pos:pos + n], self.caps, f"array {i}"))
            pos += n
        return header, arrays
