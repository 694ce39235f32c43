"""Plain arrays over pipes, validated on arrival; nothing else crosses.

Both sides of the sandbox use this module: the judge (through `launch.py`) and the
worker (which loads it from source before any student code runs). It therefore
imports only NumPy and the standard library.

A frame is::

    b"DLG2" | uint32 big-endian header length | JSON header | array data

The header is a JSON object; its ``"arrays"`` entry describes the data that follows as
``[[dtype name, shape], ...]``: each array's raw bytes in C order and native byte order,
back to back. The dtype comes from an allow-list of plain numbers (`DTYPES`), and the
shape, the byte count and the frame size are checked against the `Caps` before a single
data byte is read or allocated, so a forged header (say shape ``(0, 2**62)``) is refused
as a ``ProtocolError`` and never reaches NumPy. Arguments travel as a small JSON tree in
which arrays are referenced by index (``{"$": "a", "i": 0}``) and tuples are tagged
(``{"$": "t", "v": [...]}``), so only plain data (numbers, strings, None, lists, tuples,
numeric arrays) can cross.
"""

import json
import os
import select
import struct
import time

import numpy as np

MAGIC = b"DLG2"
_PREFIX = struct.Struct(">4sI")
MAX_NDIM = 32

# Only plain numbers cross: bool, signed/unsigned int, float (no complex, object,
# strings, datetimes, structured or sub-array dtypes), always in native byte order.
NUMERIC_KINDS = "biuf"
DTYPES = {dt.name: dt for dt in map(np.dtype, (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble))}
_NAMES = {dt: name for name, dt in DTYPES.items()}  # (dtype.name is slow to compute)


class ProtocolError(Exception):
    """A frame or value that breaks the protocol (malformed, too large, not plain data)."""


class Caps:
    """Size caps for one direction of traffic.

    Args:
        header_bytes: largest JSON header accepted.
        array_bytes: largest single array (data bytes).
        array_elements: most elements in a single array (and the largest any one axis may be).
        total_bytes: largest frame (header + all array data).
        arrays: most arrays in one frame.
    """

    def __init__(self, header_bytes=1 << 20, array_bytes=64 << 20, array_elements=8 << 20,
                 total_bytes=256 << 20, arrays=4096):
        self.header_bytes = header_bytes
        self.array_bytes = array_bytes
        self.array_elements = array_elements
        self.total_bytes = total_bytes
        self.arrays = arrays

    def as_dict(self):
        return dict(vars(self))


# ---------------------------------------------------------------- arrays

def check_array(arr, caps, what="array"):
    """Raise ProtocolError unless `arr` is a plain numeric ndarray within the caps."""
    if type(arr) is not np.ndarray:
        raise ProtocolError(f"{what} is a {type(arr).__name__}, expected a NumPy array")
    check_dtype_shape(arr.dtype, arr.shape, caps, what)


def check_dtype_shape(dtype, shape, caps, what="array"):
    """Raise ProtocolError unless (dtype, shape) describe a small plain numeric array.

    Returns the array's size in bytes. Axes of length 0 count as 1 in the element cap,
    so a "zero-size" array cannot carry an absurd shape.
    """
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"{what} has dtype {dtype}, expected numbers (bool, int or float)")
    if len(shape) > MAX_NDIM or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError(f"{what} has an invalid shape {tuple(shape)}")
    size = span = 1
    for n in shape:
        if n > caps.array_elements:  # checked per axis first: no huge products are formed
            raise ProtocolError(f"{what} is too large (an axis of {n}; the limit is {caps.array_elements})")
        size *= n
        span *= max(n, 1)
    if span > caps.array_elements:
        raise ProtocolError(f"{what} is too large ({span} elements; the limit is {caps.array_elements})")
    if size * dtype.itemsize > caps.array_bytes:
        raise ProtocolError(f"{what} is too large ({size * dtype.itemsize} bytes; the limit is {caps.array_bytes})")
    return size * dtype.itemsize


