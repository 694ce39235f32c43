"""Bad arguments to the reference raise ValueError with a message a student can act on.

Each message must name what is wrong (the argument, the shapes involved) and,
where there is one, the fix; the assertions check those words, not just the type.
"""
import numpy as np
import pytest

from reference import avg_pool2d, cnn_forward, conv2d, dense, flatten, max_pool2d, relu, softmax

X = np.zeros((2, 5, 5, 3))          # (batch, height, width, channels)
KERNEL = np.zeros((3, 3, 3, 4))     # (kh, kw, in_channels, out_channels)
POOLS = [max_pool2d, avg_pool2d]


def _cnn_weights(conv_out=2, features=8, classes=3):
    """Weights for a 6x6x1 input: 3x3 conv -> 4x4 -> pool -> 2x2x2 = 8 features."""
    return [np.zeros((3, 3, 1, conv_out)), np.zeros(conv_out), np.zeros((features, classes)), np.zeros(classes)]


# --- wrong number of dimensions -------------------------------------------------------------

def test_conv2d_image_without_batch_axis():
    with pytest.raises(ValueError, match=r"x must be 4-D .*\(batch, height, width, channels\).*\(5, 5, 3\).*x\[None\]"):
        conv2d(X[0], KERNEL)


def test_conv2d_2d_kernel_says_how_to_add_the_channel_axes():
    with pytest.raises(ValueError, match=r"kernel must be 4-D.*\(3, 3\).*k\[:, :, None, None\]"):
        conv2d(X, np.zeros((3, 3)))


@pytest.mark.parametrize("pool", POOLS)
def test_pooling_needs_4d_input(pool):
    with pytest.raises(ValueError, match=r"x must be 4-D .*got shape \(5, 5\)"):
        pool(np.zeros((5, 5)))


def test_dense_kernel_must_be_2d():
    with pytest.raises(ValueError, match=r"kernel of shape \(in_features, out_features\).*kernel \(3,\)"):
        dense(np.zeros((2, 3)), np.zeros(3))


@pytest.mark.parametrize("fn, what", [(softmax, "the classes"), (flatten, "a batch axis")])
def test_scalars_are_rejected(fn, what):
    with pytest.raises(ValueError, match=f"needs.*{what}.*scalar"):
        fn(3.0)


# --- shapes that do not fit together ---------------------------------------------------------

def test_conv2d_channel_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"x has 3 channels but the kernel expects 2"):
        conv2d(X, np.zeros((3, 3, 2, 4)))


def test_dense_feature_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"x has 3 features but the kernel expects 4 .*\(in_features, out_features\)"):
        dense(np.zeros((2, 3)), np.zeros((4, 2)))


@pytest.mark.parametrize("bias", [np.zeros(3), np.zeros((1, 4)), np.zeros(())])
def test_conv2d_bias_shape(bias):
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\) \(one per output channel\)"):
        conv2d(X, KERNEL, bias)


def test_dense_bias_shape():
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\), got \(3,\)"):
        dense(np.zeros((2, 3)), np.zeros((3, 2)), np.zeros(3))


# --- padding, windows, strides ---------------------------------------------------------------

@pytest.mark.parametrize("padding", ["full", "causal", None, 1])
def test_unknown_padding(padding):
    with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same', got"):
        conv2d(X, KERNEL, padding=padding)
    for pool in POOLS:
        with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same'"):
            pool(X, padding=padding)


def test_padding_is_case_insensitive_like_keras():
    np.testing.assert_array_equal(max_pool2d(X, padding="SAME"), max_pool2d(X, padding="same"))


def test_kernel_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"kernel window \(6 rows\) is larger than the input \(5 rows\).*padding='same'"):
        conv2d(X, np.zeros((6, 3, 3, 4)))


@pytest.mark.parametrize("pool", POOLS)
def test_pool_window_larger_than_valid_input(pool):
    with pytest.raises(ValueError, match=r"pool window \(6 columns\) is larger than the input \(5 columns\)"):
        pool(X, pool_size=(2, 6))


def test_large_window_is_fine_with_same_padding():
    assert conv2d(X, np.zeros((6, 6, 3, 4)), padding="same").shape == (2, 5, 5, 4)


@pytest.mark.parametrize("strides", [0, -1, (1, 0), (2, -2)])
def test_non_positive_stride(strides):
    with pytest.raises(ValueError, match=r"strides must be positive integers .*got"):
        conv2d(X, KERNEL, strides=strides)
    for pool in POOLS:
        with pytest.raises(ValueError, match=r"strides must be positive integers"):
            pool(X, 2, strides)


@pytest.mark.parametrize("strides", [1.5, (1, 2, 3), "2", True])
def test_stride_that_is_not_an_int_or_pair(strides):
    with pytest.raises(ValueError, match=r"strides must be an int or a pair of ints"):
        conv2d(X, KERNEL, strides=strides)


@pytest.mark.parametrize("pool_size", [0, (0, 2)])
def test_non_positive_pool_size(pool_size):
    with pytest.raises(ValueError, match=r"pool_size must be positive integers"):
        max_pool2d(X, pool_size)


# --- values that are not numbers -------------------------------------------------------------

@pytest.mark.parametrize("fn", [relu, softmax, flatten])
def test_strings_are_not_numbers(fn):
    with pytest.raises(ValueError, match=r"x must be an array of numbers, got dtype"):
        fn(np.array([["a", "b"]]))


# --- the whole network ---------------------------------------------------------------------

@pytest.mark.parametrize("weights, got", [(_cnn_weights()[:3], "3 items"), (None, "a NoneType"),
                                          (_cnn_weights() + [np.zeros(1)], "5 items")])
def test_cnn_forward_wrong_number_of_weights(weights, got):
    with pytest.raises(ValueError, match=rf"weights must be the 4 arrays \[conv_kernel, conv_bias, dense_kernel, dense_bias\].*got {got}"):
        cnn_forward(np.zeros((1, 6, 6, 1)), weights)


def test_cnn_forward_names_the_dense_layer_on_a_feature_mismatch():
    with pytest.raises(ValueError, match=r"Dense \(weights\[2\], weights\[3\]\) layer.*8 features but the kernel expects 5"):
        cnn_forward(np.zeros((1, 6, 6, 1)), _cnn_weights(features=5))


def test_cnn_forward_names_the_conv_layer_on_a_channel_mismatch():
    with pytest.raises(ValueError, match=r"Conv2D \(weights\[0\], weights\[1\]\) layer.*x has 2 channels but the kernel expects 1"):
        cnn_forward(np.zeros((1, 6, 6, 2)), _cnn_weights())


def test_cnn_forward_image_too_small_to_pool():
    # 3x3 image, 3x3 kernel -> a 1x1 map, which a 2x2 "valid" pool cannot cover.
    with pytest.raises(ValueError, match=r"MaxPooling2D\(2\) layer.*pool window \(2 rows\) is larger than the input \(1 rows\)"):
        cnn_forward(np.zeros((1, 3, 3, 1)), _cnn_weights(features=2))


def test_messages_are_one_line():
    """Messages reach students as a single line of feedback."""
    for call in [lambda: conv2d(X[0], KERNEL), lambda: cnn_forward(X, None), lambda: max_pool2d(X, 9)]:
        with pytest.raises(ValueError) as info:
            call()
        assert "\n" not in str(info.value)
