"""The wire protocol (raw arrays under a validated header) and batched calls to a worker.

Protocol tests run on pipes in this process; batch tests start real sandboxed workers
(about 10 s in all on 2 cores).
"""
import json
import os
import struct
import textwrap
import time

import numpy as np
import pytest

from autograder import judge, submissions
from autograder.sandbox import Worker, WorkerError, protocol

CAPS = protocol.Caps(header_bytes=4096, array_bytes=1 << 14, array_elements=1 << 12, total_bytes=1 << 18,
                     arrays=64)


def _frame_bytes(header, arrays=()):
    return protocol.pack_frame(header, list(arrays), CAPS)


def _read(data):
    r, w = os.pipe()
    try:
        os.write(w, data)
        os.close(w)
        w = None
        return protocol.Reader(r, CAPS).read(deadline=time.monotonic() + 2)
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def _forged(header, data=b""):
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack(">4sI", protocol.MAGIC, len(head)) + head + data


# ------------------------------------------------------------------ frames

def test_round_trip_keeps_dtype_shape_and_values():
    arrays = [np.arange(6, dtype=np.int16).reshape(2, 3), np.asfortranarray(np.ones((2, 3), np.float32)),
              np.array(True), np.array([1.5, np.nan, np.inf]), np.zeros((0, 3)), np.float16([1, 2]),
              np.arange(3, dtype=">f8"), np.arange(4, dtype=np.uint64)[::2]]
    header, got = _read(_frame_bytes({"op": "x", "n": 1}, arrays))
    assert header["op"] == "x" and header["n"] == 1 and len(got) == len(arrays)
    for a, b in zip(arrays, got):
        assert b.dtype == a.dtype.newbyteorder("=") and b.dtype.isnative and a.shape == b.shape
        assert b.flags.writeable and b.flags.c_contiguous and b.flags.owndata
        np.testing.assert_array_equal(a, b)
    sent = []
    tree = protocol.encode_value([np.zeros(2), (1, np.int64(2), [None, "s"]), 2.5, True], sent, CAPS)
    assert protocol.decode_value(tree, sent)[1] == (1, 2, [None, "s"]) and len(sent) == 1


def test_the_header_is_small_json_and_the_data_raw():
    data = _frame_bytes({"op": "x"}, [np.arange(3, dtype=np.float64)])
    magic, length = struct.unpack(">4sI", data[:8])
    header = json.loads(data[8:8 + length])
    assert magic == protocol.MAGIC and header == {"op": "x", "arrays": [["float64", [3]]]}
    assert data[8 + length:] == np.arange(3, dtype=np.float64).tobytes()


@pytest.mark.parametrize("bad", [np.array([1, "a"], dtype=object), np.array(["a"]), np.array([1j]),
                                 np.zeros(2, dtype=[("a", "f8")]), np.array(["2020-01-01"], "datetime64[D]")])
def test_only_plain_numbers_are_sent(bad):
    with pytest.raises(protocol.ProtocolError):
        _frame_bytes({"op": "x"}, [bad])
    with pytest.raises(protocol.ProtocolError):
        protocol.encode_value([bad], [], CAPS)


def test_oversize_and_non_plain_values_are_refused():
    with pytest.raises(protocol.ProtocolError, match="too large"):
        _frame_bytes({}, [np.zeros(1 << 13, np.uint8)])  # elements over the cap
    with pytest.raises(protocol.ProtocolError, match="too large"):
        _frame_bytes({}, [np.zeros(4000, np.float64)])  # bytes over the cap
    with pytest.raises(protocol.ProtocolError, match="too many arrays"):
        _frame_bytes({}, [np.zeros(1)] * 65)
    with pytest.raises(protocol.ProtocolError):
        protocol.encode_value([object()], [], CAPS)
    with pytest.raises(protocol.ProtocolError):
        protocol.encode_value({"a": 1}, [], CAPS)
    with pytest.raises(protocol.ProtocolError):
        _frame_bytes({"op": "x" * 5000})


