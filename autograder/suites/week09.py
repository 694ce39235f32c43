"""Hidden tests for week 9 (CNN lab): conv2d, max_pool2d, avg_pool2d, flatten, cnn_forward.

Points (the week is worth 5 in the syllabus; the judge scales these weights to
the syllabus, so they only need to be right relative to each other):

    conv2d      1.75  the heart of the lab, and the most ways to go wrong
    max_pool2d  0.75  windows + strides + "same" padding that must never win
    avg_pool2d  0.75  the same windows; "same" divides by the real cells only
    flatten     0.50  one reshape, but the order matters
    cnn_forward 1.25  puts it all together; checked against a trained Keras CNN

Every weight is a multiple of 0.25, so scores are exact binary fractions.
"""
import math

import numpy as np

import reference
from reference import tolerance

from . import Case, Suite, Test, fixture_cases
from . import properties as p

FUNCTIONS = ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward")


def _edge_conv_cases():
    """Fixed conv2d cases at the corners of TensorFlow's padding rule (answers from the reference)."""
    rng = np.random.default_rng(9)

    def case(label, x_shape, k_shape, **kwargs):
        x = rng.standard_normal(x_shape)
        kernel = rng.standard_normal(k_shape)
        return Case((x, kernel), kwargs, label)

    return (
        case("stride 2, 'same', 6x6 image, 3x3 kernel: the padding row goes to the bottom only",
             (2, 6, 6, 1), (3, 3, 1, 2), strides=2, padding="same"),
        case("stride 1, 'same', 2x2 kernel: one padding row at the bottom, none at the top",
             (1, 5, 5, 2), (2, 2, 2, 1), padding="same"),
        case("strides (2, 3), 'same', 9x8 image, 4x2 kernel", (2, 9, 8, 1), (4, 2, 1, 2),
             strides=(2, 3), padding="same"),
        case("a 1x1 kernel mixes channels only", (2, 4, 5, 3), (1, 1, 3, 2)),
        case("the kernel covers the whole image: a 1x1 output", (3, 4, 3, 2), (4, 3, 2, 1)),
        case("stride 3 that does not divide the image, 'valid'", (1, 8, 7, 1), (2, 2, 1, 1), strides=3),
    )


SUITE_TESTS = (
    Test("conv2d", "matches Keras Conv2D on golden fixtures (the lecture's image, blur, edge detect, "
         "strides, 'same')", 0.25, cases=fixture_cases("week09", "conv2d")),
    Test("conv2d", "matches the reference on random inputs with padding='valid' (batches, channels, "
         "non-square kernels, int or pair strides, with and without bias)", 0.5,
         strategy=p.conv_cases("valid"), max_examples=30),
    Test("conv2d", "matches the reference on random inputs with padding='same' (TensorFlow's rule: "
         "output ceil(H / stride), odd padding at the bottom/right)", 0.5,
         strategy=p.conv_cases("same"), max_examples=30),
    Test("conv2d", "edge cases of padding and strides (stride-2 'same' with no top padding, 1x1 kernels, "
         "kernel as large as the image)", 0.25, cases=_edge_conv_cases()),
    Test("conv2d", "integer images and large values stay accurate (float32 and float64)", 0.25,
         strategy=p.conv_cases("same", dtypes=("int64", "float32"), scale=1.0)
         | p.conv_cases("valid", dtypes=("float32",), scale=1000.0),
         max_examples=20),

    Test("max_pool2d", "matches Keras MaxPooling2D on golden fixtures", 0.25,
         cases=fixture_cases("week09", "max_pool2d")),
    Test("max_pool2d", "matches the reference on random inputs (windows and strides as ints or pairs, "
         "strides=None, both paddings)", 0.25,
         strategy=p.pool_cases("valid") | p.pool_cases("same"), max_examples=30),
    Test("max_pool2d", "with padding='same', padded cells never win (all-negative windows) and integer "
         "images work", 0.25,
         strategy=p.pool_cases("same", style="negative") | p.pool_cases("same", dtypes=("int64",)),
         max_examples=20),

    Test("avg_pool2d", "matches Keras AveragePooling2D on golden fixtures", 0.25,
         cases=fixture_cases("week09", "avg_pool2d")),
    Test("avg_pool2d", "matches the reference on random inputs (windows and strides as ints or pairs, "
         "strides=None, both paddings)", 0.25,
         strategy=p.pool_cases("valid") | p.pool_cases("same"), max_examples=30),
    Test("avg_pool2d", "with padding='same', each window averages only its real cells (integer images "
         "too)", 0.25,
         strategy=p.pool_cases("same", dtypes=("float64", "int64")), max_examples=20),

    Test("flatten", "matches Keras Flatten on golden fixtures", 0.25,
         cases=fixture_cases("week09", "flatten")),
    Test("flatten", "matches the reference on random shapes (2 to 5 axes, float and integer)", 0.25,
         strategy=p.flatten_cases(), max_examples=25),

    Test("cnn_forward", "reproduces a Keras CNN trained on sklearn digits (float and integer images)", 0.5,
         cases=fixture_cases("week09", "cnn_forward")),
    Test("cnn_forward", "matches the reference on random small networks, weights and images (float and "
         "integer)", 0.5,
         strategy=p.cnn_cases(dtypes=p.FLOATS + ("int64",)), max_examples=25),
    Test("cnn_forward", "large logits do not overflow the softmax", 0.25,
         strategy=p.cnn_cases(dtypes=("float64",), logit_scale=300.0, style="image"), max_examples=10),
)


