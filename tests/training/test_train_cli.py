"""`zoo-train` end to end on tiny subsets: artefacts, model card, resume
after `kill -9`, distribution strategies, the optimizer comparison and the
one-line errors."""

import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import types

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from tests.conftest import ROOT
from tests.training.cli_utils import TINY
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import data_dir
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import run_subprocess
from training import train
from training.data import load_arrays
from training.io_utils import UsageError
from zoo.saving import load_model


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def new_file_mode(folder):
    """The mode this process gives a file it creates with `open`."""
    probe = folder / "probe.txt"
    probe.write_text("x")
    mode = probe.stat().st_mode & 0o777
    probe.unlink()
    return mode


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    """One tiny zoo-train run of the tutorial CNN on real MNIST digits."""
    data = data_dir()
    out = tmp_path_factory.mktemp("cnn") / "run"
    argv = ["--model", "mnist_seed_cnn", "--data", "mnist", *TINY]
    argv += ["--out", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_DATA_DIR", str(data))
        assert train.main(argv) == 0
    return out, argv


def test_cnn_run_writes_every_artefact(cnn_run):
    out, _ = cnn_run
    name = "mnist_seed_cnn"
    for file in (
        f"{name}.keras",
        f"{name}.json",
        f"{name}.md",
        f"{name}_curves.png",
        f"{name}_confusion.png",
        "history.csv",
    ):
        assert (out / file).is_file(), file
    for png in out.glob("*.png"):
        with Image.open(png) as image:
            assert image.format == "PNG" and min(image.size) > 100
    for split in ("train", "validation"):
        assert list((out / "logs" / split).glob("events.out.tfevents*"))
    rows = read_csv(out / "history.csv")
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    # A finished run keeps no backup and no half-written temporary file.
    assert not (out / "backup").exists()
    assert not list(out.glob(".*"))
    # Atomic saves must not leave the artefacts private (mkstemp's 0600).
    mode = new_file_mode(out.parent)
    assert (out / f"{name}.keras").stat().st_mode & 0o777 == mode


def test_cnn_card_holds_measured_facts(cnn_run):
    out, argv = cnn_run
    card = json.loads((out / "mnist_seed_cnn.json").read_text())
    model = load_model(out / "mnist_seed_cnn.keras")

    assert card["name"] == card["model"] == "mnist_seed_cnn"
    assert (
        card["description"] == zoo.model_info("mnist_seed_cnn")["description"]
    )
    assert "MNIST" in card["dataset_description"]
    assert card["dataset"] == "mnist" and card["task"] == "classification"
    assert card["params"] == model.count_params()
    assert isinstance(card["flops"], int) and card["flops"] > card["params"]
    assert card["train_command"] == "zoo-train " + shlex.join(argv)
    assert card["versions"]["keras"] == keras.__version__
    assert card["versions"]["backend"] == keras.backend.backend()
    assert card["hardware"] and card["date"]
    assert card["wall_time_s"] > 0 and card["train_time_s"] > 0
    assert card["epochs_run"] == 2
    assert re.fullmatch(r"[0-9a-f]{64}", card["data_fingerprint"])
    assert (card["num_train"], card["num_val"], card["num_test"]) == (
        270,
        30,
        100,
    )
    assert card["hyperparameters"]["optimizer"] == "adam"
    metrics = card["metrics"]
    assert metrics["test_examples"] == 100
    for key, value in metrics.items():
        if key != "test_examples":
            assert 0.0 <= value <= 1.0, key
    assert len(card["per_class"]) == 10
    assert sum(row["support"] for row in card["per_class"]) == 100

    # The accuracy is measured on the real test digits: recompute it.
    x, y = load_arrays("mnist", "test", limit=100)
    predicted = np.argmax(model.predict(x.astype("float32"), verbose=0), 1)
    assert metrics["test_accuracy"] == pytest.approx(np.mean(predicted == y))

    markdown = (out / "mnist_seed_cnn.md").read_text()
    assert card["description"] in markdown
    assert card["train_command"] in markdown
    assert "![Confusion matrix](mnist_seed_cnn_confusion.png)" in markdown


def test_rerun_of_finished_run_only_evaluates(cnn_run, capsys):
    out, argv = cnn_run
    history = (out / "history.csv").read_bytes()
    wall_time = json.loads((out / "mnist_seed_cnn.json").read_text())[
        "wall_time_s"
    ]

    code, stdout, _ = run_in_process("zoo-train", train.main, argv, capsys)

    assert code == 0
    assert "already holds this finished run" in stdout
    assert (out / "history.csv").read_bytes() == history
    card = json.loads((out / "mnist_seed_cnn.json").read_text())
    assert card["wall_time_s"] == wall_time


def test_tcn_regression_run(tmp_path, capsys):
    # adding_tcn is registered for T=600; zoo-train rebuilds it for T=64.
    out = tmp_path / "tcn"
    argv = ["--model", "adding_tcn", "--data", "adding:64", *TINY]
    code, stdout, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(out)], capsys
    )

    assert code == 0, stderr
    card = json.loads((out / "adding_tcn.json").read_text())
    model = load_model(out / "adding_tcn.keras")
    assert model.input_shape == (None, 64, 2)
    assert card["input_shape"] == [64, 2]
    assert card["task"] == "regression"
    assert card["description"] == zoo.model_info("adding_tcn")["description"]
    assert card["params"] == model.count_params()
    assert set(card["metrics"]) == {"test_mse", "test_mae", "test_examples"}
    assert card["metrics"]["test_mse"] >= 0
    assert card["metrics"]["test_mae"] >= 0
    assert card["metrics"]["test_examples"] == 100
    assert (out / "adding_tcn_curves.png").is_file()
    assert not (out / "adding_tcn_confusion.png").exists()
    assert "mae" in read_csv(out / "history.csv")[0]


