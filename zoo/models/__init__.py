"""Model builders and the named configurations registered from them.

Every builder returns an uncompiled functional `keras.Model` that takes raw
values (0-255 pixels for images) and rescales them itself, with
deterministic layer names such as `block1_conv` and a final layer named
`"predictions"`. Importing this package registers every entry of
`zoo.models.presets.PRESETS` with `zoo.registry`. `average_ensemble`
packages trained classifiers as one model (`zoo.models.ensemble`).
"""

from zoo.models.cnn import plain_cnn
from zoo.models.cnn import seed_cnn
from zoo.models.dilated import dilated_cnn
from zoo.models.ensemble import average_ensemble
from zoo.models.mobilenet import mobilenet_v1_style
from zoo.models.mobilenet import mobilenet_v2_style
from zoo.models.presets import PRESETS
from zoo.models.tcn import tcn_classifier
from zoo.models.tcn import tcn_regressor
from zoo.registry import register_model

# Builder names as the presets spell them.
BUILDERS = {
    builder.__name__: builder
    for builder in (
        seed_cnn,
        plain_cnn,
        mobilenet_v1_style,
        mobilenet_v2_style,
        dilated_cnn,
        tcn_classifier,
        tcn_regressor,
    )
}

for _name, _preset in PRESETS.items():
    register_model(BUILDERS[_preset["builder"]], name=_name, config=_preset)

__all__ = ["BUILDERS", "PRESETS", "average_ensemble", *sorted(BUILDERS)]
