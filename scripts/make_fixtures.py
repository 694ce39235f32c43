"""Write the golden Keras fixtures the hidden tests compare student code with.

Each graded function gets a few small cases: the inputs, the arguments, and what
a live Keras layer (or a small trained Keras CNN, for ``cnn_forward``) returns.
The files are committed, so grading reads them with NumPy alone and never needs
TensorFlow.

    KERAS_HOME=/tmp/keras-home TF_CPP_MIN_LOG_LEVEL=2 python scripts/make_fixtures.py

    python scripts/make_fixtures.py --weeks week10 week11   # only these weeks

Writes ``autograder/suites/fixtures/week08.npz`` ... ``week11.npz``. Key layout
(read by ``autograder.suites.fixture_cases``)::

    <function>/<case>/label          0-d str: what the case shows
    <function>/<case>/arg/<name>     an argument, named as in the signature (x, kernel, bias, h_prev, ...)
    <function>/<case>/arg/<name>/<i> a list argument (weights) or a tuple (an LSTM's initial_state)
    <function>/<case>/kw/<name>      strides / pool_size (int array), padding (str), return_sequences (bool)
    <function>/<case>/expected       the Keras output (float32, as Keras computes it)

Each week has its own random generator, so regenerating one week leaves the others' files alone.
"""
import argparse
import os
from pathlib import Path

os.environ.setdefault("KERAS_HOME", "/tmp/keras-home")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The one place fixture generation configures the oracle, before TensorFlow is imported: oneDNN
# off. Its default CPU kernels give wrong conv2d values when the output is one column wide and
# the column stride is above 1 (TF 2.21, see tests/test_keras_parity.py), and plain float32
# kernels make reruns give the same files. Set, not defaulted: a shell must not turn it on.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "autograder" / "suites" / "fixtures"

# The CNN lecture's 7x7 image and 3x3 feature detector (CONTRACT section 5).
LECTURE_IMAGE = np.array(
    [[0, 0, 0, 0, 0, 0, 0],
     [0, 1, 0, 0, 0, 1, 0],
     [0, 0, 0, 0, 0, 0, 0],
     [0, 0, 0, 1, 0, 0, 0],
     [0, 1, 0, 0, 0, 1, 0],
     [0, 0, 1, 1, 1, 0, 0],
     [0, 0, 0, 0, 0, 0, 0]], dtype=np.int64)
LECTURE_DETECTOR = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 1]], dtype=np.int64)
EDGE_DETECT = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.int64)
BLUR = np.pad(np.ones((3, 3), dtype=np.int64), 1)  # 5x5: a border of zeros around ones


class Writer:
    def __init__(self):
        self.arrays = {}
        self.counts = {}

    def add(self, fn, label, expected, args, kwargs=None):
        i = self.counts.get(fn, 0)
        self.counts[fn] = i + 1
        prefix = f"{fn}/{i:02d}"
        self.arrays[f"{prefix}/label"] = np.array(label)
        for name, value in args.items():
            if isinstance(value, list):
                for j, item in enumerate(value):
                    self.arrays[f"{prefix}/arg/{name}/{j}"] = np.asarray(item)
            else:
                self.arrays[f"{prefix}/arg/{name}"] = np.asarray(value)
        for name, value in (kwargs or {}).items():
            self.arrays[f"{prefix}/kw/{name}"] = np.asarray(value)
        self.arrays[f"{prefix}/expected"] = np.asarray(expected, dtype=np.float32)

    def save(self, path):
        np.savez_compressed(path, **self.arrays)
        print(f"wrote {path} ({path.stat().st_size} bytes, {len(self.counts)} functions)")


def run_layer(layer, *inputs):
    import keras

    return keras.ops.convert_to_numpy(layer(*[np.asarray(i, dtype=np.float32) for i in inputs]))


