"""Conv arithmetic: output sizes, parameters, FLOPs, receptive fields.

The formulas of the convolution tutorials, as code that agrees with the
shapes and weights Keras actually produces:

- `conv_output_size`, `effective_kernel_size`: the size of one axis.
- `receptive_field`: per-layer receptive field, jump and start.
- `has_gridding`, `dilation_coverage`: holes left by dilated stacks.
- `count_flops`, `layer_flops`, `separable_flops`, `layer_params`: costs.
- `layer_table`, `format_table`: all of it as one table (`zoo-describe`).

Example:

>>> from zoo import arithmetic
>>> arithmetic.conv_output_size(28, 5, stride=2, padding=2)
14
"""

from zoo.arithmetic.costs import count_flops
from zoo.arithmetic.costs import layer_flops
from zoo.arithmetic.costs import layer_params
from zoo.arithmetic.costs import separable_flops
from zoo.arithmetic.fields import receptive_field
from zoo.arithmetic.gridding import dilation_coverage
from zoo.arithmetic.gridding import has_gridding
from zoo.arithmetic.sizes import conv_output_size
from zoo.arithmetic.sizes import effective_kernel_size
from zoo.arithmetic.table import format_table
from zoo.arithmetic.table import layer_table

__all__ = [
    "conv_output_size",
    "count_flops",
    "dilation_coverage",
    "effective_kernel_size",
    "format_table",
    "has_gridding",
    "layer_flops",
    "layer_params",
    "layer_table",
    "receptive_field",
    "separable_flops",
]
