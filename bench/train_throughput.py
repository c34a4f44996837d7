"""Benchmark: training throughput of zoo-train's pipeline vs the tutorial.

The tutorial trains the seed CNN with `model.fit(x, y, batch_size=128)` on
numpy arrays. zoo-train feeds the same network from `training.data`
(tf.data, cached in memory, prefetched) and compiles it with zoo-train's
own `make_optimizer` / `compile_model`, from a zoo-train command line, so
every option measured here is a flag of the tool:

- `--batch-size 512 --lr 0.004`: 4x the batch with the learning rate
  scaled by the same factor (the linear scaling rule);
- `--mixed-precision`: `mixed_bfloat16`, which CPUs with AVX512-BF16 (and
  TPUs, recent GPUs) run faster than float32;
- `--jit-compile`: XLA;
- `--steps-per-execution 8`: eight steps per compiled call.

Both sides train on the same images, one epoch per sample, measured in the
same process and interleaved (A B, B A, ...). The test accuracy after all
the timed epochs is reported next to the speed, so a faster setting that
learns worse shows. Run it with `python -m bench.train_throughput
[--quick]`; results go to `bench/results/train_throughput_<backend>.*`.
"""

import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from bench import common  # noqa: E402
from bench.registry import Unavailable  # noqa: E402

GOAL = 2.0
MODEL = "mnist_seed_cnn"  # the tutorial network (builder `seed_cnn`)
TUTORIAL = "tutorial: model.fit(numpy), batch 128"

# zoo-train flags of the faster setups: a 4x batch takes a 4x learning
# rate (linear scaling), then bfloat16 on top.
BATCH_512 = ["--batch-size", "512", "--lr", "4e-3"]
BATCH_512_BF16 = BATCH_512 + ["--mixed-precision"]

FULL = {
    "data": "fashion_mnist",
    "limit": None,  # all 60,000 training images
    "test_limit": None,
    "repeats": 3,
    "warmup": 1,
    "configs": {
        "zoo-train, batch 128": [],
        "zoo-train, batch 512, lr x4": BATCH_512,
        "zoo-train, batch 512, lr x4, bf16": BATCH_512_BF16,
        "zoo-train, batch 512, lr x4, bf16, jit": BATCH_512_BF16
        + ["--jit-compile"],
        "zoo-train, batch 512, lr x4, bf16, 8 steps/execution": BATCH_512_BF16
        + ["--steps-per-execution", "8"],
    },
}
QUICK = {
    "data": "mnist",
    "limit": 1024,
    "test_limit": 256,
    "repeats": 1,
    "warmup": 1,
    # One zoo-train setup (the one with most flags) keeps the smoke test
    # to two compilations.
    "configs": {
        "zoo-train, batch 512, lr x4, bf16": BATCH_512_BF16,
    },
}

TABLE_COLUMNS = [
    "setup",
    "batch",
    "images_per_s",
    "epoch_s",
    "speedup",
    "test_accuracy",
]


def tutorial_setup(sizes):
    """The tutorial's script: numpy arrays straight into `model.fit`."""
    import zoo
    from training.data import load_arrays

    x, y = load_arrays(
        sizes["data"], "train", validation_split=0.0, limit=sizes["limit"]
    )
    x_test, y_test = load_arrays(
        sizes["data"], "test", limit=sizes["test_limit"]
    )
    x, x_test = x.astype("float32"), x_test.astype("float32")
    model = zoo.create_model(MODEL)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    def train_epoch():
        model.fit(x, y, batch_size=128, epochs=1, verbose=0)

    def test_accuracy():
        return model.evaluate(x_test, y_test, verbose=0, return_dict=True)[
            "accuracy"
        ]

    return {
        "batch": 128,
        "num_images": len(x),
        "train_epoch": train_epoch,
        "test_accuracy": test_accuracy,
    }