def week08(rng):
    import keras

    w = Writer()
    x = (rng.standard_normal((2, 4, 4, 3)) * 5).astype(np.float32)  # many values above 6
    w.add("relu", "4-D feature maps with values above 6", run_layer(keras.layers.ReLU(), x), {"x": x})
    x = rng.standard_normal((3, 7)).astype(np.float32)
    w.add("relu", "a batch of 3 vectors", run_layer(keras.layers.ReLU(), x), {"x": x})
    x = rng.integers(-20, 21, size=(2, 5, 5, 1))
    w.add("relu", "an integer image", run_layer(keras.layers.ReLU(), x), {"x": x})

    for label, (n, d_in, d_out), use_bias in [
        ("Dense(5) with bias", (4, 6, 5), True),
        ("Dense(3, use_bias=False)", (2, 8, 3), False),
        ("a wide Dense(10) on 64 inputs", (3, 64, 10), True),
        ("Dense(1) on a batch of one", (1, 4, 1), True),
    ]:
        layer = keras.layers.Dense(d_out, use_bias=use_bias)
        layer.build((None, d_in))
        kernel = rng.standard_normal((d_in, d_out)).astype(np.float32)
        weights = [kernel]
        args = {"x": rng.standard_normal((n, d_in)).astype(np.float32), "kernel": kernel}
        if use_bias:
            args["bias"] = rng.standard_normal(d_out).astype(np.float32)
            weights.append(args["bias"])
        layer.set_weights(weights)
        w.add("dense", label, run_layer(layer, args["x"]), args)

    softmax = keras.layers.Softmax()
    x = (rng.standard_normal((4, 10)) * 3).astype(np.float32)
    w.add("softmax", "logits of 4 samples, 10 classes", run_layer(softmax, x), {"x": x})
    x = np.array([[1000, 0], [0, 1000], [-1000, 1000], [1000, 1000]], dtype=np.float32)
    w.add("softmax", "large logits like [1000, 0]", run_layer(softmax, x), {"x": x})
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w.add("softmax", "3-D input: softmax over the last axis", run_layer(softmax, x), {"x": x})
    return w


def conv_case(w, rng, label, x, kernel, bias=None, strides=1, padding="valid"):
    import keras

    layer = keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], strides=strides, padding=padding,
                                use_bias=bias is not None)
    layer.build((None, *x.shape[1:]))
    layer.set_weights([kernel.astype(np.float32)] + ([bias.astype(np.float32)] if bias is not None else []))
    args = {"x": x, "kernel": kernel}
    if bias is not None:
        args["bias"] = bias
    kwargs = {}
    if strides != 1:
        kwargs["strides"] = strides
    if padding != "valid":
        kwargs["padding"] = padding
    w.add("conv2d", label, run_layer(layer, x), args, kwargs)


