"""Keras 3 convolution zoo.

`zoo.layers` holds the custom layers, `zoo.arithmetic` the conv arithmetic
(output sizes, parameters, FLOPs, receptive fields) and `zoo.models` the
model builders behind the registry functions re-exported here.
"""

from zoo import layers

__version__ = "0.1.0"
