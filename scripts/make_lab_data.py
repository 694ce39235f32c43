"""Make the data the week 8 to week 11 labs ship with (run rarely; the outputs are committed).

    python scripts/make_lab_data.py                        # writes solutions/week08 ... week11/digits.npz
    python scripts/make_lab_data.py --weeks week10 week11  # only these labs (each trains on its own seed)

Each file holds the test split of scikit-learn's 8x8 digits (``images`` (360, 8, 8)
uint8 in 0..16, ``labels`` (360,) uint8) and the weights of a small Keras network
trained on the rest, so the notebooks can run the trained network without TensorFlow:

- week08: Dense(32, relu) -> Dense(10, softmax) on the 64 pixels:
  ``hidden_kernel (64, 32)``, ``hidden_bias (32,)``, ``output_kernel (32, 10)``, ``output_bias (10,)``.
- week09: Conv2D(8, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax):
  ``conv_kernel (3, 3, 1, 8)``, ``conv_bias (8,)``, ``dense_kernel (72, 10)``, ``dense_bias (10,)``,
  exactly ``model.get_weights()``, i.e. the ``weights`` argument of ``cnn_forward``.
- week10: SimpleRNN(16) -> Dense(10, softmax) on each digit read as 8 time steps (its rows) of
  8 pixels: ``kernel (8, 16)``, ``recurrent_kernel (16, 16)``, ``bias (16,)``, ``dense_kernel
  (16, 10)``, ``dense_bias (10,)``, the ``weights`` of ``rnn_forward``, plus ``keras_predicted``
  (360,), the class Keras predicts for each test digit (its accuracy is the labs' target).
- week11: the same with LSTM(16): ``kernel (8, 64)``, ``recurrent_kernel (16, 64)``, ``bias
  (64,)``, ..., the ``weights`` of ``lstm_forward``, and ``keras_predicted``.

The pixels are scaled by 1/16 before training; the notebooks do the same. The
script prints each network's test accuracy as Keras computes it.
"""
import argparse
import io
import os
import pathlib
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = 320


def save_npz(path, arrays):
    """Like ``np.savez_compressed`` but byte-for-byte reproducible (fixed zip timestamps)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    return train_test_split(digits.images.astype(np.uint8), digits.target.astype(np.uint8),
                            test_size=360, random_state=SEED, stratify=digits.target)


def train(model, x_train, y_train, x_test, y_test, epochs):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "solutions",
                        help="folder holding week08/ ... week11/ (default: solutions/)")
    parser.add_argument("--weeks", nargs="+", choices=("week08", "week09", "week10", "week11"),
                        default=("week08", "week09", "week10", "week11"), help="the labs to write (default: all)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    x_train, x_test, y_train, y_test = digits_split()
    data = {"images": x_test, "labels": y_test}
    if {"week08", "week09"} & set(args.weeks):  # weeks 8 and 9 share one seeded sequence
        cnn_labs(args.out, keras, x_train, x_test, y_train, y_test, data)
    for week, layer in (("week10", "SimpleRNN"), ("week11", "LSTM")):
        if week in args.weeks:
            recurrent_lab(args.out / week, keras, layer, x_train, x_test, y_train, y_test, data)
    return 0


def recurrent_lab(folder, keras, layer, x_train, x_test, y_train, y_test, data):
    """A small recurrent classifier: each digit is 8 time steps (its rows) of 8 pixels."""
    keras.utils.set_random_seed(SEED + (10 if layer == "SimpleRNN" else 11))
    scale = np.float32(1 / 16)
    model = keras.Sequential([keras.Input((8, 8)), getattr(keras.layers, layer)(16),
                              keras.layers.Dense(10, activation="softmax")])
    acc = train(model, x_train * scale, y_train, x_test * scale, y_test, 80)
    predicted = model.predict(x_test * scale, verbose=0).argmax(axis=1).astype(np.uint8)
    names = ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")
    folder.mkdir(parents=True, exist_ok=True)
    save_npz(folder / "digits.npz", {**data, **dict(zip(names, model.get_weights())), "keras_predicted": predicted})
    print(f"{folder.name} {layer} test accuracy (Keras): {acc:.4f}")


def cnn_labs(out, keras, x_train, x_test, y_train, y_test, data):
    keras.utils.set_random_seed(SEED)
    scale = np.float32(1 / 16)
    args = argparse.Namespace(out=out)

    mlp = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                            keras.layers.Dense(10, activation="softmax")])
    acc = train(mlp, x_train.reshape(-1, 64) * scale, y_train, x_test.reshape(-1, 64) * scale, y_test, 60)
    names = ("hidden_kernel", "hidden_bias", "output_kernel", "output_bias")
    (args.out / "week08").mkdir(parents=True, exist_ok=True)
    save_npz(args.out / "week08" / "digits.npz", {**data, **dict(zip(names, mlp.get_weights()))})
    print(f"week08 MLP test accuracy (Keras): {acc:.4f}")

    cnn = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                            keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    acc = train(cnn, x_train[..., None] * scale, y_train, x_test[..., None] * scale, y_test, 60)
    names = ("conv_kernel", "conv_bias", "dense_kernel", "dense_bias")
    (args.out / "week09").mkdir(parents=True, exist_ok=True)
    save_npz(args.out / "week09" / "digits.npz", {**data, **dict(zip(names, cnn.get_weights()))})
    print(f"week09 CNN test accuracy (Keras): {acc:.4f}")


if __name__ == "__main__":
    raise SystemExit(main())