def _wire_array(arr, caps):
    """``(spec, bytes)`` of a plain numeric ndarray: spec is ``[dtype name, shape]``."""
    check_array(arr, caps)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    name = _NAMES.get(arr.dtype)
    if name is None:
        raise ProtocolError(f"array has dtype {arr.dtype}, which is not sent")
    return [name, list(arr.shape)], arr.tobytes(order="C")


def _parse_specs(specs, caps):
    """``[(dtype, shape, nbytes)]`` from a header's array list, checked before any allocation."""
    if not isinstance(specs, list):
        raise ProtocolError("malformed frame header (no array list)")
    if len(specs) > caps.arrays:
        raise ProtocolError(f"too many arrays in one frame ({len(specs)})")
    parsed = []
    for i, spec in enumerate(specs):
        if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str)
                and isinstance(spec[1], list)):
            raise ProtocolError(f"array {i}: malformed description")
        dtype = DTYPES.get(spec[0])
        if dtype is None:
            raise ProtocolError(f"array {i}: dtype {spec[0][:40]!r} is not allowed")
        shape = tuple(spec[1])
        parsed.append((dtype, shape, check_dtype_shape(dtype, shape, caps, f"array {i}")))
    return parsed


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
    """Inverse of `encode_value`; `arrays` are the already validated arrays."""
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
    """Bytes of one frame: `header` (JSON-able dict) plus `arrays` as raw data."""
    if len(arrays) > caps.arrays:
        raise ProtocolError(f"too many arrays in one frame ({len(arrays)})")
    wired = [_wire_array(a, caps) for a in arrays]
    head = json.dumps(dict(header, arrays=[spec for spec, _ in wired]), separators=(",", ":")).encode()
    if len(head) > caps.header_bytes:
        raise ProtocolError(f"header too large ({len(head)} bytes)")
    data = [blob for _, blob in wired]
    if len(head) + sum(map(len, data)) > caps.total_bytes:
        raise ProtocolError("frame too large")
    return b"".join([_PREFIX.pack(MAGIC, len(head)), head, *data])


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
    ProtocolError the stream is out of sync and must be abandoned. The arrays are
    fresh, writeable, C-ordered and native-endian.
    """

    def __init__(self, fd, caps):
        self.fd = fd
        self.caps = caps
        self.buf = bytearray()
        self._pending = None  # (header, specs, end of header) of a frame whose data is still coming

    def ready(self):
        """True when a frame (or part of one) can be read without waiting."""
        return bool(self.buf) or bool(select.select([self.fd], [], [], 0)[0])

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

    def _head(self, deadline):
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
        except (ValueError, RecursionError):
            raise ProtocolError("malformed frame header (not JSON)") from None
        if not isinstance(header, dict):
            raise ProtocolError("malformed frame header (not an object)")
        specs = _parse_specs(header.get("arrays"), self.caps)
        if end + sum(n for _, _, n in specs) > self.caps.total_bytes:
            raise ProtocolError("frame too large")
        return header, specs, end

    def read(self, deadline=None):
        if self._pending is None:
            self._pending = self._head(deadline)
            if self._pending is None:
                return None
        header, specs, end = self._pending
        total = end + sum(n for _, _, n in specs)
        if not self._fill(total, deadline):
            return None
        self._pending = None
        # Copied straight out of the buffer (no slice of it first): reading a frame holds it
        # twice at most, not four times (a reply may be 256 MB).
        arrays, pos = [], end
        view = memoryview(self.buf)
        try:
            for dtype, shape, nbytes in specs:
                arrays.append(np.frombuffer(view, dtype=dtype, count=nbytes // dtype.itemsize,
                                            offset=pos).reshape(shape).copy())
                pos += nbytes
        except (ValueError, TypeError, MemoryError) as exc:  # belt and braces: the specs were checked
            raise ProtocolError(f"array {len(arrays)}: {exc}") from None
        finally:
            view.release()
        del self.buf[:total]
        return header, arrays
