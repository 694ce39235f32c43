"""Hidden tests for week 9 (CNN lab): conv2d, max_pool2d, avg_pool2d, flatten, cnn_forward.

Points (the week is worth 5 in the syllabus; the judge scales these weights to
the syllabus, so they only need to be right relative to each other):

    conv2d      1.75  the heart of the lab, and the most ways to go wrong
    max_pool2d  0.75  windows + strides + "same" padding that must never win
    avg_pool2d  0.75  the same windows; "same" divides by the real cells only
    flatten     0.50  one reshape, but the order matters
    cnn_forward 1.25  puts it all together; checked against a trained Keras CNN

Partial credit follows what works: conv2d and the pools are tested feature by feature
with the same split ('valid' with stride 1, int strides, pair strides, 'same', channels,
batch, integer images; conv2d also 'same' with strides and the bias). Each feature test
keeps every other feature at its simplest (one image, one channel, stride 1, no bias), so
a bug in one feature costs that feature's points, and each failing feature shows its own
smallest case: two independent bugs show together.

Every weight is a multiple of 1/16, so scores are exact binary fractions.
"""
import itertools
import math

import numpy as np

import reference
from reference import tolerance

from . import Case, Suite, Test, fixture_cases
from . import properties as p

FUNCTIONS = ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "cnn_forward")
SIMPLE = {"batch": (1, 1), "channels": (1, 1)}  # one image, one channel in and out


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


def _pool_tests(function, keras_name, same_claim, same_strategy):
    """The feature split of a pooling layer (0.75 points): the same split as conv2d's."""
    return (
        Test(function, f"matches Keras {keras_name} on golden fixtures (the lecture's feature map)", 0.125,
             cases=fixture_cases("week09", function)),
        Test(function, "padding='valid', int windows, strides=None or 1 (one image, one channel)", 0.125,
             strategy=p.pool_cases("valid", strides="one", windows="int", **SIMPLE), max_examples=15),
        Test(function, "int strides above 1 ('valid', one image, one channel)", 0.0625,
             strategy=p.pool_cases("valid", strides="int", windows="int", **SIMPLE), max_examples=10),
        Test(function, "windows and strides as pairs (rows, cols) ('valid', one image, one channel)", 0.0625,
             strategy=p.pool_cases("valid", strides="pair", windows="pair", **SIMPLE), max_examples=10),
        Test(function, "padding='same' (output ceil(H / stride), odd padding at the bottom/right; one image, "
             "one channel)", 0.125,
             strategy=p.pool_cases("same", **SIMPLE), max_examples=15),
        Test(function, same_claim, 0.0625, strategy=same_strategy, max_examples=10),
        Test(function, "several channels ('valid', one image)", 0.0625,
             strategy=p.pool_cases("valid", batch=(1, 1), channels=(2, 3)), max_examples=10),
        Test(function, "a batch of several images ('valid', one channel)", 0.0625,
             strategy=p.pool_cases("valid", batch=(2, 3), channels=(1, 1)), max_examples=10),
        Test(function, "integer images ('valid')", 0.0625,
             strategy=p.pool_cases("valid", dtypes=("int64",)), max_examples=10),
    )


