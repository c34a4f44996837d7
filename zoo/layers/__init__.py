"""Custom Keras 3 convolution layers, registered for `.keras` serialization.

Every layer uses only `keras.ops`, so it runs on the TensorFlow and JAX
backends, and is registered under the package name `zoo`: after
`import zoo`, `keras.models.load_model(path)` needs no `custom_objects`.
"""

from zoo.layers.depthwise_separable_conv2d import DepthwiseSeparableConv2D
from zoo.layers.dilated_conv import CausalConv1D
from zoo.layers.dilated_conv import DilatedConv1D
from zoo.layers.dilated_conv import DilatedConv2D
from zoo.layers.reflection_conv2d import ReflectionConv2D
from zoo.layers.reflection_padding import ReflectionPadding1D
from zoo.layers.reflection_padding import ReflectionPadding2D
from zoo.layers.tcn import TCN
from zoo.layers.tcn_block import TCNBlock

__all__ = [
    "CausalConv1D",
    "DepthwiseSeparableConv2D",
    "DilatedConv1D",
    "DilatedConv2D",
    "ReflectionConv2D",
    "ReflectionPadding1D",
    "ReflectionPadding2D",
    "TCN",
    "TCNBlock",
]
