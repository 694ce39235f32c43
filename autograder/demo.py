"""``dlgrade demo``: the lecture's worked example through the reference layers."""
import numpy as np

import reference

# CONTRACT section 5: the lecture's 7x7 image and 3x3 feature detector.
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


def add_arguments(parser):
    pass


def _show(title, grid):
    print(title)
    for row in np.asarray(grid):
        print("   " + " ".join(f"{v:g}" for v in row))
    print()


def run(args):
    x = LECTURE_IMAGE[None, :, :, None]
    feature_map = reference.conv2d(x, LECTURE_DETECTOR[:, :, None, None])
    pooled = reference.max_pool2d(feature_map, pool_size=2, strides=2, padding="same")
    _show("Input image (7x7):", LECTURE_IMAGE)
    _show("Feature detector (3x3):", LECTURE_DETECTOR)
    _show("Feature map = conv2d(image, detector), stride 1, 'valid' (5x5):", feature_map[0, :, :, 0])
    print("   (the slide prints 1 in the middle cell; the only 1 under that window meets a 0")
    print("    of the detector, so the computed value 0 is right, and Keras agrees)\n")
    _show("Pooled = max_pool2d(feature map, 2, strides=2, padding='same') (3x3):", pooled[0, :, :, 0])
    return 0
