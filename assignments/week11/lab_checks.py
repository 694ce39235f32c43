"""Public checks for the week 8 and week 9 labs: ``grader.check("conv2d")`` runs these.

Each check tests *properties* a correct layer must have (the lecture's worked
example, output sizes, linearity, cropping, equivariance, ...), so it needs no
reference answer and gives no solution away. A failure raises ``AssertionError``
with one sentence saying what went wrong. The hidden grading is done separately
by ``dlgrade grade``, which compares with Keras on many more inputs.

Needs only NumPy and Hypothesis. The examples are small, few and fixed
(derandomized), so each check takes a fraction of a second.

This file is written once in ``solutions/`` and copied into each lab by
``dlgrade build``; edit it there.
"""
import math
import pathlib
import sys
import traceback

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

def _no_local_constants():
    """Hypothesis (6.131+) caches literals of the student's modules under ./.hypothesis and may
    draw them: turn that off, so the checks write nothing into the lab folder and stay fixed."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty


_no_local_constants()

# ---------------------------------------------------------------- the lab's set-up cell

MIN_PYTHON = (3, 11)       # NumPy 2.4 and this lab's Hypothesis need it (otter-grader 7 needs 3.10)
GRADER_NUMPY = "2.4.6"     # the NumPy that grades (pyproject.toml pins it); requirements.txt asks for 2.4.x


def start_lab(notebook):
    """The notebook's ``grader``: checks Python, NumPy and the lab's files, then starts otter.

    Raises one clear error when the Python is too old or the lab's files are not next to the
    notebook (say ``grader.check`` run from another folder), and warns when the NumPy differs
    from the grader's major.minor (code that works under NumPy 1 may fail under NumPy 2). The
    otter ``Notebook`` it returns writes no ``.OTTER_LOG``: the lab folder stays as handed out.
    """
    if sys.version_info < MIN_PYTHON:
        raise RuntimeError(f"this lab needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; this notebook runs "
                           f"Python {sys.version.split()[0]}: install a newer Python, then "
                           "pip install -r requirements.txt")
    folder = pathlib.Path(__file__).resolve().parent
    missing = [name for name in (notebook, "tests") if not (folder / name).exists()]
    if missing or pathlib.Path.cwd().resolve() != folder:
        raise RuntimeError(f"open {notebook} from its lab folder ({folder}), next to lab_checks.py, tests/ and the "
                           f"data file; {'missing there: ' + ', '.join(missing) if missing else 'this notebook runs in '}"
                           f"{'' if missing else pathlib.Path.cwd()}")
    if np.__version__.split(".")[:2] != GRADER_NUMPY.split(".")[:2]:
        print(f"Warning: your NumPy is {np.__version__}, the grader runs NumPy {GRADER_NUMPY}: code that works here "
              "may fail there (NumPy 2 changed some rules). Run pip install -r requirements.txt in this folder.")
    import otter

    class QuietNotebook(otter.Notebook):
        """otter's Notebook without its event log file."""

        def _log_event(self, *args, **kwargs):
            pass

    return QuietNotebook(str(folder / notebook), tests_dir=str(folder / "tests"))


# Small, fixed and quiet: the same examples on every run, no example database on
# the student's disk, and only our one-sentence message when something fails.
SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    report_multiple_bugs=False,
    verbosity=Verbosity.quiet,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)

# The lecture's 7x7 image and 3x3 feature detector (CNN lecture, Step 1).
LECTURE_IMAGE = np.array([
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
])
LECTURE_DETECTOR = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 1]])
# The feature map, computed by hand window by window. The slide prints the middle
# cell (row 3, column 3) as 1, but its window holds a single 1 (image row 3,
# column 3), which meets the detector's middle 0: the sum is 0.
LECTURE_FEATURE_MAP = np.array([
    [0, 1, 0, 0, 0],
    [0, 1, 1, 1, 0],
    [1, 0, 0, 2, 1],
    [1, 4, 2, 1, 0],
    [0, 0, 1, 2, 1],
])
# 2x2 max pooling with stride 2, by hand: 'valid' keeps the four full windows,
# 'same' adds a last row/column of half windows (as on the slide).
LECTURE_MAX_VALID = np.array([[1, 1], [4, 2]])
LECTURE_MAX_SAME = np.array([[1, 1, 0], [4, 2, 1], [0, 2, 1]])
# 2x2 average pooling, by hand: (0+1+0+1)/4, (0+0+1+1)/4, (1+0+1+4)/4, (0+2+2+1)/4
# (the last window holds the computed middle 0, not the slide's 1).
LECTURE_AVG_VALID = np.array([[0.5, 0.5], [1.5, 1.25]])


def _nhwc(image):
    """A 2-D picture as a batch of one single-channel image, (1, H, W, 1)."""
    return np.asarray(image)[None, :, :, None]


# ---------------------------------------------------------------- calling safely

def _describe(args, kwargs):
    """'x of shape (1, 5, 5, 1), strides=2' -- what a failing call was given."""
    def one(value):
        if isinstance(value, np.ndarray):
            return f"shape {value.shape}"
        if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
            return "[" + ", ".join(one(v) for v in value) + "]"
        return repr(value)
    parts = [f"argument {i + 1} of {one(a)}" for i, a in enumerate(args)]
    parts += [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _arrays_in(value):
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays_in(v)]
    return []


def call(fn, name, *args, **kwargs):
    """Call the student's ``fn``; turn stubs, crashes, non-arrays and modified
    inputs into one clear sentence (``AssertionError``)."""
    if fn is None:
        raise AssertionError(f"{name} is not defined yet: run the cell that defines it.")
    inputs = _arrays_in(list(args) + list(kwargs.values()))
    before = [a.copy() for a in inputs]
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        out = None
    except Exception as exc:  # the student's bug, reported in one line
        raise AssertionError(
            f"{name}({_describe(args, kwargs)}) raised {type(exc).__name__}: {exc}{_your_line(exc)}"
        ) from None
    if out is None or out is Ellipsis:
        raise AssertionError(f"{name} is not implemented yet: replace the ... in its body with your code.")
    if any(a.shape != b.shape or not np.array_equal(a, b, equal_nan=True) for a, b in zip(inputs, before)):
        raise AssertionError(
            f"{name} changed its input arrays in place; build a new array instead "
            "(or work on x.copy())."
        )
    if not isinstance(out, np.ndarray) or not np.issubdtype(out.dtype, np.number):
        raise AssertionError(
            f"{name} returned {type(out).__name__}"
            f"{' of dtype ' + str(out.dtype) if isinstance(out, np.ndarray) else ''}, "
            "expected a NumPy array of numbers."
        )
    return out