def zoo_train_setup(sizes, flags):
    """zoo-train's data and compile for the command line `flags`."""
    from training import train

    argv = ["--model", MODEL, "--data", sizes["data"]]
    argv += ["--validation-split", "0", "--verbose", "0"]
    argv += ["--epochs", str(sizes["warmup"] + sizes["repeats"])]
    if sizes["limit"]:
        argv += ["--limit", str(sizes["limit"])]
    if sizes["test_limit"]:
        argv += ["--test-limit", str(sizes["test_limit"])]
    args = train.build_parser().parse_args(argv + flags)
    bundle = train.load_data(args)
    previous = keras.mixed_precision.global_policy()
    # zoo-train sets the policy for the whole process; here only this
    # model may be built under it.
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = train.build_model(args, bundle.info)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    steps = train._steps_per_epoch(bundle, args)
    optimizer = train.make_optimizer(args.optimizer, args.lr, steps, args)
    train.compile_model(model, optimizer, bundle.info, args)

    def train_epoch():
        model.fit(bundle.train, epochs=1, verbose=0, shuffle=False)

    def test_accuracy():
        return model.evaluate(bundle.test, verbose=0, return_dict=True)[
            "accuracy"
        ]

    return {
        "batch": args.batch_size,
        "num_images": bundle.info["num_train"],
        "train_epoch": train_epoch,
        "test_accuracy": test_accuracy,
    }


def measure(sizes):
    setups = {TUTORIAL: tutorial_setup(sizes)}
    for name, flags in sizes["configs"].items():
        setups[name] = zoo_train_setup(sizes, flags)
    timings = common.time_interleaved(
        {name: setup["train_epoch"] for name, setup in setups.items()},
        repeats=sizes["repeats"],
        warmup=sizes["warmup"],
    )
    rows = []
    for name, setup in setups.items():
        seconds = timings[name]["median_ms"] / 1000.0
        rows.append(
            {
                "setup": name,
                "batch": setup["batch"],
                "images": setup["num_images"],
                "images_per_s": setup["num_images"] / seconds,
                "epoch_s": seconds,
                # Median of per-repeat ratios: robust to load drift.
                "speedup": common.paired_ratio(
                    timings[TUTORIAL], timings[name]
                ),
                "test_accuracy": float(setup["test_accuracy"]()),
                "samples_ms": timings[name]["samples_ms"],
            }
        )
    return rows


def run(quick=False, results_dir=None):
    """Measures every setup and writes `train_throughput_<backend>[_quick]`.

    Args:
        quick: bool. 1,024 MNIST images and one repeat: checks that the
            benchmark works (the smoke test), measures nothing.
        results_dir: folder for the results; see
            `bench.common.resolve_results_dir`.

    Returns:
        A dict with `name`, `rows`, `meta`, `markdown` (the table) and
        `paths` (the written files, as strings).
    """
    from training.data import DataError

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sizes = QUICK if quick else FULL
    started = time.perf_counter()
    try:
        rows = measure(sizes)
    except DataError as err:
        raise Unavailable(str(err)) from None
    backend = keras.backend.backend()
    name = f"train_throughput_{backend}" + ("_quick" if quick else "")
    best = max(rows[1:], key=lambda row: row["speedup"])
    meta = {
        "title": f"Training throughput: zoo-train vs the tutorial ({backend})",
        "notes": (
            f"The seed CNN ({MODEL}) on {sizes['data']}, one epoch of "
            f"{rows[0]['images']:,} images per sample, median of "
            f"{sizes['repeats']} samples after {sizes['warmup']} warm-up "
            "epoch(s), all setups interleaved in one process. `speedup` = "
            "median of the per-repeat tutorial/setup epoch-time ratios; "
            f"goal: >= {GOAL}x. `test_accuracy` after all "
            f"{sizes['warmup'] + sizes['repeats']} epochs. Best: "
            f"{best['setup']} at {best['speedup']:.2f}x. The machine was "
            "shared with other jobs (see the load average): compare "
            "numbers within this table only."
        ),
        "quick": quick,
        "goal": GOAL,
        "sizes": {k: v for k, v in sizes.items() if k != "configs"},
        "configs": sizes["configs"],
        "wall_time_s": round(time.perf_counter() - started, 1),
        **common.machine_info(),
    }
    paths = common.write_results(
        name, rows, meta, results_dir=results_dir, columns=TABLE_COLUMNS
    )
    return common.run_result(name, rows, meta, paths, TABLE_COLUMNS)


def main(argv=None):
    parser = common.benchmark_parser(
        __doc__, quick="1,024 images, 1 repeat", no_progress=None
    )
    args = parser.parse_args(argv)
    common.print_result(run(**common.run_kwargs(args)), notes=True)


if __name__ == "__main__":
    main()