SUITE_TESTS = (
    Test("conv2d", "matches Keras Conv2D on golden fixtures and the corners of the padding rule (the "
         "lecture's image, blur, edge detect, stride-2 'same' with no top padding, 1x1 kernels)", 0.25,
         cases=fixture_cases("week09", "conv2d") + _edge_conv_cases()),
    Test("conv2d", "padding='valid', stride 1 (one image, one channel in and out, no bias; non-square "
         "kernels)", 0.25,
         strategy=p.conv_cases("valid", strides="one", bias=(False,), **SIMPLE), max_examples=15),
    Test("conv2d", "int strides above 1 ('valid', one image, one channel)", 0.125,
         strategy=p.conv_cases("valid", strides="int", bias=(False,), **SIMPLE), max_examples=10),
    Test("conv2d", "strides as a pair (rows, cols) ('valid', one image, one channel)", 0.125,
         strategy=p.conv_cases("valid", strides="pair", bias=(False,), **SIMPLE), max_examples=10),
    Test("conv2d", "padding='same', stride 1 (odd and even kernels: the odd padding row/column at the "
         "bottom/right; one image, one channel)", 0.25,
         strategy=p.conv_cases("same", strides="one", bias=(False,), **SIMPLE), max_examples=15),
    Test("conv2d", "padding='same' with strides above 1 (output ceil(H / stride): the total padding "
         "depends on the stride; one image, one channel)", 0.25,
         strategy=p.conv_cases("same", strides="strided", bias=(False,), **SIMPLE), max_examples=15),
    Test("conv2d", "adds the bias, one value per output channel (one image)", 0.125,
         strategy=p.conv_cases("valid", strides="one", bias=(True,), batch=(1, 1), channels=(1, 3)),
         max_examples=10),
    Test("conv2d", "several input and output channels ('valid', one image, stride 1)", 0.125,
         strategy=p.conv_cases("valid", strides="one", bias=(False,), batch=(1, 1), channels=(2, 3)),
         max_examples=10),
    Test("conv2d", "a batch of several images ('valid', one channel, stride 1)", 0.125,
         strategy=p.conv_cases("valid", strides="one", bias=(False,), batch=(2, 3), channels=(1, 1)),
         max_examples=10),
    Test("conv2d", "integer images, large values and float32 stay accurate ('valid', stride 1, one image, "
         "one channel, no bias)", 0.125,
         strategy=p.conv_cases("valid", strides="one", bias=(False,), dtypes=("int64", "float32"), scale=1.0,
                               **SIMPLE)
         | p.conv_cases("valid", strides="one", bias=(False,), dtypes=("int64", "float32"), scale=1000.0,
                        **SIMPLE),
         max_examples=15),

    *_pool_tests("max_pool2d", "MaxPooling2D",
                 "with padding='same', padded cells never win (all-negative windows)",
                 p.pool_cases("same", style="negative") | p.pool_cases("valid", style="negative")),
    *_pool_tests("avg_pool2d", "AveragePooling2D",
                 "with padding='same', each window averages only its real cells (several images and channels)",
                 p.pool_cases("same", dtypes=("float64",))),

    Test("flatten", "matches Keras Flatten on golden fixtures", 0.25,
         cases=fixture_cases("week09", "flatten")),
    Test("flatten", "matches the reference on random shapes (2 to 5 axes, float and integer)", 0.25,
         strategy=p.flatten_cases(), max_examples=25),

    Test("cnn_forward", "reproduces a Keras CNN trained on sklearn digits (float and integer images)", 0.5,
         cases=fixture_cases("week09", "cnn_forward")),
    Test("cnn_forward", "matches the reference on random small networks, one image at a time (float and "
         "integer)", 0.25,
         strategy=p.cnn_cases(dtypes=p.FLOATS + ("int64",), batch=(1, 1)), max_examples=15),
    Test("cnn_forward", "matches the reference on batches of several images", 0.25,
         strategy=p.cnn_cases(dtypes=p.FLOATS + ("int64",), batch=(2, 3)), max_examples=15),
    Test("cnn_forward", "large logits do not overflow the softmax", 0.25,
         strategy=p.cnn_cases(dtypes=("float64",), logit_scale=300.0, style="image"), max_examples=10),
)


# ---------------------------------------------------------------- hints

