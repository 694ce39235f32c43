"""The CNN lecture's worked example (CONTRACT section 5) through the reference.

The expected maps below were worked out by hand (the reasoning is in the
comments) and agree with Keras: ``tests/test_keras_parity.py`` runs the same
image through ``keras.layers.Conv2D`` / ``MaxPooling2D`` (this file stays free of
TensorFlow so it runs in a second).
"""
import numpy as np

from reference import conv2d, max_pool2d

# The lecture's 7x7 picture and 3x3 feature detector, as plain integers.
IMAGE = np.array([
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
])
DETECTOR = np.array([
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 1],
])

# Feature map, by hand: cell (r, c) = sum(IMAGE[r:r+3, c:c+3] * DETECTOR)
# (stride 1, no padding, no kernel flip -> 5x5). The slide prints 1 in the
# middle cell (row 3, column 3, counting from 1); the arithmetic gives 0: the
# window IMAGE[2:5, 2:5] holds a single 1, at its centre, and the detector's
# centre is 0, so every product is 0.
FEATURE_MAP = np.array([
    [0, 1, 0, 0, 0],
    [0, 1, 1, 1, 0],
    [1, 0, 0, 2, 1],
    [1, 4, 2, 1, 0],
    [0, 0, 1, 2, 1],
])

# Pooled map, by hand: 2x2 windows, stride 2, padding "same" -> ceil(5 / 2) = 3
# cells per axis. TensorFlow pads 1 cell in total, at the bottom / right, so the
# windows cover rows {0,1}, {2,3}, {4} and the same columns; the padded cells
# never win. E.g. the top-left window holds 0, 1, 0, 1 -> 1; the bottom-right
# window is the single cell FEATURE_MAP[4, 4] = 1. (The slide's wrong middle 1
# would not change this map: its window also holds the 2.)
POOLED_SAME = np.array([
    [1, 1, 0],
    [4, 2, 1],
    [0, 2, 1],
])


def _nhwc(image):
    return image[None, :, :, None]


def test_feature_map_matches_hand_computation():
    """Integer image and detector give the hand-computed map, middle cell 0 (the slide says 1)."""
    fm = conv2d(_nhwc(IMAGE), DETECTOR[:, :, None, None])
    assert fm.shape == (1, 5, 5, 1)
    assert np.issubdtype(fm.dtype, np.floating)
    np.testing.assert_array_equal(fm[0, :, :, 0], FEATURE_MAP)
    assert fm[0, 2, 2, 0] == 0  # the slide's 1 is a typo: see the comment above FEATURE_MAP


def test_feature_map_agrees_with_the_definition():
    """A second route: the sum of window * detector, cell by cell, as the slide does it."""
    by_loops = np.array([[np.sum(IMAGE[r:r + 3, c:c + 3] * DETECTOR) for c in range(5)] for r in range(5)])
    np.testing.assert_array_equal(by_loops, FEATURE_MAP)


def test_pooled_map_same_padding():
    """2x2 max pooling with stride 2 and "same" padding of the 5x5 map -> the 3x3 map."""
    pooled = max_pool2d(_nhwc(FEATURE_MAP), pool_size=2, strides=2, padding="same")
    assert pooled.shape == (1, 3, 3, 1)
    np.testing.assert_array_equal(pooled[0, :, :, 0], POOLED_SAME)


def test_pooled_map_valid_padding_drops_the_last_row_and_column():
    """With "valid" padding the odd fifth row/column is dropped: the top-left 2x2 of the "same" map."""
    pooled = max_pool2d(_nhwc(FEATURE_MAP), 2, padding="valid")
    np.testing.assert_array_equal(pooled[0, :, :, 0], POOLED_SAME[:2, :2])


def test_nested_lists_work_like_arrays():
    """Students paste the slide's numbers as lists; the reference accepts them."""
    fm = conv2d(_nhwc(IMAGE).tolist(), DETECTOR[:, :, None, None].tolist())
    np.testing.assert_array_equal(fm[0, :, :, 0], FEATURE_MAP)