@pytest.mark.large  # four training runs
def test_compare_optimizers_draws_one_plot(tmp_path, datasets_dir, capsys):
    out = tmp_path / "compare"
    argv = [
        "--model",
        "mnist_seed_cnn",
        "--data",
        "mnist",
        "--compare-optimizers",
        "--epochs",
        "2",
        "--max-steps",
        "2",
        "--batch-size",
        "32",
        "--limit",
        "200",
        "--test-limit",
        "50",
        "--verbose",
        "0",
        "--out",
        str(out),
    ]
    code, stdout, stderr = run_in_process("zoo-train", train.main, argv, capsys)

    assert code == 0, stderr
    runs = json.loads((out / "optimizers.json").read_text())["runs"]
    assert [run["optimizer"] for run in runs] == [
        "sgd",
        "momentum",
        "adagrad",
        "adam",
    ]
    for run in runs:
        assert 0.0 <= run["best_val_accuracy"] <= 1.0
        assert len(read_csv(out / run["optimizer"] / "history.csv")) == 2
    table = (out / "optimizers.md").read_text().strip().splitlines()
    assert len(table) == 2 + 4
    assert table[2].startswith("| sgd |")
    with Image.open(out / "optimizers.png") as image:
        assert image.format == "PNG"
    assert "| adam |" in stdout


def test_best_epoch_uses_training_score_without_validation_split():
    info = {"task": "classification"}
    with_val = types.SimpleNamespace(val=object(), info=info)
    without_val = types.SimpleNamespace(val=None, info=info)
    regression = types.SimpleNamespace(val=None, info={"task": "regression"})

    assert train._monitor(with_val) == ("val_accuracy", "max")
    assert train._monitor(without_val) == ("accuracy", "max")
    assert train._monitor(regression) == ("loss", "min")


@pytest.mark.parametrize(
    "tf_config, expected",
    [
        ({"task": {"type": "worker", "index": 0}}, ""),
        ({"task": {"type": "worker", "index": 1}}, "worker1"),
        (
            {
                "cluster": {"chief": ["a:1"], "worker": ["b:1"]},
                "task": {"type": "worker", "index": 0},
            },
            "worker0",
        ),
        (
            {
                "cluster": {"chief": ["a:1"], "worker": ["b:1"]},
                "task": {"type": "chief", "index": 0},
            },
            "",
        ),
    ],
)
def test_only_the_chief_writes_to_out(
    tmp_path, monkeypatch, tf_config, expected
):
    monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert train.worker_out_dir(tmp_path, "multiworker") == tmp_path / expected
    assert train.worker_out_dir(tmp_path, "default") == tmp_path


def test_malformed_tf_config_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UsageError, match="TF_CONFIG"):
        train.worker_out_dir(tmp_path, "multiworker")


def _batch_sizes(dataset):
    return [len(y) for _, y in dataset]