def pool_case(w, fn, label, x, pool_size=2, strides=None, padding="valid"):
    import keras

    cls = keras.layers.MaxPooling2D if fn == "max_pool2d" else keras.layers.AveragePooling2D
    layer = cls(pool_size=pool_size, strides=strides, padding=padding)
    kwargs = {"pool_size": pool_size}
    if strides is not None:
        kwargs["strides"] = strides
    if padding != "valid":
        kwargs["padding"] = padding
    w.add(fn, label, run_layer(layer, x), {"x": x}, kwargs)


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def week09(rng):
    import keras

    w = Writer()
    image = LECTURE_IMAGE[None, :, :, None]
    conv_case(w, rng, "the lecture's 7x7 image and 3x3 feature detector",
              image, LECTURE_DETECTOR[:, :, None, None])
    conv_case(w, rng, "edge-detect kernel, padding='same'", f32(rng, 1, 9, 9, 1),
              EDGE_DETECT[:, :, None, None].astype(np.float32), padding="same")
    conv_case(w, rng, "5x5 blur kernel on a 9x8 image", f32(rng, 2, 9, 8, 1),
              BLUR[:, :, None, None].astype(np.float32))
    conv_case(w, rng, "3 channels in, 4 filters, bias", f32(rng, 2, 8, 7, 3), f32(rng, 3, 2, 3, 4),
              f32(rng, 4))
    conv_case(w, rng, "stride 2, 'same' on a 6x6 image (no top padding)", f32(rng, 2, 6, 6, 2),
              f32(rng, 3, 3, 2, 3), f32(rng, 3), strides=2, padding="same")
    conv_case(w, rng, "strides (2, 1), 'same', a 2x3 kernel", f32(rng, 1, 7, 8, 2), f32(rng, 2, 3, 2, 2),
              f32(rng, 2), strides=(2, 1), padding="same")
    conv_case(w, rng, "strides (1, 2), 'valid', a 4x4 kernel", f32(rng, 2, 9, 9, 1), f32(rng, 4, 4, 1, 2),
              strides=(1, 2))
    conv_case(w, rng, "a 5x5 kernel as large as the image, 'same'", f32(rng, 1, 5, 5, 2),
              f32(rng, 5, 5, 2, 1), f32(rng, 1), padding="same")
    # One output column with a column stride above 1, where oneDNN's conv2d is wrong (issue 12).
    # Their own generator, so every other fixture keeps its values.
    extra = np.random.default_rng(20261130)
    conv_case(w, extra, "one output column: strides (1, 3), 'valid', a 4x3 image and a 1x2 kernel",
              f32(extra, 2, 4, 3, 1), f32(extra, 1, 2, 1, 1), strides=(1, 3))
    conv_case(w, extra, "one output column: stride 2, 'same', a 5x2 image", f32(extra, 1, 5, 2, 2),
              f32(extra, 2, 2, 2, 3), f32(extra, 3), strides=2, padding="same")
    conv_case(w, extra, "one output column: strides (2, 3), 'valid', 3 channels in", f32(extra, 2, 6, 4, 3),
              f32(extra, 3, 3, 3, 2), f32(extra, 2), strides=(2, 3))

    # The lecture's feature map (computed, see CONTRACT section 5), pooled 2x2 / stride 2 "same".
    feature_map = np.array([[0, 1, 0, 0, 0], [0, 1, 1, 1, 0], [1, 0, 0, 2, 1],
                            [1, 4, 2, 1, 0], [0, 0, 1, 2, 1]], dtype=np.int64)[None, :, :, None]
    for fn in ("max_pool2d", "avg_pool2d"):
        pool_case(w, fn, "the lecture's 5x5 feature map, 2x2 windows, stride 2, 'same'", feature_map,
                  padding="same")
        pool_case(w, fn, "2x2 windows (strides default to the window)", f32(rng, 2, 6, 8, 3))
        pool_case(w, fn, "3x2 windows, strides (1, 2), 'valid'", f32(rng, 2, 7, 6, 2), (3, 2), (1, 2))
        pool_case(w, fn, "3x3 windows, stride 2, 'same', all values negative",
                  -np.abs(f32(rng, 2, 7, 7, 2)) - 0.5, 3, 2, "same")
        pool_case(w, fn, "2x2 windows, stride 1, 'same'", f32(rng, 1, 5, 6, 2), 2, 1, "same")

    flatten = keras.layers.Flatten()
    for label, x in [("4-D feature maps (2, 3, 4, 5)", f32(rng, 2, 3, 4, 5)),
                     ("pooled maps (3, 2, 2, 1)", f32(rng, 3, 2, 2, 1)),
                     ("3-D input (2, 3, 4)", f32(rng, 2, 3, 4))]:
        w.add("flatten", label, run_layer(flatten, x), {"x": x})

    model, images, raw = train_digits_cnn()
    weights = [np.asarray(a, dtype=np.float32) for a in model.get_weights()]
    probs = model.predict(images, verbose=0)
    w.add("cnn_forward", "a Keras CNN trained on sklearn digits (8x8), 16 test images", probs,
          {"x": images, "weights": weights})
    probs_raw = model.predict(raw.astype(np.float32), verbose=0)
    w.add("cnn_forward", "the same CNN on integer images (pixel values 0..16)", probs_raw,
          {"x": raw, "weights": weights})
    return w


def train_digits_cnn():
    """A tiny Keras CNN, Conv2D(4, 3x3) -> ReLU -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax)."""
    import keras
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(0)
    digits = load_digits()
    raw = digits.images.astype(np.int64)[..., None]  # (1797, 8, 8, 1), pixel values 0..16
    x = (raw / 16.0).astype(np.float32)
    y = digits.target
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1500], y[:1500], epochs=20, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[1500:], y[1500:], verbose=0)
    print(f"digits CNN test accuracy: {accuracy:.3f}")
    return model, x[1500:1516], raw[1516:1524]


