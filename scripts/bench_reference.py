"""Time the reference layers against TensorFlow on MNIST-sized batches.

    python scripts/bench_reference.py [--batches 64 256] [--repeats 15]

For each batch size it times, side by side in one run, the reference and the
TensorFlow op doing the same work:

    conv2d      28x28x1 images -> 32 filters 3x3 ("valid")   vs tf.nn.conv2d
    max_pool2d  26x26x32 maps, 2x2 window, stride 2            vs tf.nn.max_pool2d
    avg_pool2d  26x26x32 maps, 2x2 window, stride 2            vs tf.nn.avg_pool2d

The two are interleaved (reference, TF, reference, TF, ...) so that a busy
machine slows both alike, and the medians of the repeats are reported with their
ratio (reference time / TF time; below 1 means the reference is faster). The
outputs are checked against each other once, with the grader's tolerance. Run on
demand; it is not a test.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_HOME", "/tmp/keras-home")

import numpy as np  # noqa: E402

import reference  # noqa: E402
from reference.tolerance import allclose, magnitude  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256], help="batch sizes N (default: 64 256)")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each side (default: 15)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="input dtype for the reference (TF always gets float32; default: float32)")
    return parser.parse_args(argv)


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def side_by_side(ours, theirs, repeats):
    """Median seconds of ``ours`` and ``theirs``, run alternately after one warm-up each."""
    ours(), theirs()
    a, b = [], []
    for _ in range(repeats):
        a.append(timed(ours))
        b.append(timed(theirs))
    return statistics.median(a), statistics.median(b)


def cases(n, dtype, tf, rng):
    """(label, name, reference call, TF call, reference args, reference kwargs) for batch size n."""
    images = rng.uniform(0, 1, (n, 28, 28, 1))
    kernel = rng.standard_normal((3, 3, 1, 32)) * 0.3
    maps = np.maximum(rng.standard_normal((n, 26, 26, 32)), 0)
    ours = {k: v.astype(dtype) for k, v in {"images": images, "kernel": kernel, "maps": maps}.items()}
    t = {k: tf.constant(v.astype(np.float32)) for k, v in {"images": images, "kernel": kernel, "maps": maps}.items()}
    return [
        (f"conv2d      N={n:<4} 28x28x1 -> 32x3x3", "conv2d", (ours["images"], ours["kernel"]), {},
         lambda: tf.nn.conv2d(t["images"], t["kernel"], strides=1, padding="VALID")),
        (f"max_pool2d  N={n:<4} 26x26x32, 2x2/2 ", "max_pool2d", (ours["maps"], 2), {},
         lambda: tf.nn.max_pool2d(t["maps"], 2, 2, "VALID")),
        (f"avg_pool2d  N={n:<4} 26x26x32, 2x2/2 ", "avg_pool2d", (ours["maps"], 2), {},
         lambda: tf.nn.avg_pool2d(t["maps"], 2, 2, "VALID")),
    ]


def main(argv=None):
    args = parse_args(argv)
    import tensorflow as tf  # heavy; only this script and the tests use it

    rng = np.random.default_rng(0)
    print(f"reference ({args.dtype}) vs TensorFlow {tf.__version__} (float32, eager, CPU threads: "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'}); "
          f"medians of {args.repeats} interleaved runs")
    print(f"{'case':<40} {'reference ms':>12} {'tf ms':>9} {'ratio':>7}")
    for n in args.batches:
        for label, name, ref_args, ref_kwargs, tf_call in cases(n, args.dtype, tf, rng):
            fn = getattr(reference, name)
            ours = lambda: fn(*ref_args, **ref_kwargs)  # noqa: E731
            theirs = lambda: tf_call().numpy()  # noqa: E731  (.numpy() waits for the result)
            if not allclose(theirs(), ours(), magnitude(name, *ref_args, **ref_kwargs)):
                raise SystemExit(f"{label}: the reference and TensorFlow disagree")
            mine, tfs = side_by_side(ours, theirs, args.repeats)
            print(f"{label:<40} {mine * 1e3:>12.2f} {tfs * 1e3:>9.2f} {mine / tfs:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