def _your_line(exc):
    """' (in your dense, line 2 of cell In[7]: `out = x @ kernel`)': the innermost line outside
    this file and NumPy, with the function and the cell (or file) it is in: a check of
    cnn_forward can fail in the student's dense, defined in another cell."""
    here = pathlib.Path(__file__).resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if pathlib.Path(f.filename).resolve() != here and "numpy" not in pathlib.Path(f.filename).parts]
    if not frames or not frames[-1].line:
        return ""
    frame = frames[-1]
    where = _cell_or_file(frame.filename)
    function = f"in your {frame.name}, " if frame.name.isidentifier() else "in your code, "
    return f" ({function}line {frame.lineno}{' of ' + where if where else ''}: `{frame.line.strip()}`)"


def _cell_or_file(filename):
    """'cell In[7]' for a notebook cell (IPython numbers them as its tracebacks do), else the file's name."""
    try:
        named = get_ipython().compile.format_code_name(filename)  # noqa: F821 (defined only under IPython)
        if named:
            return f"cell {named[1]}"
    except Exception:  # not under IPython, or an IPython without cell names
        pass
    if "ipykernel_" in filename or filename.startswith("<"):
        return "a notebook cell" if "ipykernel_" in filename else ""
    return pathlib.Path(filename).name


def implemented(fn, *args, **kwargs):
    """Whether a helper the check leans on (say your own ``dense``) works yet."""
    try:
        return fn is not None and fn(*args, **kwargs) not in (None, Ellipsis)
    except Exception:
        return False


def expect_shape(name, got, want, why, args=(), kwargs=None):
    if got.shape != tuple(want):
        raise AssertionError(
            f"{name}({_describe(args, kwargs or {})}) returned shape {got.shape}, "
            f"expected {tuple(want)} ({why})."
        )


def expect_close(got, want, sentence, tol=1e-6):
    """``sentence`` says what should hold; the gap found is appended."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{sentence}, but the shapes differ: {got.shape} vs {want.shape}.")
    scale = 1.0 + np.abs(want)
    gap = np.abs(got - want)
    if not np.all(gap <= tol * scale):
        where = np.unravel_index(np.argmax(np.nan_to_num(gap, nan=np.inf)), gap.shape)
        raise AssertionError(
            f"{sentence}, but at index {tuple(int(i) for i in where)} got {got[where]:.6g} "
            f"instead of {want[where]:.6g}."
        )


def run(prop):
    """Run one Hypothesis property with the lab's settings."""
    SETTINGS(prop)()


# ---------------------------------------------------------------- strategies
# Small integer values stored as floats: sums of products stay exact, so the
# properties can demand (almost) exact equality whatever the summation order.

def _ints(draw, shape, lo=-4, hi=4):
    arr = draw(hnp.arrays(np.int8, shape, elements=st.integers(lo, hi)))
    return arr.astype(np.float64)


def _side(draw, lo, hi):
    return draw(st.integers(lo, hi))


@st.composite
def conv_case(draw, padding=None, stride=None):
    """(x, kernel, strides, padding) with a kernel that fits the image."""
    n, c_in, c_out = _side(draw, 1, 2), _side(draw, 1, 3), _side(draw, 1, 3)
    kh, kw = _side(draw, 1, 3), _side(draw, 1, 3)
    h, w = _side(draw, kh, kh + 4), _side(draw, kw, kw + 4)
    sh, sw = (stride, stride) if stride else (_side(draw, 1, 3), _side(draw, 1, 3))
    strides = sh if sh == sw and draw(st.booleans()) else (sh, sw)
    padding = padding or draw(st.sampled_from(["valid", "same"]))
    x = _ints(draw, (n, h, w, c_in))
    kernel = _ints(draw, (kh, kw, c_in, c_out), -2, 2)
    return x, kernel, strides, padding


@st.composite
def pool_case(draw, padding=None):
    """(x, pool_size, strides, padding); strides may be None (= pool_size)."""
    n, c = _side(draw, 1, 2), _side(draw, 1, 3)
    ph, pw = _side(draw, 1, 3), _side(draw, 1, 3)
    pool = ph if ph == pw and draw(st.booleans()) else (ph, pw)
    strides = draw(st.sampled_from([None, 1, 2, (1, 2), (2, 1), 3]))
    h, w = _side(draw, ph, ph + 4), _side(draw, pw, pw + 4)
    padding = padding or draw(st.sampled_from(["valid", "same"]))
    return _ints(draw, (n, h, w, c)), pool, strides, padding


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def out_size(size, window, stride, padding):
    """The output-size formulas of the lecture / Keras, one axis."""
    if padding == "valid":
        return (size - window) // stride + 1
    return math.ceil(size / stride)


def _out_shape(x, window, strides, padding, channels):
    (kh, kw), (sh, sw) = _pair(window), _pair(strides)
    return (x.shape[0], out_size(x.shape[1], kh, sh, padding),
            out_size(x.shape[2], kw, sw, padding), channels)


# ---------------------------------------------------------------- week 8