@pytest.mark.parametrize("data, needle", [
    (b"HTTP/1.1 200 OK\r\n\r\n", "magic"),
    (struct.pack(">4sI", b"DLG1", 2) + b"{}", "magic"),                  # the old .npy format
    (_forged(b"not json"), "not JSON"),
    (_forged(b"[1, 2]"), "not an object"),
    (_forged({"op": "x"}), "no array list"),
    (_forged({"arrays": "x"}), "no array list"),
    (struct.pack(">4sI", protocol.MAGIC, 1 << 30), "header too large"),
    (_forged({"arrays": [["object", [1]]]}), "not allowed"),
    (_forged({"arrays": [["complex128", [1]]]}), "not allowed"),
    (_forged({"arrays": [["float64", [1]], "x"]}), "malformed"),
    (_forged({"arrays": [["float64", [1.5]]]}), "invalid shape"),
    (_forged({"arrays": [["float64", [-1]]]}), "invalid shape"),
    (_forged({"arrays": [["float64", [True]]]}), "invalid shape"),
    (_forged({"arrays": [["float64", [1] * 33]]}), "invalid shape"),
    (_forged({"arrays": [["float64", [1 << 20]]]}), "too large"),
    # zero elements, so no byte cap is hit, but no such array can exist: refused before NumPy
    (_forged({"arrays": [["float64", [0, 2 ** 62]]]}), "too large"),
    (_forged({"arrays": [["float64", [0] + [4000] * 8]]}), "too large"),
    (_forged({"arrays": [["uint8", [4096]]] * 64}), "frame too large"),
    (_forged({"arrays": [["float64", [2]]] * 65}), "too many arrays"),
])
def test_garbage_frames_are_refused_before_allocation(data, needle):
    with pytest.raises(protocol.ProtocolError, match=needle):
        _read(data)


def test_truncated_frame_is_eof_and_partial_frame_waits():
    data = _frame_bytes({"op": "x"}, [np.zeros(10)])
    with pytest.raises(EOFError):
        _read(data[:-5])
    r, w = os.pipe()
    try:
        reader = protocol.Reader(r, CAPS)
        for cut in (3, 30, len(data) - 1):   # in the prefix, the header, the data
            os.write(w, data[:cut])
            assert reader.read(deadline=time.monotonic() + 0.05) is None  # deadline, not garbage
            os.write(w, data[cut:])
            header, arrays = reader.read(deadline=time.monotonic() + 2)
            assert header["op"] == "x" and arrays[0].shape == (10,)
        assert not reader.ready()
    finally:
        os.close(r)
        os.close(w)


# ------------------------------------------------------------------ batches

CODE = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    calls = []

    def double(x, scale=2):
        calls.append(float(x.flat[0]))
        return x * scale

    def picky(x):
        calls.append(float(x.flat[0]))
        if x.flat[0] == 3:
            os._exit(7)
        if x.flat[0] == 5:
            while True:
                pass
        if x.flat[0] == 6:
            raise ValueError("six")
        if x.flat[0] == 7:
            x[...] = 0
        if x.flat[0] == 8:
            time.sleep(1.0)
        if x.flat[0] == 9:
            time.sleep(0.05)
        print("case", x.flat[0])
        return x + 1

    def count(x):
        return np.array([len(calls)])