# ---------------------------------------------------------------- weeks 10 and 11: recurrent layers

# The lab's worked example, small enough to check on paper: one feature, one unit, three steps,
# kernel 0.5, recurrent kernel 0.5, no bias: h1 = tanh(0.5), h2 = tanh(0.5 h1), h3 = tanh(-0.5 + 0.5 h2).
WORKED_X = np.array([[[1.0], [0.0], [-1.0]]], dtype=np.float32)
WORKED_KERNEL = np.array([[0.5]], dtype=np.float32)
WORKED_RECURRENT = np.array([[0.5]], dtype=np.float32)
RECURRENT_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
RECURRENT_LAYERS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def recurrent_weights(rng, layer, d, u, bias=True):
    g = RECURRENT_GATES[layer]
    weights = [f32(rng, d, g * u, scale=1 / np.sqrt(d)), f32(rng, u, g * u, scale=1 / np.sqrt(u))]
    if bias:
        weights.append(f32(rng, 2, 3 * u, scale=0.5) if layer == "gru" else f32(rng, g * u, scale=0.5))
    return weights


def recurrent_case(w, rng, layer, label, x, weights, return_sequences=False, initial_state=None):
    """One case of simple_rnn / lstm / gru, answered by the live Keras layer."""
    import keras

    units = weights[1].shape[0]
    keras_layer = getattr(keras.layers, RECURRENT_LAYERS[layer])(
        units, use_bias=len(weights) == 3, return_sequences=return_sequences)
    keras_layer.build((None, *x.shape[1:]))
    keras_layer.set_weights(weights)
    call_kwargs = {}
    args = {"x": x, "kernel": weights[0], "recurrent_kernel": weights[1]}
    if len(weights) == 3:
        args["bias"] = weights[2]
    if initial_state is not None:
        states = list(initial_state) if isinstance(initial_state, tuple) else [initial_state]
        call_kwargs["initial_state"] = [np.asarray(s, np.float32) for s in states]
        args["initial_state"] = states if isinstance(initial_state, tuple) else initial_state
    out = keras.ops.convert_to_numpy(keras_layer(np.asarray(x, np.float32), **call_kwargs))
    w.add(layer, label, out, args, {"return_sequences": True} if return_sequences else None)


def state_for(rng, layer, n, u):
    h0 = np.tanh(f32(rng, n, u)).astype(np.float32)
    return (h0, f32(rng, n, u)) if layer == "lstm" else h0


def recurrent_layer_cases(w, rng, layer):
    recurrent_case(w, rng, layer, "2 sequences of 5 steps, 3 features, 4 units: the last state",
                   f32(rng, 2, 5, 3), recurrent_weights(rng, layer, 3, 4))
    recurrent_case(w, rng, layer, "return_sequences=True: every state", f32(rng, 3, 4, 2),
                   recurrent_weights(rng, layer, 2, 3), return_sequences=True)
    recurrent_case(w, rng, layer, "an initial state, every state returned", f32(rng, 2, 4, 3),
                   recurrent_weights(rng, layer, 3, 2), return_sequences=True,
                   initial_state=state_for(rng, layer, 2, 2))
    recurrent_case(w, rng, layer, "features = units (D = U = 3), no bias", f32(rng, 2, 6, 3),
                   recurrent_weights(rng, layer, 3, 3, bias=False))
    recurrent_case(w, rng, layer, "a single time step (T = 1) from an initial state", f32(rng, 4, 1, 2),
                   recurrent_weights(rng, layer, 2, 3), initial_state=state_for(rng, layer, 4, 3))


def train_digits_rnn(layer, units):
    """A tiny Keras recurrent classifier on sklearn digits read as 8 steps of 8 pixels."""
    import keras
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(0)
    digits = load_digits()
    raw = digits.images.astype(np.int64)  # (1797, 8, 8): 8 time steps (rows) of 8 pixels, 0..16
    x = (raw / 16.0).astype(np.float32)
    y = digits.target
    model = keras.Sequential([keras.Input((8, 8)), getattr(keras.layers, RECURRENT_LAYERS[layer])(units),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1500], y[:1500], epochs=20, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[1500:], y[1500:], verbose=0)
    print(f"digits {RECURRENT_LAYERS[layer]} test accuracy: {accuracy:.3f}")
    return model, x[1500:1516], raw[1516:1524]


