"""Where the bare names `mnist` and `fashion_mnist` find their IDX files.

The search order, first existing folder wins:

1. `<data_dir>/<name>` when the caller passes `data_dir`;
2. `$ZOO_DATA_DIR/<name>` (several roots may be joined with `os.pathsep`);
3. `../shared/datasets/<name>` relative to the repository root, when this
   package runs from a checkout (a folder with `pyproject.toml` above
   `training/`; an installed package has no repository root);
4. `../shared/datasets/<name>` relative to the current directory;
5. for Fashion-MNIST, `/usr/share/datasets/fashion-mnist`, where the Debian
   package `dataset-fashion-mnist` installs it.

`ZOO_NO_SHARED_DATA=1` drops 3 to 5, so that only `data_dir` and
`$ZOO_DATA_DIR` are searched: a test run then behaves as on a machine
without the shared data sets (any value but empty or `0` counts).

`<name>` is tried with a hyphen and with an underscore (`fashion-mnist`,
`fashion_mnist`). A folder that exists but holds broken files is reported,
not skipped, so a damaged copy never hides behind another one.
"""

import os
import pathlib

from training.data.errors import DataError

ENV_VAR = "ZOO_DATA_DIR"
NO_SHARED_ENV_VAR = "ZOO_NO_SHARED_DATA"
SHARED_RELATIVE = pathlib.Path("..") / "shared" / "datasets"
SYSTEM_DIRS = {"fashion_mnist": [pathlib.Path("/usr/share/datasets")]}
ALIASES = {
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "fashion-mnist": "fashion_mnist",
}


def checkout_root():
    """The repository this package runs from, or None when installed."""
    root = pathlib.Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def shared_data_disabled(environ=None):
    """Whether `$ZOO_NO_SHARED_DATA` turns the shared folders off."""
    environ = os.environ if environ is None else environ
    return environ.get(NO_SHARED_ENV_VAR, "") not in ("", "0")


def search_roots(
    name, *, data_dir=None, environ=None, repo_root=None, cwd=None
):
    """The folders that may hold `<name>/`, in search order."""
    environ = os.environ if environ is None else environ
    repo_root = checkout_root() if repo_root is None else repo_root
    cwd = pathlib.Path.cwd() if cwd is None else pathlib.Path(cwd)
    roots = [pathlib.Path(data_dir)] if data_dir else []
    roots += [
        pathlib.Path(p) for p in environ.get(ENV_VAR, "").split(os.pathsep) if p
    ]
    if shared_data_disabled(environ):
        return roots
    if repo_root is not None:
        roots.append(pathlib.Path(repo_root) / SHARED_RELATIVE)
    roots.append(cwd / SHARED_RELATIVE)
    roots += SYSTEM_DIRS.get(name, [])
    return roots


def candidate_dirs(name, **kwargs):
    """Every folder `locate` looks at for `name`, in order, without dups."""
    spellings = dict.fromkeys([name.replace("_", "-"), name])
    seen, candidates = set(), []
    for root in search_roots(name, **kwargs):
        for spelling in spellings:
            # Lexical normalisation: `repo/../shared` reads better in
            # messages and does not need `repo` to exist.
            path = pathlib.Path(
                os.path.normpath(os.path.abspath(root / spelling))
            )
            if path not in seen:
                seen.add(path)
                candidates.append(path)
    return candidates


def _fix_hint(name):
    hints = [
        f"set {ENV_VAR} to a folder holding {name.replace('_', '-')}/ with "
        "the four IDX files (train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz)",
        "pass idx:DIR with such a folder",
    ]
    if name == "fashion_mnist":
        hints.append("run `apt-get install dataset-fashion-mnist` (Debian)")
    hints.append(f"use tfds:{name} (downloads it; needs internet)")
    return "; or ".join(hints)


def locate(name, **kwargs):
    """The folder holding the IDX files of a bare data set name.

    Args:
        name: str. `"mnist"`, `"fashion_mnist"` or `"fashion-mnist"`.
        **kwargs: `data_dir` (a folder searched first), and `environ`,
            `repo_root` and `cwd`, which replace the process environment,
            this checkout and the current folder.

    Returns:
        A `pathlib.Path`.

    Raises:
        DataError: when no candidate folder exists; the message lists every
            place searched and the ways to fix it.
    """
    canonical = ALIASES.get(name)
    if canonical is None:
        raise DataError(
            f"no local copy is known for {name!r}; bare names are "
            f"{sorted(ALIASES)}. Received: name={name!r}"
        )
    candidates = candidate_dirs(canonical, **kwargs)
    for path in candidates:
        if path.is_dir():
            return path
    environ = kwargs.get("environ")
    environ = os.environ if environ is None else environ
    looked = "\n".join(f"  - {p}" for p in candidates) or "  (nowhere)"
    if not environ.get(ENV_VAR):
        looked += f"\n  ({ENV_VAR} is not set)"
    if shared_data_disabled(environ):
        looked += (
            f"\n  ({NO_SHARED_ENV_VAR} is set: the shared and system "
            "folders were skipped)"
        )
    raise DataError(
        f"could not find the {canonical} data set. Looked in:\n{looked}\n"
        f"To fix: {_fix_hint(canonical)}."
    )
