"""`training.data.locations`: `ZOO_NO_SHARED_DATA` and the checkout root."""

import pytest

from training.data import DataError
from training.data import load_arrays
from training.data import locations


def shared_and_system(tmp_path, monkeypatch):
    """Every fallback folder, created and holding fashion_mnist/."""
    repo, cwd = tmp_path / "r" / "repo", tmp_path / "c" / "work"
    system = tmp_path / "system"
    monkeypatch.setitem(locations.SYSTEM_DIRS, "fashion_mnist", [system])
    for root in (
        repo / locations.SHARED_RELATIVE,
        cwd / locations.SHARED_RELATIVE,
        system,
    ):
        (root / "fashion_mnist").mkdir(parents=True)
    return {"repo_root": repo, "cwd": cwd}


def test_no_shared_data_skips_the_shared_and_system_folders(
    tmp_path, monkeypatch
):
    options = shared_and_system(tmp_path, monkeypatch)
    assert locations.locate("fashion_mnist", environ={}, **options)
    environ = {locations.NO_SHARED_ENV_VAR: "1"}
    assert locations.search_roots("fashion_mnist", environ=environ) == []
    with pytest.raises(DataError) as raised:
        locations.locate("fashion_mnist", environ=environ, **options)
    message = str(raised.value)
    assert "ZOO_NO_SHARED_DATA is set" in message
    for skipped in ("r", "c", "system"):
        assert str(tmp_path / skipped) not in message
    # The explicit places still count.
    (tmp_path / "env" / "fashion-mnist").mkdir(parents=True)
    environ[locations.ENV_VAR] = str(tmp_path / "env")
    found = locations.locate("fashion_mnist", environ=environ, **options)
    assert found == tmp_path / "env" / "fashion-mnist"


@pytest.mark.parametrize("value, disabled", [("", False), ("0", False)])
def test_empty_or_zero_keeps_the_fallbacks(value, disabled, tmp_path):
    environ = {locations.NO_SHARED_ENV_VAR: value}
    assert locations.shared_data_disabled(environ) is disabled
    roots = locations.search_roots(
        "mnist", environ=environ, repo_root=tmp_path / "r", cwd=tmp_path
    )
    assert tmp_path / locations.SHARED_RELATIVE in roots


def test_process_environment_reaches_load_arrays(tmp_path, monkeypatch):
    monkeypatch.delenv(locations.ENV_VAR, raising=False)
    monkeypatch.setenv(locations.NO_SHARED_ENV_VAR, "1")
    with pytest.raises(DataError, match="ZOO_NO_SHARED_DATA is set"):
        load_arrays("mnist", "test", limit=1)


def test_the_checkout_root_is_this_repository():
    root = locations.checkout_root()
    assert root is not None and (root / "training" / "data").is_dir()
    roots = locations.search_roots("mnist", environ={}, cwd=root)
    assert root / locations.SHARED_RELATIVE in roots
