"""Named model configurations, as plain data.

Each entry names a builder of `zoo.models` and its keyword arguments, plus
what a user of the trained model needs: input shape, task, class or output
names, data set and parameter count (checked by the tests). `zoo.models`
registers every entry, so `zoo.create_model(name)` builds it and
`zoo.model_info(name)` returns it.

Keys: `description` (one line), `builder`, `kwargs`, `input_shape`,
`task` (`"classification"` or `"regression"`), `dataset`, `params`, and
`num_classes` + `class_names` for classifiers or `num_outputs` +
`output_names` for regressors.
"""

DIGITS = tuple(str(i) for i in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# The initialisation Bai et al.'s TCNs actually train with. Their code
# draws conv weights from N(0, 0.01), but only after `weight_norm` has
# split each weight into g * v / |v|; the forward pass recomputes the
# weight from g and v, so the N(0, 0.01) draw is lost and the convs keep
# PyTorch's default U(+-1/sqrt(fan_in)), i.e. variance 1 / (3 fan_in).
# Measured on the adding problem (T=600, Adam 2e-3, batch 32): with a real
# N(0, 0.01) init the test MSE was still 0.15 (the mean) after 5,000
# steps; with this one it left the plateau after ~2,000 steps and reached
# 1.5e-4 by step 5,000. A config dict keeps the preset plain data.
TCN_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1 / 3, "mode": "fan_in", "distribution": "uniform"},
}
# The default dilations of the TCN builders (`zoo.models.tcn`) too.
TCN_DILATIONS = (1, 2, 4, 8, 16, 32, 64, 128)

MNIST = {
    "input_shape": (28, 28, 1),
    "task": "classification",
    "dataset": "mnist",
    "num_classes": 10,
    "class_names": DIGITS,
}
FASHION = {**MNIST, "dataset": "fashion_mnist", "class_names": FASHION_CLASSES}

PRESETS = {
    "mnist_seed_cnn": {
        **MNIST,
        "description": "The tutorial MNIST CNN (two conv/pool stages, "
        "Dense 64), the zoo's baseline.",
        "builder": "seed_cnn",
        "kwargs": {},
        "params": 121_930,
    },
    "mnist_cnn": {
        **MNIST,
        "description": "VGG-style digit CNN (32-64-128, batch norm, "
        "dropout, global average pooling).",
        "builder": "plain_cnn",
        "kwargs": {
            "widths": (32, 64, 128),
            "convs_per_block": 2,
            "batch_norm": True,
            "dropout_rate": 0.1,
            "head": "gap",
            "dense_units": (),
            "head_dropout_rate": 0.3,
        },
        "params": 289_066,
    },
    "mnist_mobilenet_v1": {
        **MNIST,
        "description": "MobileNet-v1-style digit classifier, "
        "depthwise-separable blocks at width 0.25.",
        "builder": "mobilenet_v1_style",
        "kwargs": {"alpha": 0.25, "dropout_rate": 0.1},
        "params": 220_970,
    },
    "mnist_dilated_cnn": {
        **MNIST,
        "description": "Dilated digit CNN, hybrid dilations (1, 2, 5) with "
        "reflection padding and no pooling inside blocks.",
        "builder": "dilated_cnn",
        "kwargs": {
            "widths": (32, 64),
            "dilation_rates": (1, 2, 5),
            "padding": "reflect",
            "dropout_rate": 0.2,
        },
        "params": 112_682,
    },
    "fashion_cnn": {
        **FASHION,
        "description": "VGG-style Fashion-MNIST CNN (32-64, batch norm, "
        "dropout, Dense 128 head).",
        "builder": "plain_cnn",
        "kwargs": {
            "widths": (32, 64),
            "convs_per_block": 2,
            "batch_norm": True,
            # Light dropout: the flips and crops of `--augment` regularise
            # too; 0.25 / 0.5 learned ~3x slower in a 3-epoch trial.
            "dropout_rate": 0.1,
            "head": "flatten",
            "dense_units": (128,),
            "head_dropout_rate": 0.3,
        },
        "params": 468_394,
    },
    "fashion_cnn_wide": {
        **FASHION,
        "description": "Wider VGG-style Fashion-MNIST CNN (64-128-256, "
        "batch norm, dropout, global average pooling).",
        "builder": "plain_cnn",
        "kwargs": {
            "widths": (64, 128, 256),
            "convs_per_block": 2,
            "batch_norm": True,
            "dropout_rate": 0.2,
            "head": "gap",
            "dense_units": (),
            "head_dropout_rate": 0.3,
        },
        "params": 1_149_514,
    },
    "fashion_mobilenet_v1": {
        **FASHION,
        "description": "MobileNet-v1-style Fashion-MNIST classifier at "
        "width 0.5.",
        "builder": "mobilenet_v1_style",
        "kwargs": {"alpha": 0.5, "dropout_rate": 0.2},
        "params": 834_378,
    },
    "fashion_mobilenet_v2": {
        **FASHION,
        "description": "MobileNet-v2-style Fashion-MNIST classifier "
        "(inverted residuals, width 0.5, 640-channel head).",
        "builder": "mobilenet_v2_style",
        "kwargs": {"alpha": 0.5, "head_filters": 640, "dropout_rate": 0.2},
        "params": 607_386,
    },
    "seqmnist_tcn": {
        **MNIST,
        "input_shape": (784, 1),
        "dataset": "sequential_mnist",
        "description": "TCN on sequential MNIST (784 pixels, one per step): "
        "kernel 7, 8 levels, 25 channels (Bai et al. 2018).",
        "builder": "tcn_classifier",
        "kwargs": {
            "nb_filters": 25,
            "kernel_size": 7,
            "dilations": TCN_DILATIONS,
            "dropout_rate": 0.05,
            "kernel_initializer": TCN_INIT,
            "use_weight_norm": True,
        },
        "params": 66_910,
    },
    "mnist1d_tcn": {
        **MNIST,
        "input_shape": (40, 1),
        "dataset": "mnist1d",
        "description": "Causal TCN on MNIST-1D (40-step signals): kernel 5, "
        "dilations 1-8, 32 channels.",
        "builder": "tcn_classifier",
        "kwargs": {
            "nb_filters": 32,
            "kernel_size": 5,
            "dilations": (1, 2, 4, 8),
            "dropout_rate": 0.1,
            "input_scale": 1.0,
        },
        "params": 36_650,
    },
    "adding_tcn": {
        "input_shape": (600, 2),
        "task": "regression",
        "dataset": "adding_problem",
        "num_outputs": 1,
        "output_names": ("sum",),
        "description": "TCN for the adding problem (T=600): kernel 8, "
        "8 levels, 24 channels (Bai et al. 2018).",
        "builder": "tcn_regressor",
        "kwargs": {
            "nb_filters": 24,
            "kernel_size": 8,
            "dilations": TCN_DILATIONS,
            "kernel_initializer": TCN_INIT,
            "use_weight_norm": True,
        },
        "params": 70_369,
    },
}
