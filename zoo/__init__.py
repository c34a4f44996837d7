"""Keras 3 convolution zoo.

`zoo.layers` holds the custom layers, `zoo.arithmetic` the conv arithmetic
(output sizes, parameters, FLOPs, receptive fields) and `zoo.models` the
model builders behind the registry functions re-exported here.
"""

from zoo import layers
from zoo import models  # registers the named configurations
from zoo.registry import create_model
from zoo.registry import list_models
from zoo.registry import list_pretrained
from zoo.registry import load_pretrained
from zoo.registry import model_info
from zoo.registry import register_model

__version__ = "0.1.0"

__all__ = [
    "create_model",
    "layers",
    "list_models",
    "list_pretrained",
    "load_pretrained",
    "model_info",
    "models",
    "register_model",
]