def check_relu(relu):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 7.5]])
    expect_close(call(relu, "relu", x), [[0, 0, 0, 0.5, 7.5]],
                 "relu([[-2, -0.5, 0, 0.5, 7.5]]) should be [[0, 0, 0, 0.5, 7.5]] (negatives become 0, no upper cap)")

    @given(st.data())
    def same_shape_nonnegative_idempotent(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
        x = _ints(data.draw, shape)
        y = call(relu, "relu", x)
        expect_shape("relu", y, x.shape, "relu works element-wise, so the shape is kept", (x,))
        if np.any(y < 0):
            raise AssertionError(f"relu returned a negative value ({y.min()}) for an input of shape {x.shape}.")
        expect_close(y[x > 0], x[x > 0], "relu should keep positive values unchanged")
        expect_close(call(relu, "relu", y), y, "relu should be idempotent: relu(relu(x)) == relu(x)")

    run(same_shape_nonnegative_idempotent)


def check_dense(dense):
    # By hand: 1*1 + 2*1 + 3*1 = 6 and 1*0 + 2*1 + 3*(-1) = -1; plus the bias.
    x, kernel, bias = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0], [1.0, 1.0], [1.0, -1.0]]), np.array([0.5, 0.0])
    expect_close(call(dense, "dense", x, kernel, bias), [[6.5, -1.0]],
                 "dense([[1, 2, 3]], [[1, 0], [1, 1], [1, -1]], [0.5, 0]) should be [[6.5, -1]]")
    expect_close(call(dense, "dense", x, kernel), [[6.0, -1.0]],
                 "dense without a bias (bias=None) should add nothing")

    @st.composite
    def case(draw):
        n, d_in, d_out = _side(draw, 1, 4), _side(draw, 1, 5), _side(draw, 1, 4)
        return (_ints(draw, (n, d_in)), _ints(draw, (n, d_in)), _ints(draw, (d_in, d_out)),
                _ints(draw, (d_out,)), draw(st.integers(-3, 3)))

    @given(case())
    def shapes_linearity_bias(c):
        x1, x2, kernel, bias, a = c
        y1 = call(dense, "dense", x1, kernel)
        expect_shape("dense", y1, (x1.shape[0], kernel.shape[1]),
                     "(batch, in_features) @ (in_features, out_features) gives (batch, out_features)", (x1, kernel))
        y2 = call(dense, "dense", x2, kernel)
        expect_close(call(dense, "dense", a * x1 + x2, kernel), a * y1 + y2,
                     f"dense should be linear in x: dense({a}*x1 + x2, k) == {a}*dense(x1, k) + dense(x2, k)")
        expect_close(call(dense, "dense", x1, kernel, bias), y1 + bias,
                     "the bias should be added to every row: dense(x, k, b) == dense(x, k) + b")
        eye = np.eye(x1.shape[1])
        expect_close(call(dense, "dense", x1, eye), x1, "dense(x, identity matrix) should return x")

    run(shapes_linearity_bias)


def check_softmax(softmax):
    expect_close(call(softmax, "softmax", np.array([[3.0, 3.0, 3.0, 3.0]])), [[0.25] * 4],
                 "softmax of equal logits should be uniform: [[0.25, 0.25, 0.25, 0.25]]")
    big = call(softmax, "softmax", np.array([[1000.0, 0.0]]))
    if not np.all(np.isfinite(big)):
        raise AssertionError(
            "softmax([[1000, 0]]) overflowed (got inf or nan); subtracting each row's "
            "maximum first gives the same result without overflowing."
        )
    expect_close(big, [[1.0, 0.0]], "softmax([[1000, 0]]) should be [[1, 0]]")

    @given(st.data())
    def rows_sum_to_one_shift_invariant(data):
        shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=5))
        x = _ints(data.draw, shape, -8, 8)
        p = call(softmax, "softmax", x)
        expect_shape("softmax", p, x.shape, "softmax keeps the shape", (x,))
        if np.any(p < 0) or np.any(p > 1):
            raise AssertionError("softmax returned values outside [0, 1]; probabilities must lie in [0, 1].")
        expect_close(p.sum(axis=-1), np.ones(x.shape[:-1]),
                     "each row of softmax (the last axis) should sum to 1")
        c = data.draw(st.integers(-50, 50))
        expect_close(call(softmax, "softmax", x + c), p,
                     f"softmax should not change when a constant is added to the logits: softmax(x + {c}) == softmax(x)")
        if np.any(np.argmax(p, axis=-1) != np.argmax(x, axis=-1)):
            raise AssertionError("softmax should keep the largest logit the most likely class.")

    run(rows_sum_to_one_shift_invariant)


# ---------------------------------------------------------------- week 9