def test_split_evenly_gives_every_replica_the_same_first_batch():
    from training.data import load_dataset

    # 72 examples: 65 to train, 7 to validate; 33 to test.
    bundle = load_dataset("adding:50", batch_size=128, limit=72, test_limit=33)
    even = train.split_evenly(bundle, 128, replicas=2)
    assert _batch_sizes(even.train) == [64]  # the odd one out is dropped
    # Every example still counts, and no replica gets an empty batch.
    assert _batch_sizes(even.val) == [4, 3]
    assert _batch_sizes(even.test) == [30, 3]
    val_labels = np.concatenate([y for _, y in bundle.val])
    np.testing.assert_array_equal(
        np.concatenate([y for _, y in even.val]), val_labels
    )
    assert train.split_evenly(bundle, 128, replicas=1) is bundle
    with pytest.raises(UsageError, match="--batch-size 63 .* multiple of 2"):
        train.split_evenly(bundle, 63, replicas=2)
    tiny = load_dataset("adding:50", batch_size=8, limit=72, test_limit=1)
    with pytest.raises(UsageError, match="test split has 1 example"):
        train.split_evenly(tiny, 8, replicas=2)


def test_batch_plan_gives_every_replica_examples_of_every_batch():
    from training.devices import batch_plan

    for replicas in (2, 3, 4):
        for batch_size in (replicas, 2 * replicas, 32 * replicas):
            for count in range(1, 5 * batch_size + 3):
                for keep in (True, False):
                    sizes = batch_plan(count, batch_size, replicas, keep)
                    case = (count, batch_size, replicas, keep, sizes)
                    if sizes is None:
                        # Too few: fewer than one example per replica, or
                        # (keeping all) an odd count below 2 batches' worth.
                        assert count < 2 * replicas + (count % replicas), case
                        continue
                    assert sizes[0] % replicas == 0, case
                    assert min(sizes) >= replicas, case
                    assert max(sizes) < batch_size + replicas, case
                    if keep:
                        assert sum(sizes) == count, case
                    else:
                        assert 0 <= count - sum(sizes) < replicas, case
                    plain = [batch_size] * (count // batch_size)
                    plain += [count % batch_size] if count % batch_size else []
                    if not keep and sizes != plain:
                        # Re-batched in one pass: one shuffle per epoch.
                        assert len(set(sizes)) == 1, case


# Errors: one line naming the problem, exit code 2, no traceback.


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--model", "mnist_seed_cn", "--data", "mnist"], ["mnist_seed_cnn"]),
        (["--model", "mnist_seed_cnn", "--data", "bogus:3"], ["bogus:3"]),
        (
            ["--model", "mnist_seed_cnn", "--data", "idx:/no/such/folder"],
            ["/no/such/folder", "train-images"],
        ),
        (["--model", "mnist_seed_cnn", "--data", "adding:50"], ["(50, 2)"]),
        (
            ["--model", "adding_tcn", "--data", "adding:50", "--augment"],
            ["--augment"],
        ),
        (
            ["--model", "mnist_seed_cnn", "--data", "mnist", "--augment", "x"],
            ["'x'", "digits_light"],
        ),
        (
            ["--model", "mnist_seed_cnn", "--data", "mnist", "--epochs", "0"],
            ["--epochs"],
        ),
        (
            ["--model", "mnist_seed_cnn", "--data", "mnist", "--lr", "nan"],
            ["--lr"],
        ),
        (
            [
                "--model",
                "mnist_seed_cnn",
                "--data",
                "mnist",
                "--optimizer",
                "rmsprop",
            ],
            ["rmsprop", "adamw"],
        ),
        (
            [
                "--model",
                "mnist_seed_cnn",
                "--data",
                "mnist",
                "--validation-split",
                "1",
            ],
            ["--validation-split"],
        ),
        (
            [
                "--model",
                "mnist_seed_cnn",
                "--data",
                "mnist",
                "--strategy",
                "tpu",
            ],
            ["--strategy"],
        ),
        (["--data", "mnist"], ["--model"]),
    ],
)
def test_bad_arguments(tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(out)], capsys
    )
    assert_one_line_error(code, stderr, "zoo-train", *words)
    assert not out.exists()  # nothing created for a command that failed


def test_malformed_data_file(tmp_path, capsys):
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"<html>not found</html>")
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"")
    argv = ["--model", "mnist_seed_cnn", "--data", f"idx:{folder}"]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(tmp_path / "o")], capsys
    )
    assert_one_line_error(code, stderr, "zoo-train", "train-images-idx3-ubyte")


def test_out_dir_that_is_a_file(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("")
    argv = ["--model", "mnist_seed_cnn", "--data", "adding:50"]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(out)], capsys
    )
    assert_one_line_error(code, stderr, "zoo-train", str(out), "folder")