''')


@pytest.fixture()
def worker():
    with Worker([("cell 1", CODE)]) as w:
        yield w


def _cases(*firsts):
    return [((np.full((2, 3), float(v)),), {}) for v in firsts]


def test_a_batch_answers_every_call_in_order_with_its_own_inputs(worker):
    calls = [((np.full(2, float(i)),), {"scale": i}) for i in range(40)]
    replies = list(worker.call_batch("double", calls, timeout=20))
    assert [r.status for r in replies] == ["ok"] * 40
    assert [r.value.tolist() for r in replies] == [[float(i * i)] * 2 for i in range(40)]
    assert [r.inputs_after[0].tolist() for r in replies] == [[float(i)] * 2 for i in range(40)]
    assert all(r.seconds >= 0 for r in replies) and worker.alive
    assert worker.call("count", (np.zeros(1),), timeout=10).value.tolist() == [40]


def test_a_batch_larger_than_a_frame_is_split(worker):
    calls = [((np.full(1, float(i)),), {}) for i in range(5000)]  # more arrays than one frame holds
    replies = list(worker.call_batch("double", calls, timeout=60))
    assert len(replies) == 5000 and replies[-1].value.tolist() == [9998.0]


def test_per_call_status_output_and_purity(worker):
    replies = list(worker.call_batch("picky", _cases(1, 6, 7, 2), timeout=20))
    assert [r.status for r in replies] == ["ok", "crashed", "ok", "ok"]
    assert replies[0].stdout.strip() == "case 1.0" and replies[1].stdout == ""
    assert replies[1].message.startswith("ValueError: six")
    assert replies[2].inputs_after[0].tolist() == [[0.0] * 3] * 2   # changed in place: seen
    assert replies[3].inputs_after[0].tolist() == [[2.0] * 3] * 2


def test_a_crash_names_its_call_and_ends_the_batch(worker):
    replies = list(worker.call_batch("picky", _cases(1, 2, 3, 4), timeout=20))
    assert [r.status for r in replies] == ["ok", "ok", "crashed"]
    assert "exited (code 7)" in replies[2].message and not worker.alive
    with pytest.raises(WorkerError):
        list(worker.call_batch("picky", _cases(1), timeout=20))


def test_a_hang_times_out_in_its_own_call(worker):
    started = time.monotonic()
    replies = list(worker.call_batch("picky", _cases(1, 5, 2), timeout=1.5))
    assert [r.status for r in replies] == ["ok", "timed out"]
    assert time.monotonic() - started < 10 and not worker.alive
    assert 1.0 < sum(r.seconds for r in replies) < 5


def test_stopping_early_drops_the_rest_and_the_worker_goes_on(worker):
    # Each call takes 50 ms, so the worker is still inside the batch when "stop" arrives
    # (50 instant calls can all be answered before it, on a fast worker).
    batch = worker.call_batch("picky", _cases(*([9] * 50)), timeout=20)
    assert next(batch).status == "ok"
    batch.close()
    assert worker.alive
    done = worker.call("count", (np.zeros(1),), timeout=10).value[0]
    assert 1 <= done < 50            # stopped between two calls ...
    assert worker.call("picky", (np.full(1, 2.0),), timeout=10).value.tolist() == [3.0]  # ... in sync


def test_a_worker_slow_to_stop_is_killed(worker, monkeypatch):
    monkeypatch.setattr(Worker, "STOP_GRACE", 0.1)
    batch = worker.call_batch("picky", _cases(1, 8, 8), timeout=20)
    assert next(batch).status == "ok"
    time.sleep(0.3)  # the worker is now inside case 8, which sleeps 1 s: longer than the grace
    started = time.monotonic()
    batch.close()
    assert not worker.alive and time.monotonic() - started < 0.9


# ------------------------------------------------------------------ through the judge

FORGED = '''
import json, os, struct, sys
import numpy as np

def relu(x):
    return np.maximum(x, 0)

def dense(x, kernel, bias=None):
    P = sys.modules["_dlgrade_protocol"]          # the worker's own copy of the protocol
    head = json.dumps({"op": "result", "index": 0, "status": "ok", "has_value": True, "message": "",
                       "stdout": "", "arrays": [["float64", [0, 2 ** 62]]]}).encode()
    os.write(sys.modules["__main__"].REPLY_FD, struct.pack(">4sI", P.MAGIC, len(head)) + head)
    os._exit(0)

def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''


def test_a_forged_impossible_shape_costs_only_that_function(tmp_path):
    """issue 9's forged zero-size frame, in today's format: 'wrong values' for dense only."""
    path = tmp_path / "forger.py"
    path.write_text(FORGED)
    result = judge.grade(submissions.load(path), "week08", timeout=20)
    by_function = {}
    for test in result["tests"]:
        by_function.setdefault(test["tags"][0], []).append(test)
    assert {t["status"] for t in by_function["relu"] + by_function["softmax"]} == {"passed"}
    dense = by_function["dense"]
    assert dense[0]["status"] == "wrong values" and "invalid reply" in dense[0]["output"]
    assert "too large" in dense[0]["output"]
    assert all(t["score"] == 0 for t in dense)
