"""Section 7: dilated convolution and the gridding effect."""

import numpy as np

from tools.concepts import measure
from tools.concepts.guide import colormap
from tools.concepts.guide import subplots

KERNEL_SNIPPET = """
import numpy as np
from zoo import arithmetic
from zoo.layers import DilatedConv1D

dilated = []
for d in (1, 2, 4, 8):
    conv = DilatedConv1D(1, 3, dilation_rate=d)  # padding="valid"
    y = conv(np.zeros((1, 32, 1), "float32"))
    dilated.append((d, arithmetic.effective_kernel_size(3, d),
                    conv.effective_kernel_size[0], y.shape[1]))
    print(f"d={d}: K_eff={dilated[-1][1]}, output length {y.shape[1]}")
"""

GRIDDING_SNIPPET = """
import keras
from tools.concepts.measure import gradient_support, positive_copy
from zoo.layers import DilatedConv2D

gridding = {}
for dilations in ([2, 2, 2], [1, 2, 5]):
    coverage = arithmetic.dilation_coverage(3, dilations)  # paths per offset
    inputs = keras.Input((32, 32, 1))
    x = inputs
    for d in dilations:
        x = DilatedConv2D(1, 3, dilation_rate=d)(x)
    model = keras.Model(inputs, x)
    middle = model.output.shape[1] // 2
    pixels = np.random.default_rng(0).uniform(0.1, 1, (1, 32, 32, 1))
    support = gradient_support(
        positive_copy(model), pixels.astype("float32"), (0, middle, middle)
    )
    gridding[str(dilations)] = {
        "dilations": dilations,
        "coverage": coverage,
        "has_gridding": arithmetic.has_gridding(3, dilations),
        "rf": arithmetic.receptive_field(model)[-1]["rf"],
        "support": support,
    }
    print(dilations, "RF", len(coverage), "gridding:",
          arithmetic.has_gridding(3, dilations),
          "unreached offsets per axis:", int((coverage == 0).sum()))
"""


def write(guide):
    guide.section("Dilated convolution and gridding")
    guide.text(
        """
        A dilated (atrous) convolution spaces its `k` taps `d` apart: the
        same 3 weights then cover `3, 5, 9, 17` positions for
        `d = 1, 2, 4, 8`. Stacking stride-1 layers adds `(k - 1) d` per
        layer to the receptive field, so exponentially growing dilations
        give an exponentially large field with few layers and no loss of
        resolution (WaveNet, TCNs, DeepLab). The catch is *gridding*: with
        equal dilations (2, 2, 2) every reachable offset is even, so the
        stack never sees the odd pixels of its field, a checkerboard of
        holes. A hybrid schedule such as (1, 2, 5), whose dilations share
        no common factor, reaches every offset (Wang et al., 2018).
        `zoo.arithmetic.dilation_coverage` counts the tap paths to each
        offset, and `has_gridding` says whether any offset gets none.
        """
    )
    guide.formula(
        """
        K_eff = k + (k - 1)(d - 1)
        RF of a stride-1 stack = 1 + sum_l (k_l - 1) d_l
        coverage = comb(d_1) * comb(d_2) * ...   (* = 1-D convolution)
        """
    )
    ns = guide.run(KERNEL_SNIPPET)
    rows = []
    for d, formula, layer_value, length in ns["dilated"]:
        ok_k = guide.check(
            f"K_eff of k=3 d={d} (arithmetic vs layer)", formula, layer_value
        )
        ok_len = guide.check(
            f"valid output length of k=3 d={d} on 32 steps",
            32 - formula + 1,
            length,
        )
        rows.append(
            (d, formula, layer_value, 32 - formula + 1, length)
            + (guide.check_mark(ok_k and ok_len),)
        )
    guide.table(
        (
            "d",
            "K_eff (zoo.arithmetic)",
            "layer.effective_kernel_size",
            "32 - K_eff + 1",
            "Keras length",
            "equal",
        ),
        rows,
    )
    ns = guide.run(GRIDDING_SNIPPET, ns)
    rows = []
    for entry in ns["gridding"].values():
        dilations, coverage = entry["dilations"], entry["coverage"]
        rf_formula = 1 + sum(2 * d for d in dilations)
        covered = np.outer(coverage, coverage) > 0
        support = entry["support"]
        box = measure.bounding_box(support)
        label = f"dilations {dilations}"
        ok = [
            guide.check(
                f"{label}: RF formula vs arithmetic", rf_formula, entry["rf"]
            ),
            guide.check(
                f"{label}: RF formula vs coverage length",
                rf_formula,
                len(coverage),
            ),
            guide.check(
                f"{label}: covered input pixels (coverage vs gradient)",
                int(covered.sum()),
                int(support.sum()),
            ),
            guide.check(
                f"{label}: RF vs measured extent",
                (rf_formula, rf_formula),
                box.shape,
            ),
            guide.check(
                f"{label}: has_gridding vs holes in the measured field",
                entry["has_gridding"],
                bool(not box.all()),
            ),
        ]
        rows.append(
            (
                str(dilations),
                rf_formula,
                entry["rf"],
                entry["has_gridding"],
                int(covered.sum()),
                int(support.sum()),
                guide.check_mark(all(ok)),
            )
        )
    guide.table(
        (
            "dilations",
            "RF 1 + 2 sum(d)",
            "RF zoo.arithmetic",
            "has_gridding",
            "covered pixels (coverage)",
            "covered pixels (gradient)",
            "equal",
        ),
        rows,
    )
    _figure(guide, ns["gridding"])


def _figure(guide, gridding):
    figure, axes = subplots(
        2, len(gridding), figsize=(3.2 * len(gridding), 6.2)
    )
    for col, entry in enumerate(gridding.values()):
        coverage = np.outer(entry["coverage"], entry["coverage"])
        support = entry["support"]
        box = measure.bounding_box(support)
        palette = colormap("viridis").with_extremes(bad="red")
        axes[0, col].imshow(np.ma.masked_equal(coverage, 0), cmap=palette)
        axes[0, col].set_title(
            f"dilations {entry['dilations']}: paths per pixel\n"
            "(red: never reached)",
            fontsize=9,
        )
        axes[1, col].imshow(box, cmap="gray", vmin=0, vmax=1)
        axes[1, col].set_title(
            "measured: non-zero gradient (white)", fontsize=9
        )
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    figure.tight_layout()
    guide.figure(
        figure,
        "07_gridding",
        "Input pixels seen by the centre unit of three stacked 3x3 dilated "
        "convs: (2, 2, 2) leaves a checkerboard of holes, (1, 2, 5) covers "
        "its whole 17x17 field. Top: zoo.arithmetic.dilation_coverage; "
        "bottom: measured with input gradients.",
    )
