"""`python -m training.ensemble`: members trained on one split become one
averaging model with a card; the validation scores come first and
`--validate-only` writes nothing; the card's test accuracy is the mean of
the members' answers (numpy); members that do not belong together are
refused in one line."""

import json
import shutil

import numpy as np
import pytest

from tests.training.cli_utils import assert_one_line_error
from tests.training.cli_utils import run_in_process
from tests.training.cli_utils import train_tiny_mnist1d
from training import ensemble
from training import publish
from zoo import arithmetic
from zoo.saving import load_model

PROG = "python -m training.ensemble"


@pytest.fixture
def members(tmp_path, capsys):
    """Two tiny mnist1d runs on the same split, different weights."""
    first = train_tiny_mnist1d(tmp_path / "a", capsys)
    second = train_tiny_mnist1d(tmp_path / "b", capsys, "--lr", "0.01")
    return first, second


def _run(argv, capsys):
    return run_in_process(PROG, ensemble.main, argv, capsys)


def test_ensemble_is_chosen_on_validation_then_measured_once(
    members, tmp_path, capsys
):
    out = tmp_path / "ens"
    argv = [*map(str, members), "--name", "tcn_pair", "--out", str(out)]

    code, stdout, stderr = _run([*argv, "--validate-only"], capsys)
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:2]] == [
        "member mnist1d_tcn.keras",
        "member mnist1d_tcn.keras",
    ]
    assert "tcn_pair (2 members): val_accuracy=" in lines[2]
    assert "test" not in stdout and not out.exists()

    code, stdout, stderr = _run(argv, capsys)
    assert code == 0, stderr
    assert "tcn_pair: test_accuracy=" in stdout
    card = json.loads((out / "tcn_pair.json").read_text())
    model = load_model(out / "tcn_pair.keras")
    first, second = (load_model(path) for path in members)

    from training import data as data_lib

    x, y = data_lib.load_arrays("mnist1d", "test", seed=42)
    mean = (first.predict(x, verbose=0) + second.predict(x, verbose=0)) / 2
    np.testing.assert_allclose(model.predict(x, verbose=0), mean, atol=1e-6)
    expected = float(np.mean(np.argmax(mean, -1) == y))
    assert card["metrics"]["test_accuracy"] == pytest.approx(expected)
    assert card["metrics"]["test_examples"] == len(y)

    member_cards = [
        json.loads(path.with_suffix(".json").read_text()) for path in members
    ]
    assert card["params"] == first.count_params() + second.count_params()
    assert card["flops"] == sum(
        sum(arithmetic.count_flops(m).values()) for m in (first, second)
    )
    assert card["train_time_s"] == pytest.approx(
        sum(c["train_time_s"] for c in member_cards), abs=0.11
    )
    assert card["train_command"].startswith(f"{PROG} ")
    assert [m["model"] for m in card["members"]] == ["mnist1d_tcn"] * 2
    assert card["flip_average"] is False
    assert card["classes"] == member_cards[0]["classes"]
    assert card["dataset"] == "mnist1d"
    assert 0.0 <= card["val_accuracy"] <= 1.0
    assert (out / "tcn_pair.md").read_text().startswith("# tcn_pair")
    assert (out / "tcn_pair_confusion.png").is_file()

    # It ships like any zoo-train run.
    dest = tmp_path / "shipped"
    code, _, stderr = run_in_process(
        "python -m training.publish",
        publish.main,
        [str(out / "tcn_pair.keras"), "--dest", str(dest)],
        capsys,
    )
    assert code == 0, stderr
    assert (dest / "tcn_pair.keras").is_file()


def test_members_of_other_splits_are_refused(members, capsys):
    other = members[1].with_suffix(".json")
    card = json.loads(other.read_text())
    card["hyperparameters"]["seed"] = 7
    other.write_text(json.dumps(card))
    code, _, stderr = _run([*map(str, members), "--name", "x"], capsys)
    assert_one_line_error(code, stderr, PROG, "validation", "seed=7")


def test_a_member_without_its_card_is_refused(members, tmp_path, capsys):
    lone = tmp_path / "lone.keras"
    shutil.copyfile(members[0], lone)
    code, _, stderr = _run([str(members[0]), str(lone), "--name", "x"], capsys)
    assert_one_line_error(code, stderr, PROG, "lone.keras", "model card")


def test_mirroring_sequences_is_refused(members, capsys):
    code, _, stderr = _run(
        [*map(str, members), "--name", "x", "--flip", "--validate-only"],
        capsys,
    )
    assert_one_line_error(code, stderr, PROG, "flip_average", "image")