HINTS = {
    ("conv2d", "rank"): "return a 4-D array (batch, out_height, out_width, filters): keep the batch "
                        "and channel axes",
    ("conv2d", "same shape"): "with padding='same' each side of the output is ceil(H / stride), not "
                              "floor(H / stride)",
    ("conv2d", "padding ignored"): "padding='same' pads the image with zeros so that each side of the output "
                                   "is ceil(H / stride); this result has the 'valid' size",
    ("conv2d", "valid shape"): "with padding='valid' each side of the output is floor((H - KH) / stride) + 1",
    ("conv2d", "strides ignored"): "move the window by strides (an int, or a pair (rows, cols))",
    ("conv2d", "strides swapped"): "strides=(sh, sw) is (rows, cols): sh moves down the height, sw across "
                                   "the width",
    ("conv2d", "flipped"): "Keras Conv2D does not flip the kernel (cross-correlation): use "
                           "kernel[i, j] as it is",
    ("conv2d", "no bias"): "add bias[f] to every cell of output channel f",
    ("conv2d", "border"): "TensorFlow puts the odd padding row at the bottom/right: pad (total // 2) "
                          "before and the rest after",
    ("conv2d", "total k-1"): "with padding='same' the total padding depends on the stride: "
                             "max((ceil(H / stride) - 1) * stride + KH - H, 0), not KH - 1",
    ("conv2d", "same rule"): "with padding='same' the total padding is max((ceil(H / stride) - 1) * stride + "
                             "KH - H, 0) (it depends on the stride), and its odd cell goes at the bottom/right",
    ("conv2d", "channels"): "sum over all input channels: out[n, r, c, f] = sum(window * kernel[:, :, :, f])",
    ("conv2d", "non-square"): "images and kernels need not be square: use H and kernel.shape[0] for rows, "
                              "W and kernel.shape[1] for columns",
    ("conv2d", "one stride"): "strides=(sh, sw) is a pair: sh moves the window down the rows, sw across the "
                              "columns; this output uses one of them for both axes",
    ("conv2d", "axes"): "each axis has its own numbers (images, kernels and strides need not be square): rows "
                        "use H, kernel.shape[0] and strides[0]; columns use W, kernel.shape[1] and strides[1]",
    ("max_pool2d", "same shape"): "with padding='same' each side of the output is ceil(H / stride)",
    ("max_pool2d", "valid shape"): "with padding='valid' each side of the output is floor((H - pool) / stride) "
                                   "+ 1: a window that does not fit is dropped",
    ("max_pool2d", "default strides"): "strides=None means strides = pool_size (the windows do not overlap)",
    ("max_pool2d", "padding wins"): "padded cells must never win: pad with -inf (or take the max of "
                                    "the real cells only)",
    ("max_pool2d", "border"): "TensorFlow puts the odd padding row at the bottom/right",
    ("max_pool2d", "non-square"): "pool_size and strides may be pairs (rows, cols): use the first for the "
                                  "height, the second for the width",
    ("max_pool2d", "axes"): "each axis has its own numbers (images need not be square; pool_size and strides "
                            "may be pairs): rows use H, pool_size[0] and strides[0]; columns use W, pool_size[1] "
                            "and strides[1]",
    ("avg_pool2d", "same shape"): "with padding='same' each side of the output is ceil(H / stride)",
    ("avg_pool2d", "valid shape"): "with padding='valid' each side of the output is floor((H - pool) / stride) "
                                   "+ 1: a window that does not fit is dropped",
    ("avg_pool2d", "default strides"): "strides=None means strides = pool_size (the windows do not overlap)",
    ("avg_pool2d", "counts padding"): "divide by the number of real cells in each window, not by the "
                                      "window size",
    ("avg_pool2d", "border"): "TensorFlow puts the odd padding row at the bottom/right",
    ("avg_pool2d", "non-square"): "pool_size and strides may be pairs (rows, cols): use the first for the "
                                  "height, the second for the width",
    ("avg_pool2d", "axes"): "each axis has its own numbers (images need not be square; pool_size and strides "
                            "may be pairs): rows use H, pool_size[0] and strides[0]; columns use W, pool_size[1] "
                            "and strides[1]",
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
}
# Mistakes that give the same output on a case: one hint that is right for each of them.
# ("axes" states the whole per-axis rule, so it is right for every one-axis-for-both mistake.)
COMBINED = {frozenset({"border", "total k-1"}): "same rule",
            **{frozenset(keys): "axes" for keys in (("non-square", "one stride"), ("non-square", "axes"),
                                                    ("one stride", "axes"), ("non-square", "one stride", "axes"))}}


def _f64(value):
    return np.asarray(value, dtype=np.float64)


def _matches(got, alternative, scale):
    return got is not None and np.shape(got) == np.shape(alternative) and tolerance.allclose(got, alternative, scale)