# ---------------------------------------------------------------- hints

HINTS = {
    ("conv2d", "rank"): "return a 4-D array (batch, out_height, out_width, filters): keep the batch "
                        "and channel axes",
    ("conv2d", "same shape"): "output height should be ceil(H / stride) for padding='same' (and the "
                              "same for the width)",
    ("conv2d", "valid shape"): "output height should be floor((H - KH) / stride) + 1 for "
                               "padding='valid'",
    ("conv2d", "strides ignored"): "move the window by strides (an int, or a pair (rows, cols))",
    ("conv2d", "flipped"): "Keras Conv2D does not flip the kernel (cross-correlation): use "
                           "kernel[i, j] as it is",
    ("conv2d", "no bias"): "add bias[f] to every cell of output channel f",
    ("conv2d", "border"): "TensorFlow puts the odd padding row at the bottom/right: pad (total // 2) "
                          "before and the rest after",
    ("conv2d", "channels"): "sum over all input channels: out[n, r, c, f] = sum(window * kernel[:, :, :, f])",
    ("conv2d", "non-square"): "images and kernels need not be square: use H and kernel.shape[0] for rows, "
                              "W and kernel.shape[1] for columns",
    ("max_pool2d", "shape"): "output size: floor((H - pool) / stride) + 1 for 'valid', ceil(H / stride) "
                             "for 'same'; strides=None means strides = pool_size",
    ("max_pool2d", "padding wins"): "padded cells must never win: pad with -inf (or take the max of "
                                    "the real cells only)",
    ("max_pool2d", "border"): "TensorFlow puts the odd padding row at the bottom/right",
    ("avg_pool2d", "shape"): "output size: floor((H - pool) / stride) + 1 for 'valid', ceil(H / stride) "
                             "for 'same'; strides=None means strides = pool_size",
    ("avg_pool2d", "counts padding"): "divide by the number of real cells in each window, not by the "
                                      "window size",
    ("avg_pool2d", "border"): "TensorFlow puts the odd padding row at the bottom/right",
    ("flatten", "channels first"): "flatten channels last: x.reshape(N, -1) on NHWC, no transpose",
    ("flatten", "shape"): "keep the batch axis: the result is (N, product of the other axes)",
    ("cnn_forward", "crash"): "check each layer's output shape on this input: conv2d (valid) -> relu -> "
                              "max_pool2d(2) -> flatten must give (N, dense_kernel.shape[0]) for any batch size",
    ("cnn_forward", "shape"): "the result is (N, classes): one row of probabilities per image",
    ("cnn_forward", "no softmax"): "finish with softmax over the classes (each row sums to 1)",
    ("cnn_forward", "no relu"): "apply relu to the convolution's output before pooling",
    ("cnn_forward", "avg pool"): "the network max-pools (max_pool2d), it does not average",
    ("cnn_forward", "softmax axis"): "softmax over the classes (the last axis), one row per image, not over "
                                     "the batch",
    ("cnn_forward", "overflow"): "subtract the row max before exp in softmax",
    ("cnn_forward", "layers"): "check each layer: conv2d (valid, stride 1, with bias) -> relu -> "
                               "max_pool2d(2) -> flatten -> dense -> softmax",
}


