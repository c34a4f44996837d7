"""Pictures of what a network computes: feature maps, kernels, Grad-CAM and
saliency.

Colour maps are matplotlib colormap objects applied to numpy arrays; no
pyplot figure is drawn per request (a figure costs tens of milliseconds,
an array lookup well under one).

Grad-CAM and saliency need gradients, which `keras.ops` does not offer, so
`gradient_function` asks the backend for them: `tf.GradientTape` inside a
`tf.function` on TensorFlow, `jax.jit(jax.grad(...))` on JAX (each compiled
once per model: eager JAX gradients took seconds per image) and
`torch.autograd.grad` on PyTorch. Any other backend gets a
`GradientsUnavailable` error whose message the app shows instead of the
two overlays; everything else works everywhere.

Both explain the *logit* of a class (the input of the final softmax) when
the model ends in a softmax `Dense` layer: the gradient of a probability
near 1 is close to 0 and says little.
"""

import math

import keras
import numpy as np
from keras import ops
from matplotlib import colormaps
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

FEATURE_CMAP = "viridis"
KERNEL_CMAP = "RdBu_r"  # blue negative, white 0, red positive
HEAT_CMAP = "jet"
MAX_MAPS = 64


class GradientsUnavailable(RuntimeError):
    """The Keras backend in use has no gradient support in this app."""


def upscale(image, factor):
    """Nearest-neighbour enlargement, so every pixel stays a crisp block."""
    image = np.asarray(image)
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def normalize(values, vmin=None, vmax=None):
    """Maps values linearly to [0, 1]; a flat array becomes zeros."""
    values = np.asarray(values, dtype="float32")
    vmin = float(values.min()) if vmin is None else vmin
    vmax = float(values.max()) if vmax is None else vmax
    if vmax - vmin < 1e-12:
        return np.zeros_like(values)
    return np.clip((values - vmin) / (vmax - vmin), 0.0, 1.0)


def colorize(values, cmap=FEATURE_CMAP, vmin=None, vmax=None):
    """A 2-D array as an RGB uint8 image through a matplotlib colormap."""
    rgba = colormaps[cmap](normalize(values, vmin, vmax))
    return (rgba[..., :3] * 255).astype("uint8")


def gray_image(image, factor=1):
    """A 0-255 grayscale array as RGB uint8, enlarged `factor` times."""
    gray = np.clip(np.asarray(image, dtype="float32"), 0, 255).astype("uint8")
    return upscale(np.stack([gray] * 3, axis=-1), factor)