def _one(keys):
    """The hint key when the reproduced mistakes agree on one hint, else None (ambiguous or none)."""
    keys = frozenset(keys)
    if len(keys) == 1:
        return next(iter(keys))
    return COMBINED.get(keys)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _window_and_strides(function, case):
    if function == "conv2d":
        window = case.args[1].shape[:2]
        strides = case.kwargs.get("strides", 1)
    else:
        window = case.kwargs.get("pool_size", 2)
        strides = case.kwargs.get("strides") or window
    return _pair(window), _pair(strides)


def _same_total(size, k, s):
    return max((math.ceil(size / s) - 1) * s + k - size, 0)


def _same_pads(function, case, swap=False):
    """TensorFlow's 'same' padding ((top, bottom), (left, right)); ``swap`` puts the odd cell first."""
    window, strides = _window_and_strides(function, case)
    pads = []
    for size, k, s in zip(case.args[0].shape[1:3], window, strides):
        total = _same_total(size, k, s)
        small, large = total // 2, total - total // 2
        pads.append((large, small) if swap else (small, large))
    return pads


def _k_minus_1_pads(function, case):
    """'same' as PyTorch habit has it: total padding KH - 1 whatever the stride."""
    window, _ = _window_and_strides(function, case)
    return [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in window]


def _padded_by_hand(function, case, pads, fill=0.0, crop=True):
    """``function`` with 'same' replaced by explicit ``pads`` filled with ``fill`` (a student's version).

    ``crop`` keeps TensorFlow's output size ceil(H / stride) (a student who sizes the output by
    the rule but pads differently)."""
    window, strides = _window_and_strides(function, case)
    x = _f64(case.args[0])
    xp = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill)
    if function == "conv2d":
        bias = case.kwargs.get("bias")
        out = reference.conv2d(xp, _f64(case.args[1]), None if bias is None else _f64(bias), strides)
    elif function == "max_pool2d":
        out = reference.max_pool2d(xp, window, strides)
    else:
        ones = np.pad(np.ones_like(x), ((0, 0), *pads, (0, 0)))
        out = reference.avg_pool2d(xp, window, strides) / reference.avg_pool2d(ones, window, strides)
    if crop:
        out = out[:, :math.ceil(x.shape[1] / strides[0]), :math.ceil(x.shape[2] / strides[1])]
    return out


def _padding_mistakes(function, case, got, scale):
    """The 'same' padding mistakes that reproduce ``got``."""
    if case.kwargs.get("padding") != "same":
        return set()
    fill = -np.inf if function == "max_pool2d" else 0.0
    found = set()
    if _matches(got, _padded_by_hand(function, case, _same_pads(function, case, swap=True), fill), scale):
        found.add("border")
    if function == "conv2d" and _matches(got, _padded_by_hand(function, case, _k_minus_1_pads(function, case)),
                                         scale):
        found.add("total k-1")
    if function == "max_pool2d" and _matches(got, _padded_by_hand(function, case, _same_pads(function, case)),
                                             scale):
        found.add("padding wins")
    if function == "avg_pool2d":
        window, strides = _window_and_strides(function, case)
        zero_padded = np.pad(_f64(case.args[0]), ((0, 0), *_same_pads(function, case), (0, 0)))
        if _matches(got, reference.avg_pool2d(zero_padded, window, strides), scale):
            found.add("counts padding")
    return found


def _right_size(size, k, s, padding):
    return (size - k) // s + 1 if padding == "valid" else math.ceil(size / s)