def classifier_cases(w, function, layer, units):
    model, images, raw = train_digits_rnn(layer, units)
    weights = [np.asarray(a, dtype=np.float32) for a in model.get_weights()]
    w.add(function, f"a Keras {RECURRENT_LAYERS[layer]} trained on sklearn digits (8 steps of 8 pixels), "
          "16 test digits", model.predict(images, verbose=0), {"x": images, "weights": weights})
    w.add(function, "the same network on integer pixels (values 0..16)",
          model.predict(raw.astype(np.float32), verbose=0), {"x": raw, "weights": weights})


def week10(rng):
    import keras

    w = Writer()
    cell = keras.layers.SimpleRNNCell(1)
    cell.build((None, 1))
    cell.set_weights([WORKED_KERNEL, WORKED_RECURRENT, np.zeros(1, np.float32)])
    h = np.zeros((1, 1), np.float32)
    for t in range(WORKED_X.shape[1]):  # the worked example, one step at a time, as the lab unrolls it
        h_next = keras.ops.convert_to_numpy(cell(WORKED_X[:, t], [h])[0])
        w.add("simple_rnn_cell", f"the worked example, step {t + 1}", h_next,
              {"x_t": WORKED_X[:, t], "h_prev": h, "kernel": WORKED_KERNEL, "recurrent_kernel": WORKED_RECURRENT})
        h = h_next
    for label, (n, d, u, bias) in [("3 samples, 4 features, 2 units, bias", (3, 4, 2, True)),
                                   ("features = units (D = U = 3), bias", (2, 3, 3, True)),
                                   ("no bias", (2, 2, 5, False))]:
        weights = recurrent_weights(rng, "simple_rnn", d, u, bias)
        cell = keras.layers.SimpleRNNCell(u, use_bias=bias)
        cell.build((None, d))
        cell.set_weights(weights)
        x_t, h_prev = f32(rng, n, d), np.tanh(f32(rng, n, u)).astype(np.float32)
        args = {"x_t": x_t, "h_prev": h_prev, "kernel": weights[0], "recurrent_kernel": weights[1]}
        if bias:
            args["bias"] = weights[2]
        w.add("simple_rnn_cell", label, keras.ops.convert_to_numpy(cell(x_t, [h_prev])[0]), args)

    recurrent_case(w, rng, "simple_rnn", "the worked example: x = [1, 0, -1], kernel 0.5, recurrent kernel "
                   "0.5, every state", WORKED_X, [WORKED_KERNEL, WORKED_RECURRENT], return_sequences=True)
    recurrent_layer_cases(w, rng, "simple_rnn")
    classifier_cases(w, "rnn_forward", "simple_rnn", 16)
    return w


def week11(rng):
    w = Writer()
    recurrent_layer_cases(w, rng, "lstm")
    recurrent_layer_cases(w, rng, "gru")
    classifier_cases(w, "lstm_forward", "lstm", 16)
    return w


WEEKS = {"week08": (week08, 20270416), "week09": (week09, None), "week10": (week10, 20270430),
         "week11": (week11, 20270507)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="fixture folder (default: %(default)s)")
    parser.add_argument("--weeks", nargs="+", choices=sorted(WEEKS), default=sorted(WEEKS),
                        help="the weeks to write (default: all)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if {"week08", "week09"} & set(args.weeks):
        # weeks 8 and 9 share one generator (week 9 draws after week 8): they are written together.
        rng = np.random.default_rng(20270416)
        week08(rng).save(args.out / "week08.npz")
        week09(rng).save(args.out / "week09.npz")
    for name in ("week10", "week11"):
        if name in args.weeks:
            make, seed = WEEKS[name]
            make(np.random.default_rng(seed)).save(args.out / f"{name}.npz")


if __name__ == "__main__":
    main()
