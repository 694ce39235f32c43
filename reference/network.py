"""The whole small CNN of the lab, layer by layer."""
import contextlib

from .conv import conv2d
from .core import dense, flatten, relu, softmax
from .pooling import max_pool2d


def cnn_forward(x, weights):
    """Class probabilities of Conv2D -> ReLU -> MaxPooling2D(2) -> Flatten -> Dense -> softmax.

    The network is the Keras model::

        Sequential([Input((H, W, C)), Conv2D(filters, (kh, kw), activation="relu"),
                    MaxPooling2D(2), Flatten(), Dense(classes, activation="softmax")])

    Args:
        x: images of shape ``(batch, height, width, channels)``.
        weights: ``[conv_kernel, conv_bias, dense_kernel, dense_bias]`` exactly as
            ``model.get_weights()`` returns them.

    Returns:
        Probabilities of shape ``(batch, classes)``.
    """
    try:
        count = len(weights)
    except TypeError:
        count = None
    if count != 4:
        got = f"{count} items" if count is not None else f"a {type(weights).__name__}"
        raise ValueError(
            "weights must be the 4 arrays [conv_kernel, conv_bias, dense_kernel, dense_bias] "
            f"that model.get_weights() returns, got {got}."
        )
    conv_kernel, conv_bias, dense_kernel, dense_bias = weights
    with _layer("Conv2D (weights[0], weights[1])"):
        h = relu(conv2d(x, conv_kernel, conv_bias))
    with _layer("MaxPooling2D(2)"):
        h = flatten(max_pool2d(h, 2))
    with _layer("Dense (weights[2], weights[3])", "x here is the flattened pooled maps"):
        return softmax(dense(h, dense_kernel, dense_bias))


@contextlib.contextmanager
def _layer(name, note=""):
    """Say which layer of the network a bad argument broke (the messages speak of x and kernel)."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"in the {name} layer of cnn_forward: {err}" + (f" ({note})" if note else "")) from None