def _f64(value):
    return np.asarray(value, dtype=np.float64)


def _matches(got, alternative, scale):
    return got is not None and tolerance.allclose(got, alternative, scale)


def _only_on_border(got, expected, scale):
    """True when every wrong value sits in the first/last output row or column."""
    if min(got.shape[1:3]) < 3:  # no inner cells: every cell is a border cell, so it proves nothing
        return False
    wrong = ~tolerance.within(got, expected, scale)
    inner = wrong[:, 1:-1, 1:-1, :]
    return bool(wrong.any()) and not inner.any()


def _shape_with_stride_1(case):
    """The conv2d output shape if the strides were ignored (a common slip)."""
    padding = case.kwargs.get("padding", "valid")
    return reference.conv2d(_f64(case.args[0]), _f64(case.args[1]), padding=padding).shape


def _diagnose_conv(status, case, got, expected, scale):
    x, kernel = (_f64(a) for a in case.args[:2])
    kwargs = {k: (_f64(v) if isinstance(v, np.ndarray) else v) for k, v in case.kwargs.items()}
    padding = kwargs.get("padding", "valid")
    if status == "crashed":
        square = x.shape[1] == x.shape[2] and kernel.shape[0] == kernel.shape[1]
        return None if square else "non-square"
    if status == "wrong shape":
        if got is None or got.ndim != 4:
            return "rank"
        if kwargs.get("strides", 1) not in (1, (1, 1)) and _shape_with_stride_1(case) == got.shape:
            return "strides ignored"
        return "same shape" if padding == "same" else "valid shape"
    if status != "wrong values" or got is None:
        return None
    if _odd_pad_first("conv2d", case, got, scale):
        return "border"  # checked first: on a tiny input a flipped kernel can look the same
    if _matches(got, reference.conv2d(x, kernel[::-1, ::-1], **kwargs), scale):
        return "flipped"
    if kwargs.get("bias") is not None:
        no_bias = dict(kwargs, bias=None)
        if _matches(got, reference.conv2d(x, kernel, **no_bias), scale):
            return "no bias"
    if padding == "same" and got.shape == expected.shape and _only_on_border(got, expected, scale):
        return "border"
    if x.shape[3] > 1 and _matches(got, reference.conv2d(x[..., :1], kernel[:, :, :1], **kwargs), scale):
        return "channels"
    return None


def _window_and_strides(function, case):
    if function == "conv2d":
        window = case.args[1].shape[:2]
        strides = case.kwargs.get("strides", 1)
    else:
        window = case.kwargs.get("pool_size", 2)
        strides = case.kwargs.get("strides") or window
    window = (window, window) if isinstance(window, int) else tuple(window)
    strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
    return window, strides


def _same_pads(function, case, swap=False):
    """TensorFlow's 'same' padding ((top, bottom), (left, right)); ``swap`` puts the odd cell first."""
    window, strides = _window_and_strides(function, case)
    pads = []
    for size, k, s in zip(case.args[0].shape[1:3], window, strides):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        small, large = total // 2, total - total // 2
        pads.append((large, small) if swap else (small, large))
    return window, strides, pads


def _padded_by_hand(function, case, pads, fill=0.0):
    """``function`` with 'same' replaced by explicit ``pads`` filled with ``fill`` (a student's version)."""
    window, strides = _window_and_strides(function, case)
    x = _f64(case.args[0])
    xp = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill)
    if function == "conv2d":
        bias = case.kwargs.get("bias")
        return reference.conv2d(xp, _f64(case.args[1]), None if bias is None else _f64(bias), strides)
    if function == "max_pool2d":
        return reference.max_pool2d(xp, window, strides)
    ones = np.pad(np.ones_like(x), ((0, 0), *pads, (0, 0)))
    return reference.avg_pool2d(xp, window, strides) / reference.avg_pool2d(ones, window, strides)


def _odd_pad_first(function, case, got, scale):
    """True when ``got`` is what 'same' gives with the odd padding cell at the top/left."""
    if case.kwargs.get("padding") != "same":
        return False
    fill = -np.inf if function == "max_pool2d" else 0.0
    return _matches(got, _padded_by_hand(function, case, _same_pads(function, case, swap=True)[2], fill),
                    scale)