def same_padding(size, window, stride):
    """TensorFlow's 'same' padding of one axis, (before, after): the total depends on the stride,
    and when it is odd the extra cell goes after (bottom/right)."""
    total = max((math.ceil(size / stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _row(values):
    """A 1 x n image, (1, 1, n, 1)."""
    return np.asarray(values, dtype=np.float64)[None, None, :, None]


def _same_rule_by_hand(conv2d):
    """Two rows worked by hand: where the odd padding goes, and that its total depends on the stride."""
    got = call(conv2d, "conv2d", _row([1, 2, 3, 4]), _row([1, 1]).reshape(1, 2, 1, 1), padding="same")
    expect_close(got.reshape(-1), [3, 5, 7, 4],
                 "conv2d of the row [1, 2, 3, 4] with the 1x2 kernel [1, 1] and padding='same' should be "
                 "[3, 5, 7, 4]: the one padding zero goes at the right (bottom/right), not the left ([1, 3, 5, 7])")
    got = call(conv2d, "conv2d", _row([1, 2, 3, 4, 5, 6]), np.ones((1, 3, 1, 1)), strides=2, padding="same")
    expect_close(got.reshape(-1), [6, 12, 11],
                 "conv2d of the row [1, 2, 3, 4, 5, 6] with the kernel [1, 1, 1], strides=2 and padding='same' "
                 "should be [6, 12, 11]: with stride 2 the total padding is (3 - 1) * 2 + 3 - 6 = 1 (it depends on "
                 "the stride), one zero at the right; padding kernel - 1 = 2 zeros, one each side, gives [3, 9, 15]")


def _float_for_integer_images(fn, name, *args, **kwargs):
    """An integer image must give the same numbers as the same image in floats (no rounding)."""
    image = np.array([[1, 2, 0], [3, 3, 1], [0, 1, 4]])
    ints = call(fn, name, _nhwc(image), *args, **kwargs)
    floats = call(fn, name, _nhwc(image.astype(np.float64)), *args, **kwargs)
    expect_close(ints, floats,
                 f"{name} of an integer image (dtype {image.dtype}) should give the same numbers as of the same "
                 "image in floats; build the output as a float array (np.zeros(shape)), not np.zeros_like(x)")


def check_conv2d(conv2d, dense=None):
    got = call(conv2d, "conv2d", _nhwc(LECTURE_IMAGE), LECTURE_DETECTOR[:, :, None, None])
    expect_shape("conv2d", got, (1, 5, 5, 1), "a 3x3 detector on a 7x7 image, stride 1, no padding: 7 - 3 + 1 = 5")
    expect_close(got[0, :, :, 0], LECTURE_FEATURE_MAP,
                 "the lecture's 7x7 image with its 3x3 detector should give the lecture's feature map "
                 "(with 0 in the middle cell: the slide's 1 is a misprint)")

    @given(conv_case())
    def shape_from_formula(c):
        x, kernel, strides, padding = c
        y = call(conv2d, "conv2d", x, kernel, strides=strides, padding=padding)
        rule = "floor((size - kernel) / stride) + 1" if padding == "valid" else "ceil(size / stride)"
        expect_shape("conv2d", y, _out_shape(x, kernel.shape[:2], strides, padding, kernel.shape[3]),
                     f"with padding='{padding}' each side is {rule}; channels = kernel.shape[3]",
                     (x, kernel), {"strides": strides, "padding": padding})

    @given(conv_case(), st.data())
    def linear_in_kernel_and_input_bias_per_channel(c, data):
        x, k1, strides, padding = c
        k2, x2 = _ints(data.draw, k1.shape, -2, 2), _ints(data.draw, x.shape)
        a = data.draw(st.integers(-3, 3))
        kw = dict(strides=strides, padding=padding)
        y = call(conv2d, "conv2d", x, k1, **kw)
        expect_close(call(conv2d, "conv2d", x, a * k1 + k2, **kw), a * y + call(conv2d, "conv2d", x, k2, **kw),
                     f"conv2d should be linear in the kernel: conv2d(x, {a}*k1 + k2) == {a}*conv2d(x, k1) + conv2d(x, k2)")
        expect_close(call(conv2d, "conv2d", a * x + x2, k1, **kw), a * y + call(conv2d, "conv2d", x2, k1, **kw),
                     f"conv2d should be linear in the image: conv2d({a}*x1 + x2, k) == {a}*conv2d(x1, k) + conv2d(x2, k)")
        bias = _ints(data.draw, (k1.shape[3],))
        expect_close(call(conv2d, "conv2d", x, k1, bias, **kw), y + bias,
                     "the bias should add one constant per output channel: conv2d(x, k, b) == conv2d(x, k) + b")

    @given(conv_case(padding="valid", stride=1), st.data())
    def one_hot_kernel_crops(c, data):
        x, kernel, _, _ = c
        kh, kw, c_in, c_out = kernel.shape
        i, j = data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1))
        ci, co = data.draw(st.integers(0, c_in - 1)), data.draw(st.integers(0, c_out - 1))
        one_hot = np.zeros(kernel.shape)
        one_hot[i, j, ci, co] = 1.0
        y = call(conv2d, "conv2d", x, one_hot)
        oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
        want = np.zeros((x.shape[0], oh, ow, c_out))
        want[..., co] = x[:, i:i + oh, j:j + ow, ci]
        expect_close(y, want,
                     f"a {kh}x{kw} kernel with a single 1 at row {i}, column {j} (input channel {ci} -> output "
                     f"channel {co}) should crop the image: output channel {co} == x[:, {i}:{i}+out_h, {j}:{j}+out_w, {ci}] "
                     "(no kernel flip), other channels 0")

    @given(conv_case(padding="valid"), st.data())
    def translation_equivariant(c, data):
        x, kernel, strides, _ = c
        sh, sw = _pair(strides)
        y = call(conv2d, "conv2d", x, kernel, strides=strides)
        a, b = data.draw(st.integers(0, y.shape[1] - 1)), data.draw(st.integers(0, y.shape[2] - 1))
        shifted = call(conv2d, "conv2d", x[:, sh * a:, sw * b:], kernel, strides=strides)
        expect_close(shifted, y[:, a:, b:],
                     f"conv2d should commute with shifts: cutting {sh * a} rows and {sw * b} columns off the image "
                     f"should cut {a} rows and {b} columns off the output (strides={strides})")

    @given(conv_case(padding="same"), st.integers(1, 4), st.integers(1, 4), st.data())
    def same_is_valid_on_the_padded_image(c, kh, kw, data):
        # Any kernel (even ones too) and any strides: 'same' is 'valid' on the image padded by
        # TensorFlow's rule, whose total depends on the stride and whose odd cell goes last.
        x, _, strides, _ = c
        kernel = _ints(data.draw, (kh, kw, x.shape[3], 1), -2, 2)
        (sh, sw), (h, w) = _pair(strides), x.shape[1:3]
        pads = (same_padding(h, kh, sh), same_padding(w, kw, sw))
        framed = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
        expect_close(call(conv2d, "conv2d", x, kernel, strides=strides, padding="same"),
                     call(conv2d, "conv2d", framed, kernel, strides=strides),
                     f"with padding='same', strides={strides} and a {kh}x{kw} kernel on a {h}x{w} image, TensorFlow "
                     f"pads {pads[0][0]} row(s) on top, {pads[0][1]} at the bottom, {pads[1][0]} column(s) on the left "
                     f"and {pads[1][1]} on the right (total = max((ceil(size / stride) - 1) * stride + kernel - size, 0), "
                     "which depends on the stride; the odd one goes at the bottom/right), so conv2d(x, k, "
                     "padding='same') should equal conv2d(the padded image, k, padding='valid')")

    @given(conv_case(padding="valid", stride=1))
    def one_by_one_is_dense_per_pixel(c):
        x, kernel, _, _ = c
        k = kernel[:1, :1]
        n, h, w, c_in = x.shape
        want = call(dense, "dense", x.reshape(n * h * w, c_in), k[0, 0]).reshape(n, h, w, k.shape[3])
        expect_close(call(conv2d, "conv2d", x, k), want,
                     "a 1x1 convolution should apply your dense layer to every pixel's channels")

    _same_rule_by_hand(conv2d)
    for prop in (shape_from_formula, linear_in_kernel_and_input_bias_per_channel, one_hot_kernel_crops,
                 translation_equivariant, same_is_valid_on_the_padded_image):
        run(prop)
    if implemented(dense, np.ones((1, 1)), np.ones((1, 1))):
        run(one_by_one_is_dense_per_pixel)
    _float_for_integer_images(conv2d, "conv2d", np.full((2, 2, 1, 1), 0.5))


def _check_pool(fn, name, other, other_name, lecture_valid, extra):
    """The checks max and average pooling share; ``extra`` is one more property."""
    got = call(fn, name, _nhwc(LECTURE_FEATURE_MAP), 2)
    expect_shape(name, got, (1, 2, 2, 1), "a 2x2 window with stride 2 over 5x5, 'valid': floor((5 - 2) / 2) + 1 = 2")
    expect_close(got[0, :, :, 0], lecture_valid,
                 f"{name} of the lecture's feature map (2x2, stride 2) should be {lecture_valid.tolist()}")

    @given(pool_case())
    def shape_from_formula(c):
        x, pool, strides, padding = c
        y = call(fn, name, x, pool, strides=strides, padding=padding)
        rule = "floor((size - pool) / stride) + 1" if padding == "valid" else "ceil(size / stride)"
        expect_shape(name, y, _out_shape(x, pool, pool if strides is None else strides, padding, x.shape[3]),
                     f"with padding='{padding}' each side is {rule}, strides=None meaning strides=pool_size",
                     (x, pool), {"strides": strides, "padding": padding})

    @given(pool_case(), st.integers(1, 5))
    def constant_stays_constant(c, value):
        x, pool, strides, _ = c
        for v in (value, -value):  # negative too: padded zeros must not win a max
            for padding in ("valid", "same"):
                y = call(fn, name, np.full(x.shape, float(v)), pool, strides=strides, padding=padding)
                expect_close(y, np.full(y.shape, float(v)),
                             f"{name} of an image that is {v} everywhere should be {v} everywhere"
                             + (" (with padding='same' the padded cells must not count)" if padding == "same" else ""))

    @given(pool_case(), st.integers(1, 3), st.integers(-5, 5))
    def scale_and_shift(c, a, b):
        x, pool, strides, padding = c
        kw = dict(strides=strides, padding=padding)
        shift = f"{'+' if b >= 0 else '-'} {abs(b)}"
        expect_close(call(fn, name, a * x + b, pool, **kw), a * call(fn, name, x, pool, **kw) + b,
                     f"{name}({a}*x {shift}) should equal {a}*{name}(x) {shift} with padding='{padding}' "
                     "(pooling picks or averages values)")

    @given(pool_case())
    def max_at_least_average(c):
        x, pool, strides, padding = c
        kw = dict(strides=strides, padding=padding)
        pools = {name: call(fn, name, x, pool, **kw), other_name: call(other, other_name, x, pool, **kw)}
        mx, av = pools["max_pool2d"], pools["avg_pool2d"]
        if mx.shape == av.shape and np.any(mx < av - 1e-9):
            raise AssertionError(
                "max pooling should never be smaller than average pooling over the same windows, "
                f"but max_pool2d < avg_pool2d somewhere for x of shape {x.shape}, pool_size={pool}, "
                f"strides={strides}, padding='{padding}'."
            )

    @given(pool_case(padding="same"))
    def same_is_valid_on_the_padded_image(c):
        x, pool, strides, _ = c
        (ph, pw), (sh, sw) = _pair(pool), _pair(pool if strides is None else strides)
        pads = ((0, 0), same_padding(x.shape[1], ph, sh), same_padding(x.shape[2], pw, sw), (0, 0))
        where = (f"pool_size={pool}, strides={strides} on a {x.shape[1]}x{x.shape[2]} image: TensorFlow pads "
                 f"{pads[1][0]} row(s) on top, {pads[1][1]} at the bottom, {pads[2][0]} column(s) on the left and "
                 f"{pads[2][1]} on the right (the odd one at the bottom/right)")
        same = call(fn, name, x, pool, strides=strides, padding="same")
        if name == "max_pool2d":
            want = call(fn, name, np.pad(x, pads, constant_values=-np.inf), pool, strides=strides)
            rule = "padded with -inf (padded cells never win)"
        else:
            sums = call(fn, name, np.pad(x, pads), pool, strides=strides)
            counts = call(fn, name, np.pad(np.ones(x.shape), pads), pool, strides=strides)
            want = sums / counts
            rule = "padded with zeros, divided by the share of real cells in each window"
        expect_close(same, want, f"with padding='same', {where}; so {name}(x, padding='same') should equal "
                                 f"{name}(the image {rule}, padding='valid')")

    for prop in (shape_from_formula, constant_stays_constant, scale_and_shift, same_is_valid_on_the_padded_image):
        run(prop)
    _float_for_integer_images(fn, name, 2, strides=1)
    _float_for_integer_images(fn, name, 2, padding="same")
    if implemented(other, np.ones((1, 2, 2, 1)), 2):
        run(max_at_least_average)
    run(extra)


def check_max_pool2d(max_pool2d, avg_pool2d=None):
    same = call(max_pool2d, "max_pool2d", _nhwc(LECTURE_FEATURE_MAP), 2, padding="same")
    expect_shape("max_pool2d", same, (1, 3, 3, 1), "'same' padding: ceil(5 / 2) = 3")
    expect_close(same[0, :, :, 0], LECTURE_MAX_SAME,
                 f"max_pool2d of the lecture's feature map with padding='same' should be {LECTURE_MAX_SAME.tolist()}")

    @given(pool_case(padding="valid"))
    def default_strides_and_windows(c):
        x, pool, _, _ = c
        y = call(max_pool2d, "max_pool2d", x, pool)
        expect_close(y, call(max_pool2d, "max_pool2d", x, pool, strides=pool),
                     "strides=None should mean strides=pool_size")
        # Every output is the largest value of its window: no input cell of a
        # window may exceed it. Windows of stride == pool tile the image.
        ph, pw = _pair(pool)
        tiles = x[:, : y.shape[1] * ph, : y.shape[2] * pw]
        up = np.repeat(np.repeat(y, ph, axis=1), pw, axis=2)
        if np.any(tiles > up):
            raise AssertionError(f"max_pool2d returned a value below a cell of its window for pool_size={pool}.")

    _check_pool(max_pool2d, "max_pool2d", avg_pool2d, "avg_pool2d", LECTURE_MAX_VALID,
                default_strides_and_windows)


def check_avg_pool2d(avg_pool2d, max_pool2d=None):
    @given(pool_case(), st.data())
    def linear(c, data):
        x, pool, strides, padding = c
        x2, a = _ints(data.draw, x.shape), data.draw(st.integers(-3, 3))
        kw = dict(strides=strides, padding=padding)
        expect_close(call(avg_pool2d, "avg_pool2d", a * x + x2, pool, **kw),
                     a * call(avg_pool2d, "avg_pool2d", x, pool, **kw) + call(avg_pool2d, "avg_pool2d", x2, pool, **kw),
                     f"avg_pool2d should be linear: avg_pool2d({a}*x1 + x2) == {a}*avg_pool2d(x1) + avg_pool2d(x2)")

    _check_pool(avg_pool2d, "avg_pool2d", max_pool2d, "max_pool2d", LECTURE_AVG_VALID, linear)


def check_flatten(flatten):
    @given(st.data())
    def shape_and_order(data):
        shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=4, max_side=4))
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) - 7
        y = call(flatten, "flatten", x)
        expect_shape("flatten", y, (shape[0], int(np.prod(shape[1:]))),
                     "(batch, ...) becomes (batch, product of the other sides)", (x,))
        first = x[0].reshape(-1, shape[-1])[0] if x.ndim > 2 else x[0, :1]
        expect_close(y[0, : first.size], first,
                     "flatten should start with all channels of pixel (0, 0), then pixel (0, 1), ... (Keras order)")
        expect_close(y[-1, -1], x[-1].max(), "the last value of each row should be the last channel of the last pixel")
        expect_close(np.sort(y, axis=1), np.sort(x.reshape(shape[0], -1), axis=1),
                     "flatten should keep every value of each example, in the same row")

    run(shape_and_order)