def tile(images, columns, gap=1, background=255):
    """Arranges same-sized RGB images in a grid with `gap`-pixel gutters."""
    height, width = images[0].shape[:2]
    rows = math.ceil(len(images) / columns)
    grid = np.full(
        (rows * (height + gap) - gap, columns * (width + gap) - gap, 3),
        background,
        dtype="uint8",
    )
    for index, image in enumerate(images):
        top = (index // columns) * (height + gap)
        left = (index % columns) * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid


def feature_map_grid(maps, max_maps=MAX_MAPS, zoom=1):
    """One channel per cell, each scaled to its own range (viridis).

    Args:
        maps: array `(height, width, channels)` of one image's activations.
        max_maps: int. Channels shown at most (the first ones).
        zoom: int. Pixels per activation; the app sends 1 and lets the
            browser enlarge the picture with crisp pixels.

    Returns:
        An RGB uint8 image, maps in a square-ish grid with 1-pixel gaps
        (`zoom` pixels when enlarged).
    """
    maps = np.asarray(maps, dtype="float32")
    channels = min(maps.shape[-1], max_maps)
    columns = math.ceil(math.sqrt(channels))
    cells = [upscale(colorize(maps[..., c]), zoom) for c in range(channels)]
    return tile(cells, columns, gap=zoom)


LABEL_HEIGHT = 12  # pixels of the gutter above each map for its number
BAR_WIDTH = 14


def _text(image, xy, text, fill=(40, 40, 40)):
    draw = ImageDraw.Draw(image)
    draw.text(xy, text, fill=fill, font=ImageFont.load_default(size=10))


def colour_bar(height, top, bottom, cmap=FEATURE_CMAP, caption=None):
    """A vertical colour bar with its end labels (text) written beside it."""
    ramp = np.linspace(1.0, 0.0, height)[:, None].repeat(BAR_WIDTH, axis=1)
    bar = colorize(ramp, cmap, 0.0, 1.0)
    canvas = Image.new("RGB", (BAR_WIDTH + 56, height), "white")
    canvas.paste(Image.fromarray(bar), (0, 0))
    _text(canvas, (BAR_WIDTH + 3, 0), top)
    _text(canvas, (BAR_WIDTH + 3, height - 11), bottom)
    if caption:
        _text(canvas, (BAR_WIDTH + 3, height // 2 - 16), caption)
    return np.asarray(canvas)


def feature_map_figure(maps, shared_scale=False, max_maps=MAX_MAPS):
    """Numbered feature maps with a colour bar, ready for the page.

    Each map is enlarged to at least 48 pixels and gets its channel number
    in a gutter above it (a label never covers a map).

    Args:
        maps: array `(height, width, channels)` of one image's activations.
        shared_scale: bool. One colour scale for every map (compare their
            strength) instead of each map on its own range (see its
            pattern). Defaults to `False`.
        max_maps: int. Channels shown at most (the first ones).

    Returns:
        An RGB uint8 image: the grid, then the colour bar on the right.
    """
    maps = np.asarray(maps, dtype="float32")
    channels = min(maps.shape[-1], max_maps)
    maps = maps[..., :channels]
    zoom = max(1, math.ceil(48 / max(maps.shape[:2])))
    vmin, vmax = (float(maps.min()), float(maps.max()))
    cells = []
    for c in range(channels):
        limits = (vmin, vmax) if shared_scale else (None, None)
        cell = upscale(colorize(maps[..., c], FEATURE_CMAP, *limits), zoom)
        labelled = Image.new(
            "RGB", (cell.shape[1], cell.shape[0] + LABEL_HEIGHT), "white"
        )
        labelled.paste(Image.fromarray(cell), (0, LABEL_HEIGHT))
        _text(labelled, (1, 0), str(c + 1))
        cells.append(np.asarray(labelled))
    grid = tile(cells, math.ceil(math.sqrt(channels)), gap=3)
    if shared_scale:
        bar = colour_bar(grid.shape[0], f"{vmax:.3g}", f"{vmin:.3g}")
    else:
        caption = "each map\non its own\nscale"
        bar = colour_bar(grid.shape[0], "max", "min", caption=caption)
    gap = np.full((grid.shape[0], 8, 3), 255, "uint8")
    return np.concatenate([grid, gap, bar], axis=1)


# Layers whose output is worth looking at: what a conv computes, what a
# pooling keeps and what an activation lets through. Batch norm, dropout,
# rescaling and padding outputs look like their input.
_SHOWN_TYPES = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.PReLU,
    keras.layers.Add,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)


def layers_worth_seeing(model):
    """Names of the conv, pooling and activation layers with 4-D outputs."""
    names = []
    for layer in model.layers:
        try:
            rank = len(layer.output.shape)
        except (AttributeError, ValueError):
            continue
        shown = isinstance(layer, _SHOWN_TYPES)
        if rank == 4 and (shown or _kernel_tensor(layer) is not None):
            names.append(layer.name)
    return names


def _kernel_tensor(layer):
    for attribute in ("conv_kernel", "kernel", "depthwise_kernel"):
        kernel = getattr(layer, attribute, None)
        if kernel is not None and len(kernel.shape) == 4:
            return kernel
    return None


def conv_kernel(layer):
    """The 4-D kernel a conv layer applies as numpy, or `None` for other
    layers.

    Zoo layers with weight normalisation expose the normalised kernel as
    `conv_kernel`; depthwise layers call theirs `depthwise_kernel`.
    """
    kernel = _kernel_tensor(layer)
    if kernel is None:
        return None
    # A variable's `.value` is the backend tensor itself.
    return np.asarray(ops.convert_to_numpy(getattr(kernel, "value", kernel)))


def first_conv_layer(model):
    """The first layer with a 2-D convolution kernel, or `None`."""
    for layer in model.layers:
        if _kernel_tensor(layer) is not None:
            return layer
    return None


def kernel_grid(kernel, zoom=1):
    """A conv kernel's filters side by side on one symmetric colour scale.

    Args:
        kernel: array `(kh, kw, in_channels, filters)`; the input channels
            are averaged (MNIST models have one).
        zoom: int. Pixels per weight.

    Returns:
        An RGB uint8 image, 8 filters per row: blue negative, white zero,
        red positive weights, on dark gutters (white already means 0).
    """
    kernel = np.asarray(kernel, dtype="float32").mean(axis=2)
    limit = float(np.abs(kernel).max()) or 1.0
    filters = kernel.shape[-1]
    cells = [
        upscale(colorize(kernel[..., f], KERNEL_CMAP, -limit, limit), zoom)
        for f in range(filters)
    ]
    return tile(cells, min(filters, 8), gap=zoom, background=60)


def gradient_function(score):
    """Compiles `x, class_index -> d score(x, class_index) / dx`.

    Args:
        score: function of a batch tensor and an int32 class index
            returning a scalar tensor.

    Returns:
        A function of a numpy batch and an int returning a numpy array.

    Raises:
        GradientsUnavailable: on backends other than TensorFlow, JAX and
            PyTorch.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def compiled(x, class_index):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = score(x, class_index)
            return tape.gradient(y, x)

    elif backend == "jax":
        import jax

        compiled = jax.jit(jax.grad(score))
    elif backend == "torch":
        import torch

        def compiled(x, class_index):
            x = x.detach().requires_grad_(True)
            (gradient,) = torch.autograd.grad(score(x, class_index), x)
            return gradient

    else:
        raise GradientsUnavailable(
            f"Grad-CAM and saliency need gradients, which this app computes "
            f"with TensorFlow, JAX or PyTorch; the Keras backend is "
            f"{backend!r}. Start the app with KERAS_BACKEND=tensorflow, "
            f"jax or torch."
        )

    def run(x, class_index):
        x = ops.convert_to_tensor(np.asarray(x, dtype="float32"))
        index = ops.convert_to_tensor(class_index, dtype="int32")
        return ops.convert_to_numpy(compiled(x, index))

    return run


def _class_score(model_tail, final_layer):
    """A function of the tail's input and a class returning its logit.

    `model_tail` maps some tensor to the input of `final_layer`; when that
    layer is a softmax `Dense`, the logit is rebuilt from its weights,
    otherwise the log-probability is used.
    """
    softmax_dense = isinstance(final_layer, keras.layers.Dense) and (
        keras.activations.serialize(final_layer.activation) == "softmax"
    )

    def score(x, class_index):
        features = model_tail(x, training=False)
        if softmax_dense:
            logits = ops.matmul(features, final_layer.kernel)
            if final_layer.use_bias:
                logits = logits + final_layer.bias
            return ops.take(logits[0], class_index)
        probabilities = final_layer(features, training=False)
        return ops.log(ops.take(probabilities[0], class_index) + 1e-12)

    return score


def grad_cam_layer(model):
    """The last conv layer, Grad-CAM's usual target, or the last layer with
    an image-shaped output when no conv output feeds the head alone."""
    spatial = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
        and len(layer.output.shape) == 4
    ]
    convs = [layer for layer in spatial if _kernel_tensor(layer) is not None]
    for layer in (convs[-1:] if convs else []) + spatial[::-1]:
        try:
            keras.Model(layer.output, model.layers[-1].input)
        except ValueError:
            continue  # a skip connection bypasses it: not a cut of the graph
        return layer
    return None


class Explainer:
    """Grad-CAM and saliency for one classifier, with its sub-models built
    once.

    Args:
        model: functional `keras.Model` ending in a classification layer.
    """

    def __init__(self, model):
        self.model = model
        self.final_layer = model.layers[-1]
        self.layer = grad_cam_layer(model)
        input_tail = keras.Model(model.inputs, self.final_layer.input)
        self._saliency_gradient = gradient_function(
            _class_score(input_tail, self.final_layer)
        )
        if self.layer is not None:
            self.body = keras.Model(model.inputs, self.layer.output)
            head_tail = keras.Model(self.layer.output, self.final_layer.input)
            self._cam_gradient = gradient_function(
                _class_score(head_tail, self.final_layer)
            )

    def grad_cam(self, batch, class_index):
        """Grad-CAM heat map (input height x width, values in [0, 1]).

        Reference:
            - [Selvaraju et al., Grad-CAM, 2017](
              https://arxiv.org/abs/1610.02391)
        """
        if self.layer is None:
            raise GradientsUnavailable(
                f"Model {self.model.name!r} has no image-shaped layer for "
                "Grad-CAM."
            )
        activations = np.asarray(self.body.predict_on_batch(batch))
        grads = self._cam_gradient(activations, class_index)
        weights = grads.mean(axis=(1, 2), keepdims=True)
        cam = np.maximum((activations * weights).sum(axis=-1)[0], 0.0)
        height, width = batch.shape[1:3]
        resized = Image.fromarray(cam.astype("float32"), mode="F").resize(
            (width, height), Image.Resampling.BILINEAR
        )
        return normalize(np.asarray(resized), vmin=0.0)

    def saliency(self, batch, class_index):
        """|d logit / d pixel| (input height x width, values in [0, 1]).

        Reference:
            - [Simonyan et al., Deep Inside Convolutional Networks, 2014](
              https://arxiv.org/abs/1312.6034)
        """
        grads = self._saliency_gradient(batch, class_index)
        return normalize(np.abs(grads[0]).max(axis=-1), vmin=0.0)


def overlay(gray, heat, factor=1, alpha=0.5, cmap=HEAT_CMAP):
    """A heat map in [0, 1] blended over a grayscale 0-255 image."""
    base = gray_image(gray).astype("float32")
    colour = colorize(heat, cmap, 0.0, 1.0).astype("float32")
    mix = (1 - alpha) * base + alpha * colour
    return upscale(np.clip(mix, 0, 255).astype("uint8"), factor)