def _diagnose_pool(function, status, case, got, expected, scale):
    if status == "wrong shape":
        return "shape"
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    if case.kwargs.get("padding") != "same":
        return None
    if _odd_pad_first(function, case, got, scale):
        return "border"
    pads = _same_pads(function, case)[2]
    if function == "max_pool2d" and _matches(got, _padded_by_hand(function, case, pads, 0.0), scale):
        return "padding wins"
    if function == "avg_pool2d":
        window, strides = _window_and_strides(function, case)
        zero_padded = np.pad(_f64(case.args[0]), ((0, 0), *pads, (0, 0)))
        if _matches(got, reference.avg_pool2d(zero_padded, window, strides), scale):
            return "counts padding"
    if _only_on_border(got, expected, scale):
        return "border"
    return None


def _diagnose_flatten(status, case, got, expected, scale):
    x = _f64(case.args[0])
    if status == "wrong shape":
        return "shape"
    if status == "wrong values" and got is not None and x.ndim >= 3:
        channels_first = np.moveaxis(x, -1, 1).reshape(x.shape[0], -1)
        if got.shape == channels_first.shape and np.array_equal(got, channels_first):
            return "channels first"
    return None


def _diagnose_cnn(status, case, got, expected, scale):
    if status == "crashed":
        return "crash"
    if status == "wrong shape":
        return "shape"
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    if not np.isfinite(got).all():
        return "overflow"
    x = _f64(case.args[0])
    kernel, bias, dense_kernel, dense_bias = (_f64(w) for w in case.args[1])
    feature_map = reference.conv2d(x, kernel, bias)
    logits = reference.dense(reference.flatten(reference.max_pool2d(reference.relu(feature_map), 2)),
                             dense_kernel, dense_bias)
    if _matches(got, logits, np.abs(logits) + 1):
        return "no softmax"
    no_relu = reference.dense(reference.flatten(reference.max_pool2d(feature_map, 2)), dense_kernel, dense_bias)
    if _matches(got, reference.softmax(no_relu), scale):
        return "no relu"
    averaged = reference.dense(reference.flatten(reference.avg_pool2d(reference.relu(feature_map), 2)),
                               dense_kernel, dense_bias)
    if _matches(got, reference.softmax(averaged), scale):
        return "avg pool"
    if got.shape[0] > 1:
        over_batch = np.exp(logits - logits.max(axis=0)) / np.exp(logits - logits.max(axis=0)).sum(axis=0)
        if _matches(got, over_batch, scale):
            return "softmax axis"
    return None


def diagnose(function, status, case, got, expected, scale):
    """The hint key for a failure, or None: tries the usual mistakes against the failing case."""
    # (cnn_forward returns saturated probabilities, where these fingerprints mislead.)
    key = None if function == "cnn_forward" else p.common_symptom(status, case, got, expected, scale)
    if key is not None:
        return key
    try:
        if function == "conv2d":
            key = _diagnose_conv(status, case, got, expected, scale)
        elif function in ("max_pool2d", "avg_pool2d"):
            key = _diagnose_pool(function, status, case, got, expected, scale)
        elif function == "flatten":
            key = _diagnose_flatten(status, case, got, expected, scale)
        else:
            key = _diagnose_cnn(status, case, got, expected, scale)
    except (ValueError, TypeError, IndexError):  # a diagnosis that does not apply to this case
        key = None
    if key is None and function == "cnn_forward" and status == "wrong values":
        key = "layers"
    return key


SIGNATURES = {
    "conv2d": "conv2d(x, kernel, bias=None, strides=1, padding='valid')",
    "max_pool2d": "max_pool2d(x, pool_size=2, strides=None, padding='valid')",
    "avg_pool2d": "avg_pool2d(x, pool_size=2, strides=None, padding='valid')",
    "flatten": "flatten(x)",
    "cnn_forward": "cnn_forward(x, weights) with weights = [conv_kernel, conv_bias, dense_kernel, dense_bias]",
}


SUITE = Suite("week09", FUNCTIONS, SUITE_TESTS, diagnose, {**HINTS, **p.COMMON_HINTS}, SIGNATURES)
