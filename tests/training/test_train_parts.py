"""The pieces `zoo-train` is assembled from: optimizers, the optimizer
comparison, the model-name check and the run settings."""

import json

import keras
import pytest

from training import experiments
from training import optimizers
from training import train
from training.io_utils import UsageError
from training.train_args import build_parser
from training.train_args import run_settings


def parse(*flags):
    return build_parser().parse_args(
        ["--model", "mnist_seed_cnn", "--data", "mnist", *flags]
    )


@pytest.mark.parametrize(
    "name, cls, momentum",
    [
        ("sgd", keras.optimizers.SGD, 0.0),
        ("momentum", keras.optimizers.SGD, 0.9),
        ("adagrad", keras.optimizers.Adagrad, None),
        ("adam", keras.optimizers.Adam, None),
        ("adamw", keras.optimizers.AdamW, None),
    ],
)
def test_each_optimizer_with_its_default_rate(name, cls, momentum):
    args = parse("--schedule", "none", "--clipnorm", "2")
    optimizer = optimizers.make_optimizer(name, None, 10, args)
    assert type(optimizer) is cls
    assert float(optimizer.learning_rate) == pytest.approx(
        optimizers.DEFAULT_LR[name]
    )
    assert optimizer.clipnorm == 2.0
    if momentum is not None:
        assert optimizer.momentum == momentum
    if name == "adamw":
        assert optimizer.weight_decay == optimizers.DEFAULT_WEIGHT_DECAY


def test_cosine_schedule_warms_up_then_decays():
    args = parse("--epochs", "4", "--warmup-epochs", "1", "--lr", "0.1")
    rate = optimizers.schedule(0.1, 10, args)
    assert float(rate(0)) == 0.0
    assert float(rate(10)) == pytest.approx(0.1)
    assert float(rate(40)) == pytest.approx(0.0, abs=1e-6)


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprop'"):
        optimizers.make_optimizer("rmsprop", None, 10, parse())


def test_compare_optimizers_table_and_files(tmp_path):
    def train_one(name, sub):
        assert sub == tmp_path / name and sub.is_dir()
        score = {"sgd": 0.5, "adam": 0.75}[name]
        history = {"loss": [1.0, 0.5], "val_accuracy": [0.25, score]}
        history["epoch_time_s"] = [3.0, 3.0]
        return history, "val_accuracy", score

    text = experiments.compare_optimizers(
        train_one, tmp_path, "title", names=("sgd", "adam")
    )
    assert text.splitlines() == [
        "| optimizer | learning_rate | loss | val_accuracy | "
        "best_val_accuracy |",
        "|---|---|---|---|---|",
        "| sgd | 0.05 | 0.5 | 0.5 | 0.5 |",
        "| adam | 0.001 | 0.5 | 0.75 | 0.75 |",
    ]
    assert (tmp_path / "optimizers.md").read_text() == text
    runs = json.loads((tmp_path / "optimizers.json").read_text())["runs"]
    assert [run["best_val_accuracy"] for run in runs] == [0.5, 0.75]
    assert (tmp_path / "optimizers.png").stat().st_size > 1000


def test_unknown_model_is_the_registry_answer_as_a_usage_error():
    train.check_model_name("mnist_seed_cnn")
    with pytest.raises(UsageError) as raised:
        train.check_model_name("mnist_seed_cn")
    message = str(raised.value)
    assert message.startswith("unknown model 'mnist_seed_cn'.")
    assert "Did you mean" in message and "'mnist_seed_cnn'" in message
    assert "'fashion_cnn'" in message  # the whole list
    assert message.endswith("(zoo-describe tells them apart).")


def test_settings_leave_out_the_flags_a_resumed_run_may_change():
    settings = run_settings(parse("--verbose", "0", "--out", "x"))
    assert "verbose" not in settings and "out" not in settings
    assert settings["model"] == "mnist_seed_cnn" and settings["epochs"] == 10


def test_plots_draw_files_without_switching_the_matplotlib_backend(tmp_path):
    import subprocess
    import sys

    # A fresh interpreter: importing training.plots and drawing must leave
    # the backend a notebook chose alone (it used to force "Agg").
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "from training import plots; "
        "plots.confusion_matrix([[3, 1], [0, 4]], ['a', 'b'], "
        f"__import__('pathlib').Path({str(tmp_path / 'm.png')!r})); "
        "print(matplotlib.get_backend())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "svg"
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