def test_backup_of_another_command_is_not_resumed(tmp_path, capsys):
    from training import resume

    out = tmp_path / "run"
    resume.start(out, {"model": "adding_tcn", "epochs": 5})
    (out / "backup" / resume.METADATA).write_text('{"epoch": 1}')
    argv = ["--model", "adding_tcn", "--data", "adding:64", *TINY]
    code, _, stderr = run_in_process(
        "zoo-train", train.main, [*argv, "--out", str(out)], capsys
    )
    assert_one_line_error(code, stderr, "zoo-train", "--epochs", "--out")


@pytest.mark.large
def test_errors_in_a_real_process_are_one_line(tmp_path):
    result = run_subprocess(
        "training.train",
        ["--model", "no_such_model", "--data", "mnist"],
        timeout=120,
    )
    assert_one_line_error(
        result.returncode, result.stderr, "zoo-train", "no_such_model"
    )
    assert result.stdout == ""


# Crash recovery and distribution: real processes.


def completed_epochs(out):
    try:
        text = (out / "backup" / "training_metadata.json").read_text()
        return json.loads(text)["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.large
def test_resume_after_kill_9(tmp_path):
    out = tmp_path / "run"
    epochs = 5
    argv = [
        "--model",
        "mnist_seed_cnn",
        "--data",
        "mnist",
        "--epochs",
        str(epochs),
        "--max-steps",
        "4",
        "--batch-size",
        "32",
        "--limit",
        "300",
        "--test-limit",
        "100",
        "--verbose",
        "2",
        "--out",
        str(out),
    ]
    env = {
        **os.environ,
        "ZOO_DATA_DIR": str(data_dir()),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "training.train", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while completed_epochs(out) < 1:
            assert process.poll() is None, "finished before it was killed"
            assert time.monotonic() < deadline, "no epoch completed in time"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    killed_at = completed_epochs(out)
    assert 1 <= killed_at < epochs, "killed too late to test a resume"

    result = run_subprocess("training.train", argv, timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    resumed = re.search(
        r"resuming mnist_seed_cnn from epoch (\d+)/5", result.stdout
    )
    assert resumed, result.stdout
    assert int(resumed.group(1)) == killed_at + 1
    # Only the remaining epochs ran in the second process.
    assert f"Epoch {killed_at}/{epochs}" not in result.stdout
    assert f"Epoch {epochs}/{epochs}" in result.stdout
    epochs_in_csv = [row["epoch"] for row in read_csv(out / "history.csv")]
    assert epochs_in_csv == [str(e) for e in range(epochs)]
    card = json.loads((out / "mnist_seed_cnn.json").read_text())
    assert card["epochs_run"] == epochs
    assert (
        load_model(out / "mnist_seed_cnn.keras").count_params()
        == card["params"]
    )
    assert not (out / "backup").exists()


@pytest.mark.large
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute strategies need the TensorFlow backend",
)
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = tmp_path / "mirrored"
    argv = ["--model", "mnist_seed_cnn", "--data", "mnist", *TINY]
    argv += ["--strategy", "mirrored", "--logical-cpus", "2"]
    # 31 validation examples, fewer than one batch and odd: the replicas'
    # first batches must still be even (training.devices.split_evenly).
    argv += ["--limit", "310"]
    result = run_subprocess(
        "training.train", [*argv, "--out", str(out)], timeout=300
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "MirroredStrategy with 2 replicas" in result.stdout
    card = json.loads((out / "mnist_seed_cnn.json").read_text())
    assert card["hyperparameters"]["strategy"] == "mirrored"
    assert 0.0 <= card["metrics"]["test_accuracy"] <= 1.0
    load_model(out / "mnist_seed_cnn.keras")


def test_distributed_strategy_needs_tensorflow(tmp_path, capsys):
    if keras.backend.backend() == "tensorflow":
        pytest.skip("checks the message of the other backends")
    argv = ["--model", "adding_tcn", "--data", "adding:64", *TINY]
    argv += ["--strategy", "mirrored", "--out", str(tmp_path / "o")]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-train", "KERAS_BACKEND")


def test_augment_policy_names_match_the_policies():
    from training import augment

    assert train.AUGMENT_POLICIES == tuple(sorted(augment.POLICIES))


@pytest.mark.parametrize(
    "flags, expected",
    [
        ([], False),
        (["--augment"], True),
        (["--augment", "digits_light"], "digits_light"),
    ],
)
def test_augment_takes_an_optional_policy(flags, expected):
    args = train.build_parser().parse_args(
        ["--model", "m", "--data", "d", *flags]
    )
    assert args.augment == expected
