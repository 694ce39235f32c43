"""The whole small CNN of the lab, layer by layer."""
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
    if len(weights) != 4:
        raise ValueError(
            "weights must be [conv_kernel, conv_bias, dense_kernel, dense_bias] "
            f"(model.get_weights()), got {len(weights)} arrays."
        )
    conv_kernel, conv_bias, dense_kernel, dense_bias = weights
    h = relu(conv2d(x, conv_kernel, conv_bias))
    h = flatten(max_pool2d(h, 2))
    return softmax(dense(h, dense_kernel, dense_bias))