def _net(h, w, c_in, filters, k, classes, rng):
    """Weights [conv_kernel, conv_bias, dense_kernel, dense_bias] of the lab's network."""
    features = ((h - k + 1) // 2) * ((w - k + 1) // 2) * filters
    return [rng.integers(-2, 3, (k, k, c_in, filters)).astype(float), rng.integers(-2, 3, filters).astype(float),
            rng.integers(-2, 3, (features, classes)).astype(float) / 8, rng.integers(-2, 3, classes).astype(float)]


def check_cnn_forward(cnn_forward, data_file="digits.npz"):
    rng = np.random.default_rng(9)
    x = rng.integers(0, 4, (3, 6, 7, 2)).astype(float)
    weights = _net(6, 7, 2, 3, 3, 4, rng)
    p = call(cnn_forward, "cnn_forward", x, weights)
    expect_shape("cnn_forward", p, (3, 4), "one row of class probabilities per image", (x, weights))
    expect_close(p.sum(axis=1), np.ones(3), "each row of cnn_forward should sum to 1 (the last layer is softmax)")
    expect_close(call(cnn_forward, "cnn_forward", x[1:2], weights), p[1:2],
                 "cnn_forward should treat each image on its own: cnn_forward(x[1:2]) == cnn_forward(x)[1:2]")

    # ReLU: a negative detector on a non-negative image gives only negative sums,
    # which ReLU turns into 0, so only the dense bias is left: softmax(log p) = p.
    dead = [-np.abs(weights[0]) - 1, np.zeros(3), weights[2], np.log(np.array([0.1, 0.2, 0.3, 0.4]))]
    expect_close(call(cnn_forward, "cnn_forward", x + 1, dead), np.tile([0.1, 0.2, 0.3, 0.4], (3, 1)),
                 "with a convolution that is negative everywhere, ReLU should leave zeros and the "
                 "output should be softmax(dense_bias)")

    # Max pooling: a 1x1 detector of weight 1 passes the image through; the dense
    # layer reads only the first pooled cell, so class 0's logit is the largest
    # value m of the top-left 2x2 window and p0 = 1 / (1 + exp(-m)).
    img = rng.integers(0, 3, (2, 4, 4, 1)).astype(float)
    kernel = np.zeros((4, 2))
    kernel[0, 0] = 1.0
    probe = [np.ones((1, 1, 1, 1)), np.zeros(1), kernel, np.zeros(2)]
    m = img[:, :2, :2, 0].max(axis=(1, 2))
    expect_close(call(cnn_forward, "cnn_forward", img, probe)[:, 0], 1 / (1 + np.exp(-m)),
                 "the network should max-pool 2x2 windows after the convolution and ReLU")

    path = pathlib.Path(data_file)
    if path.exists():  # the lab's trained network on the bundled digits
        with np.load(path) as data:
            # the first 100 test digits keep the check quick even for loop-by-loop code
            images, labels = data["images"][:100] / 16.0, data["labels"][:100]
            trained = [data[k] for k in ("conv_kernel", "conv_bias", "dense_kernel", "dense_bias")]
        probs = call(cnn_forward, "cnn_forward", images[..., None], trained)
        accuracy = float(np.mean(probs.argmax(axis=1) == labels))
        if accuracy < 0.9:
            raise AssertionError(
                f"with the trained weights, cnn_forward classifies only {accuracy:.0%} of the first 100 test "
                "digits correctly (Keras gets them all); check the order of the layers."
            )


CHECKS = {
    "relu": check_relu, "dense": check_dense, "softmax": check_softmax,
    "conv2d": check_conv2d, "max_pool2d": check_max_pool2d, "avg_pool2d": check_avg_pool2d,
    "flatten": check_flatten, "cnn_forward": check_cnn_forward,
}


# ================================================================ weeks 10 and 11: recurrent layers
# Sequences are batch-major, as in Keras: x is (batch, time steps, features). Each check tests
# properties any correct layer has: the lab's worked example (numbers you can check on paper),
# shapes, one step = the cell, causality (a state depends only on the steps so far), the state
# carried through initial_state, each sequence on its own, and gates read off special weights.

# The worked example: one feature, one unit, x = 1, 0, -1, kernel 0.5, recurrent kernel 0.5, no bias.
#   h1 = tanh(0.5 * 1 + 0.5 * 0)      = tanh(0.5)     = 0.46212
#   h2 = tanh(0.5 * 0 + 0.5 * 0.46212) = tanh(0.23106) = 0.22704
#   h3 = tanh(0.5 * -1 + 0.5 * 0.22704) = tanh(-0.38648) = -0.36835
WORKED_X = np.array([[[1.0], [0.0], [-1.0]]])
WORKED_KERNEL, WORKED_RECURRENT = np.array([[0.5]]), np.array([[0.5]])
WORKED_STATES = np.array([0.46212, 0.22704, -0.36835])
RNN_WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")


@st.composite
def sequence_case(draw, gates=1, bias_rows=1):
    """(x, kernel, recurrent_kernel, bias) with small weights: x (N, T, D), kernel (D, gates*U)."""
    n, t, d, u = _side(draw, 1, 3), _side(draw, 1, 4), _side(draw, 1, 3), _side(draw, 1, 3)
    x = _ints(draw, (n, t, d), -2, 2) / 2
    kernel = _ints(draw, (d, gates * u), -2, 2) / 4
    recurrent_kernel = _ints(draw, (u, gates * u), -2, 2) / 4
    bias = _ints(draw, (gates * u,) if bias_rows == 1 else (2, gates * u), -2, 2) / 4
    return x, kernel, recurrent_kernel, bias


def _check_sequence_layer(fn, name, case, state_of=None):
    """Shapes, return_sequences, causality, each sequence on its own, and the state carried."""
    x, kernel, recurrent_kernel, bias = case
    n, t, _ = x.shape
    units = recurrent_kernel.shape[0]
    last = call(fn, name, x, kernel, recurrent_kernel, bias)
    expect_shape(name, last, (n, units), "the last state: one row of units per sequence", (x, kernel, recurrent_kernel))
    every = call(fn, name, x, kernel, recurrent_kernel, bias, return_sequences=True)
    expect_shape(name, every, (n, t, units), "return_sequences=True gives every state: (batch, time steps, units)",
                 (x, kernel, recurrent_kernel), {"return_sequences": True})
    expect_close(every[:, -1], last, f"{name}(..., return_sequences=True)[:, -1] should be the last state "
                 f"{name}(...) returns")
    if t > 1:
        expect_close(call(fn, name, x[:, :-1], kernel, recurrent_kernel, bias, return_sequences=True), every[:, :-1],
                     f"{name} should be causal: the states of x[:, :-1] are the first T - 1 states of x "
                     "(x is (batch, time steps, features); step over x[:, t])")
    if n > 1:
        expect_close(call(fn, name, x[-1:], kernel, recurrent_kernel, bias), last[-1:],
                     f"{name} should treat each sequence on its own: {name}(x[-1:]) == {name}(x)[-1:]")
    zeros = np.zeros((n, units))
    start = (zeros, zeros) if name == "lstm" else zeros
    expect_close(call(fn, name, x, kernel, recurrent_kernel, bias, initial_state=start), last,
                 f"{name} with an initial state of zeros should equal {name} with initial_state=None")
    if state_of is not None and t > 1:  # the state after k steps, fed back as initial_state, carries on
        k = t // 2
        middle = call(fn, name, x[:, :k], kernel, recurrent_kernel, bias)
        expect_close(call(fn, name, x[:, k:], kernel, recurrent_kernel, bias, initial_state=state_of(middle)), last,
                     f"running {name} on x[:, :k], then on x[:, k:] from initial_state = that last state, should "
                     f"equal {name}(x): carry the state from step to step, and start from initial_state")


def check_simple_rnn_cell(simple_rnn_cell):
    h = np.zeros((1, 1))
    for t, want in enumerate(WORKED_STATES):
        h = call(simple_rnn_cell, "simple_rnn_cell", WORKED_X[:, t], h, WORKED_KERNEL, WORKED_RECURRENT)
        expect_shape("simple_rnn_cell", h, (1, 1), "the new state is (batch, units)")
        expect_close(h[0, 0], want, f"step {t + 1} of the worked example (x = 1, 0, -1, kernel 0.5, recurrent "
                     f"kernel 0.5, no bias) should give h{t + 1} = {want}", tol=1e-4)

    @given(sequence_case())
    def which_matrix_meets_which_input(c):
        x, kernel, recurrent_kernel, bias = c
        x_t, h_prev = x[:, 0], np.tanh(x[:, -1, :1] + np.zeros((1, recurrent_kernel.shape[0])))
        args = (x_t, h_prev, kernel, recurrent_kernel)
        h = call(simple_rnn_cell, "simple_rnn_cell", *args, bias)
        expect_shape("simple_rnn_cell", h, h_prev.shape, "x_t (N, D) @ kernel (D, U) + h_prev (N, U) @ "
                     "recurrent_kernel (U, U) gives (N, U)", args)
        expect_close(call(simple_rnn_cell, "simple_rnn_cell", x_t, h_prev, kernel, 0 * recurrent_kernel),
                     np.tanh(x_t @ kernel), "with recurrent_kernel = 0 and no bias the cell is tanh(x_t @ kernel)")
        expect_close(call(simple_rnn_cell, "simple_rnn_cell", 0 * x_t, h_prev, kernel, recurrent_kernel, bias),
                     np.tanh(h_prev @ recurrent_kernel + bias),
                     "with x_t = 0 the cell is tanh(h_prev @ recurrent_kernel + bias)")
        if np.any(np.abs(h) >= 1):
            raise AssertionError("simple_rnn_cell returned a value outside (-1, 1): the activation is tanh.")

    run(which_matrix_meets_which_input)


def check_simple_rnn(simple_rnn):
    every = call(simple_rnn, "simple_rnn", WORKED_X, WORKED_KERNEL, WORKED_RECURRENT, return_sequences=True)
    expect_shape("simple_rnn", every, (1, 3, 1), "1 sequence, 3 time steps, 1 unit", (WORKED_X,),
                 {"return_sequences": True})
    expect_close(every[0, :, 0], WORKED_STATES, "the worked example (x = 1, 0, -1, kernel 0.5, recurrent kernel 0.5) "
                 f"should give the states {WORKED_STATES.tolist()}", tol=1e-4)

    @given(sequence_case())
    def layer_properties(c):
        _check_sequence_layer(simple_rnn, "simple_rnn", c, state_of=lambda h: h)

    run(layer_properties)


def _check_classifier(fn, name, recurrent, gates, data_file):
    rng = np.random.default_rng(10)
    x = rng.integers(-2, 3, (3, 4, 2)) / 2
    units, classes = 3, 4
    weights = [rng.integers(-2, 3, (2, gates * units)) / 4, rng.integers(-2, 3, (units, gates * units)) / 4,
               rng.integers(-2, 3, gates * units) / 4, rng.integers(-2, 3, (units, classes)) / 2,
               rng.integers(-2, 3, classes) / 2]
    p = call(fn, name, x, weights)
    expect_shape(name, p, (3, classes), "one row of class probabilities per sequence", (x, weights))
    expect_close(p.sum(axis=1), np.ones(3), f"each row of {name} should sum to 1 (the last layer is softmax)")
    expect_close(call(fn, name, x[1:2], weights), p[1:2],
                 f"{name} should treat each sequence on its own: {name}(x[1:2]) == {name}(x)[1:2]")
    # The Dense layer reads the LAST state: with recurrent_kernel = 0 (and an LSTM's forget gate
    # shut) that state depends on the last time step only, so the earlier steps change nothing.
    no_memory = weights[2].copy()
    if gates == 4:
        no_memory[units:2 * units] = -40.0
    still = [weights[0], 0 * weights[1], no_memory, *weights[3:]]
    changed = x.copy()
    changed[:, :-1] = rng.integers(-2, 3, changed[:, :-1].shape) / 2
    expect_close(call(fn, name, changed, still), call(fn, name, x, still),
                 f"with recurrent_kernel = 0{' and the forget gate shut' if gates == 4 else ''}, {name} should "
                 f"depend only on the last time step: the Dense layer reads the last state of the {recurrent} layer")
    path = pathlib.Path(data_file)
    if path.exists():
        with np.load(path) as data:
            if not set(RNN_WEIGHT_NAMES) <= set(data.files):
                return
            # the first 100 test digits, each read as 8 time steps (its rows) of 8 pixels
            images, wanted = data["images"][:100] / 16.0, data["keras_predicted"][:100]
            trained = [data[k] for k in RNN_WEIGHT_NAMES]
        predicted = call(fn, name, images, trained).argmax(axis=1)
        agree = int(np.sum(predicted == wanted))
        if agree < 99:
            raise AssertionError(f"with the trained weights, {name} agrees with Keras on only {agree} of the first "
                                 "100 test digits (Keras's own predictions are in digits.npz); check the order of "
                                 "the layers and which state the Dense layer reads.")


def check_rnn_forward(rnn_forward, data_file="digits.npz"):
    _check_classifier(rnn_forward, "rnn_forward", "SimpleRNN", 1, data_file)


def check_lstm(lstm):
    def one(x, bias, initial_state=None, return_sequences=False):
        d, u = x.shape[2], bias.shape[0] // 4
        return call(lstm, "lstm", x, np.zeros((d, 4 * u)), np.zeros((u, 4 * u)), bias,
                    return_sequences=return_sequences, initial_state=initial_state)

    # Zero weights: every gate is sigmoid(its bias). Gates in Keras's order i, f, c, o.
    # A large bias on block 2 (the candidate c): c1 = sigmoid(0) * 0 + sigmoid(0) * tanh(20) = 0.5,
    # h1 = sigmoid(0) * tanh(0.5) = 0.23106; then c2 = 0.5 * 0.5 + 0.5 = 0.75, h2 = 0.5 * tanh(0.75) = 0.31754.
    x = np.zeros((1, 2, 1))
    bias = np.array([0.0, 0.0, 20.0, 0.0])
    states = one(x, bias, return_sequences=True)
    expect_shape("lstm", states, (1, 2, 1), "return_sequences=True gives every h: (batch, time steps, units)",
                 (x,), {"return_sequences": True})
    expect_close(states[0, :, 0], [0.23106, 0.31754],
                 "with zero weights and bias [0, 0, 20, 0] (gates i, f, c, o: only the candidate c is large) the "
                 "states should be h1 = 0.5 * tanh(0.5) = 0.23106, h2 = 0.5 * tanh(0.75) = 0.31754 (c1 = 0.5, "
                 "c2 = 0.75; the output is h, not c)", tol=1e-4)
    # initial_state is (h0, c0): with zero weights h0 changes nothing and c1 = 0.5 * c0.
    got = one(np.zeros((1, 1, 1)), np.zeros(4), initial_state=(np.zeros((1, 1)), np.full((1, 1), 2.0)))
    expect_close(got[0, 0], 0.5 * np.tanh(1.0), "with zero weights and initial_state = (h0, c0) = (0, 2), h1 should "
                 "be sigmoid(0) * tanh(sigmoid(0) * 2) = 0.38080: initial_state is (h0, c0), in that order", tol=1e-4)
    # The forget gate (block 1) closed: c1 = i * g only, so c0 is forgotten.
    got = one(np.zeros((1, 1, 1)), np.array([0.0, -40.0, 0.0, 0.0]), initial_state=(np.zeros((1, 1)), np.ones((1, 1))))
    expect_close(got[0, 0], 0.0, "with the forget gate shut (bias -40 on block 1, the gates being i, f, c, o) "
                 "the cell state c0 should be forgotten, so h1 = 0", tol=1e-6)

    @given(sequence_case(gates=4))
    def layer_properties(c):
        _check_sequence_layer(lstm, "lstm", c)

    run(layer_properties)


def check_gru(gru):
    def one(x, bias, recurrent_kernel=None, initial_state=None, return_sequences=False):
        d, u = x.shape[2], bias.shape[1] // 3
        rk = np.zeros((u, 3 * u)) if recurrent_kernel is None else recurrent_kernel
        return call(gru, "gru", x, np.zeros((d, 3 * u)), rk, bias, return_sequences=return_sequences,
                    initial_state=initial_state)

    # Zero weights, bias rows [input bias, recurrent bias], gates in Keras's order z, r, h.
    # z = sigmoid(log 3) = 0.75 keeps 75% of the old state: h1 = 0.75 * 0.8 + 0.25 * tanh(0) = 0.6.
    bias = np.zeros((2, 3))
    bias[0, 0] = np.log(3.0)
    got = one(np.zeros((1, 2, 1)), bias, initial_state=np.full((1, 1), 0.8), return_sequences=True)
    expect_shape("gru", got, (1, 2, 1), "return_sequences=True gives every state: (batch, time steps, units)",
                 (np.zeros((1, 2, 1)),), {"return_sequences": True})
    expect_close(got[0, :, 0], [0.6, 0.45], "with zero weights, update gate z = sigmoid(log 3) = 0.75 (block 0 of "
                 "z, r, h) and h0 = 0.8, the states should be 0.75 * 0.8 = 0.6, then 0.45: h = z * h_prev + "
                 "(1 - z) * candidate", tol=1e-6)
    # Reset after the recurrent product: z shut (bias -40), r = sigmoid(0) = 0.5, recurrent bias 1 on
    # the candidate: candidate = tanh(0 + r * (h0 @ 0 + 1)) = tanh(0.5) = 0.46212 (not tanh(1)).
    bias = np.zeros((2, 3))
    bias[0, 0], bias[1, 2] = -40.0, 1.0
    got = one(np.zeros((1, 1, 1)), bias, initial_state=np.full((1, 1), 0.3))
    expect_close(got[0, 0], np.tanh(0.5), "with z shut, r = 0.5 and a recurrent bias of 1 on the candidate, h1 "
                 "should be tanh(r * (h0 @ U_h + 1)) = tanh(0.5) = 0.46212: the reset gate multiplies the recurrent "
                 "term after its bias (reset_after=True)", tol=1e-6)

    @given(sequence_case(gates=3, bias_rows=2))
    def layer_properties(c):
        _check_sequence_layer(gru, "gru", c, state_of=lambda h: h)

    run(layer_properties)


def check_lstm_forward(lstm_forward, data_file="digits.npz"):
    _check_classifier(lstm_forward, "lstm_forward", "LSTM", 4, data_file)


CHECKS.update({
    "simple_rnn_cell": check_simple_rnn_cell, "simple_rnn": check_simple_rnn, "rnn_forward": check_rnn_forward,
    "lstm": check_lstm, "gru": check_gru, "lstm_forward": check_lstm_forward,
})