# Output-size slips, each a formula for one axis that a student applies to both axes.
SIZE_SLIPS = {
    "valid": [("strides ignored", lambda n, k, s: n - k + 1),
              ("valid shape", lambda n, k, s: (n - k) // s),
              ("valid shape", lambda n, k, s: (n - k) // s + 2),
              ("valid shape", lambda n, k, s: math.ceil((n - k) / s) + 1),
              ("valid shape", lambda n, k, s: (n - k + 1) // s),
              ("valid shape", lambda n, k, s: n // s)],
    "same": [("strides ignored", lambda n, k, s: n),
             ("same shape", lambda n, k, s: n // s),
             ("same shape", lambda n, k, s: (n - 1) // s),
             ("padding ignored", lambda n, k, s: (n - k) // s + 1)],
}


def _shape_mistakes(function, case, got_shape, expected_shape):
    """The shape slips whose output size is exactly ``got_shape`` (batch and channels right)."""
    if len(got_shape) != 4:
        return {"rank"} if function == "conv2d" else set()
    if got_shape[0] != expected_shape[0] or got_shape[3] != expected_shape[3]:
        return set()
    padding = case.kwargs.get("padding", "valid")
    window, strides = _window_and_strides(function, case)
    sizes = case.args[0].shape[1:3]
    got = tuple(got_shape[1:3])

    def gives(formula, steps=strides):
        return got == tuple(formula(n, k, s) for n, k, s in zip(sizes, window, steps))

    found = {key for key, formula in SIZE_SLIPS[padding] if gives(formula)}
    if function != "conv2d":
        found.discard("strides ignored")
        if case.kwargs.get("strides") is None and gives(lambda n, k, s: _right_size(n, k, 1, padding)):
            found.add("default strides")  # strides=None read as 1
    if strides[0] != strides[1] and gives(lambda n, k, s: _right_size(n, k, s, padding), strides[::-1]):
        found.add("strides swapped" if function == "conv2d" else "non-square")
    return found | _one_axis_mistakes(function, padding, sizes, window, strides, got)


AXIS_NUMBERS = ("size", "window", "stride")  # H or W; the kernel's or the pool's side; the stride


def _one_axis_key(function, borrowed):
    """The hint that is right for a student who used one axis's ``borrowed`` numbers for both axes."""
    if function == "conv2d":
        if borrowed == {"stride"}:
            return "one stride"
        # sizes and kernel sides only, or the whole output size copied (ow = oh): "use W and kernel.shape[1]"
        return "non-square" if "stride" not in borrowed or len(borrowed) == 3 else "axes"
    return "non-square" if "size" not in borrowed else "axes"  # pools: "pool_size and strides may be pairs"


def _one_axis_mistakes(function, padding, sizes, window, strides, got):
    """Hint keys of the "one axis's numbers used for both" mistakes whose output size is ``got``.

    Each mistake takes some of (size, window, stride) from one axis for both; a number that is the
    same on both axes is no mistake on this case. Different mistakes can give the same size
    (row stride for both vs the row's whole output size for both, on a 7x8 image with strides
    (2, 1)): each gives its own key, so ``_one`` returns their hint when they agree, the whole
    per-axis rule ("axes", right for each of them, see ``COMBINED``) when they do not.
    """
    numbers = dict(zip(AXIS_NUMBERS, (tuple(sizes), window, strides)))
    found = set()
    for source in (0, 1):
        for count in (1, 2, 3):
            for borrowed in itertools.combinations(AXIS_NUMBERS, count):
                borrowed = {q for q in borrowed if numbers[q][0] != numbers[q][1]}
                if not borrowed:
                    continue
                axes = [[numbers[q][source if q in borrowed else axis] for q in AXIS_NUMBERS] for axis in (0, 1)]
                if got == tuple(_right_size(n, k, s, padding) for n, k, s in axes):
                    found.add(_one_axis_key(function, borrowed))
    return found


def _diagnose_conv(status, case, got, expected, scale):
    x, kernel = (_f64(a) for a in case.args[:2])
    kwargs = {k: (_f64(v) if isinstance(v, np.ndarray) else v) for k, v in case.kwargs.items()}
    if status == "wrong shape":
        return _one(_shape_mistakes("conv2d", case, got.shape, expected.shape)) if got is not None else None
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    found = _padding_mistakes("conv2d", case, got, scale)
    if _matches(got, reference.conv2d(x, kernel[::-1, ::-1], **kwargs), scale):
        found.add("flipped")
    if kwargs.get("bias") is not None and _matches(got, reference.conv2d(x, kernel, **dict(kwargs, bias=None)),
                                                   scale):
        found.add("no bias")
    if x.shape[3] > 1 and _matches(got, reference.conv2d(x[..., :1], kernel[:, :, :1], **kwargs), scale):
        found.add("channels")
    return _one(found)


def _diagnose_pool(function, status, case, got, expected, scale):
    if status == "wrong shape":
        return _one(_shape_mistakes(function, case, got.shape, expected.shape)) if got is not None else None
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    return _one(_padding_mistakes(function, case, got, scale))


def _diagnose_flatten(status, case, got, expected, scale):
    x = _f64(case.args[0])
    if status == "wrong shape" and got is not None:
        dropped = {(x.size,), (x.size, 1), (1, x.size), x.shape[1:]}
        return "shape" if got.shape in dropped else None
    if status == "wrong values" and got is not None and x.ndim >= 3:
        channels_first = np.moveaxis(x, -1, 1).reshape(x.shape[0], -1)
        if got.shape == channels_first.shape and np.array_equal(got, channels_first):
            return "channels first"
    return None


def _diagnose_cnn(status, case, got, expected, scale):
    if status == "wrong shape":
        n = case.args[0].shape[0]
        classes = case.args[1][3].shape[0]
        return "shape" if got is not None and got.shape in {(classes,), (1, classes), (n * classes,)} else None
    if status != "wrong values" or got is None or got.shape != expected.shape:
        return None
    x = _f64(case.args[0])
    kernel, bias, dense_kernel, dense_bias = (_f64(w) for w in case.args[1])
    feature_map = reference.conv2d(x, kernel, bias)
    logits = reference.dense(reference.flatten(reference.max_pool2d(reference.relu(feature_map), 2)),
                             dense_kernel, dense_bias)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    found = set()
    if not np.isfinite(got).all() and np.array_equal(np.isfinite(got), np.isfinite(naive)):
        found.add("overflow")
    if _matches(got, logits, np.abs(logits) + 1):
        found.add("no softmax")
    no_relu = reference.dense(reference.flatten(reference.max_pool2d(feature_map, 2)), dense_kernel, dense_bias)
    if _matches(got, reference.softmax(no_relu), scale):
        found.add("no relu")
    averaged = reference.dense(reference.flatten(reference.avg_pool2d(reference.relu(feature_map), 2)),
                               dense_kernel, dense_bias)
    if _matches(got, reference.softmax(averaged), scale):
        found.add("avg pool")
    if got.shape[0] > 1:
        shifted = np.exp(logits - logits.max(axis=0))
        if _matches(got, shifted / shifted.sum(axis=0), scale):
            found.add("softmax axis")
    return _one(found)


def diagnose(function, status, case, got, expected, scale):
    """The hint key for a failure, or None: the usual mistake that reproduces the student's output.

    Each candidate mistake is recomputed on the failing case; a key is returned only when the
    reproduced mistakes agree on one hint (see ``COMBINED``). Crashes get the hints their
    exception identifies, in ``autograder.feedback`` (cnn_forward's "crash" hint: shape errors).
    """
    if status == "crashed":
        return None
    # (cnn_forward returns saturated probabilities, where these fingerprints mislead.)
    key = None if function == "cnn_forward" else p.common_symptom(status, case, got, expected, scale)
    if key is not None:
        return key
    try:
        if function == "conv2d":
            return _diagnose_conv(status, case, got, expected, scale)
        if function in ("max_pool2d", "avg_pool2d"):
            return _diagnose_pool(function, status, case, got, expected, scale)
        if function == "flatten":
            return _diagnose_flatten(status, case, got, expected, scale)
        return _diagnose_cnn(status, case, got, expected, scale)
    except (ValueError, TypeError, IndexError):  # a diagnosis that does not apply to this case
        return None


SIGNATURES = {
    "conv2d": "conv2d(x, kernel, bias=None, strides=1, padding='valid')",
    "max_pool2d": "max_pool2d(x, pool_size=2, strides=None, padding='valid')",
    "avg_pool2d": "avg_pool2d(x, pool_size=2, strides=None, padding='valid')",
    "flatten": "flatten(x)",
    "cnn_forward": "cnn_forward(x, weights) with weights = [conv_kernel, conv_bias, dense_kernel, dense_bias]",
}


SUITE = Suite("week09", FUNCTIONS, SUITE_TESTS, diagnose, {**HINTS, **p.COMMON_HINTS}, SIGNATURES)
