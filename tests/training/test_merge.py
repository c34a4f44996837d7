"""`zoo-train --merge-init` (WiSE-FT): the saved model is the straight
line between the start and the fine-tuned checkpoint, the merge never
happens twice, and the flag is refused without the model to merge with."""

import json

import numpy as np
import pytest

from tests.training.cli_utils import TINY
from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import train_tiny_mnist1d
from training import merge
from training import train
from zoo.saving import load_model

BASE = ["--model", "mnist1d_tcn", "--data", "mnist1d", *TINY]


def test_interpolation_against_numpy():
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    tuned = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    merged = merge.interpolate_weights(start, tuned, 0.3)
    for s, t, m in zip(start, tuned, merged):
        np.testing.assert_allclose(m, 0.7 * s + 0.3 * t)
    assert merge.interpolate_weights(start, tuned, 1.0)[1] is not tuned[1]
    np.testing.assert_array_equal(
        merge.interpolate_weights(start, tuned, 1.0)[1], tuned[1]
    )


@pytest.mark.parametrize("alpha", [0.0, 1.5, -0.2])
def test_interpolation_refuses_alpha_outside_the_unit_interval(alpha):
    with pytest.raises(ValueError, match=r"alpha in \(0, 1\]"):
        merge.interpolate_weights([np.zeros(1)], [np.ones(1)], alpha)


def test_interpolation_refuses_other_architectures():
    with pytest.raises(ValueError, match="different shapes"):
        merge.interpolate_weights([np.zeros(2)], [np.zeros(3)], 0.5)


def test_merge_init_needs_init_from(tmp_path, capsys):
    argv = [*BASE, "--merge-init", "0.5", "--out", str(tmp_path)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(
        code, stderr, "zoo-train", "--merge-init", "--init-from"
    )
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.parametrize("value", ["0", "1.01", "nan", "half"])
def test_merge_init_takes_a_share(tmp_path, capsys, value):
    argv = [*BASE, "--merge-init", value, "--out", str(tmp_path)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert_one_line_error(code, stderr, "zoo-train", "--merge-init", "(0, 1]")


def test_merged_run_saves_the_line_between_start_and_tuned(tmp_path, capsys):
    start_path = train_tiny_mnist1d(tmp_path / "a", capsys)
    argv = [*BASE, "--init-from", str(start_path), "--merge-init", "0.25"]
    argv += ["--lr", "0.05", "--out", str(tmp_path / "b")]
    code, stdout, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert code == 0, stderr
    assert "merged with mnist1d_tcn.keras (alpha 0.25): val_acc" in stdout
    run = tmp_path / "b"
    start = load_model(start_path).get_weights()
    tuned = load_model(run / "mnist1d_tcn_before_merge.keras").get_weights()
    merged = load_model(run / "mnist1d_tcn.keras").get_weights()
    assert any(not np.allclose(s, t) for s, t in zip(start, tuned))
    for s, t, m in zip(start, tuned, merged):
        np.testing.assert_allclose(m, 0.75 * s + 0.25 * t, atol=1e-6)
    card = json.loads((run / "mnist1d_tcn.json").read_text())
    assert card["hyperparameters"]["merge_init"] == 0.25
    assert "--merge-init 0.25" in card["train_command"]

    # The same command again evaluates the finished run: it merges from
    # the kept checkpoint, so the saved weights do not move again.
    code, stdout, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert code == 0, stderr
    assert "already holds this finished run" in stdout
    again = load_model(run / "mnist1d_tcn.keras").get_weights()
    for m, a in zip(merged, again):
        np.testing.assert_allclose(a, m, atol=1e-6)


def test_another_alpha_or_none_reuses_the_finished_run(tmp_path, capsys):
    start_path = train_tiny_mnist1d(tmp_path / "a", capsys)
    run = tmp_path / "b"
    argv = [*BASE, "--init-from", str(start_path), "--lr", "0.05"]
    argv += ["--out", str(run)]
    code, _, stderr = run_in_process("zoo-train", train.main, argv, capsys)
    assert code == 0, stderr
    tuned = load_model(run / "mnist1d_tcn.keras").get_weights()
    start = load_model(start_path).get_weights()

    for alpha, expected in ((0.5, 0.5), (0.9, 0.9), (None, 1.0)):
        flags = [] if alpha is None else ["--merge-init", str(alpha)]
        code, stdout, stderr = run_in_process(
            "zoo-train", train.main, [*argv, *flags], capsys
        )
        assert code == 0, stderr
        assert "already holds this finished run" in stdout  # no training
        merged = load_model(run / "mnist1d_tcn.keras").get_weights()
        for s, t, m in zip(start, tuned, merged):
            np.testing.assert_allclose(
                m, (1 - expected) * s + expected * t, atol=1e-6
            )
    assert not (run / "mnist1d_tcn_before_merge.keras").exists()
