"""Model registry: named configurations -> builders, and shipped weights.

Modelled on timm's `register_model` / `list_models` / `create_model`: a
name maps to a builder function plus the keyword arguments of a named
configuration (`zoo.models.presets`). Trained models are
`<name>.keras` files in the folder `default_models_dir()` names: the one
place that decides where they live, in a checkout and in an installed
package alike.

Example:

>>> import zoo
>>> "mnist_seed_cnn" in zoo.list_models("mnist_*")
True
>>> zoo.create_model("mnist_seed_cnn").count_params()
121930
"""

import copy
import difflib
import fnmatch
import inspect
import os
import pathlib
import warnings

from zoo import saving

# Registered name -> builder function returning a `keras.Model`.
_model_entrypoints = {}
# Registered name -> named configuration dict (empty for a bare builder).
_model_configs = {}

# Preset keys that are also builder arguments; create_model passes them on.
_SHARED_KEYS = ("input_shape", "num_classes", "num_outputs")

MODELS_DIR_ENV = "ZOO_MODELS_DIR"


def register_model(fn=None, *, name=None, config=None):
    """Registers a builder under a name, as a decorator or a call.

    Args:
        fn: callable returning a `keras.Model`. When omitted, a decorator
            is returned.
        name: str. Registered name. Defaults to `fn.__name__`.
        config: dict. Named configuration: its `kwargs` and the keys
            `input_shape`, `num_classes` and `num_outputs` are passed to
            `fn` by `create_model`; the rest is metadata for `model_info`.

    Returns:
        `fn` unchanged (or a decorator that registers and returns it).

    Example:

        @register_model(config={"input_shape": (32, 32, 3)})
        def cifar_seed_cnn(input_shape, num_classes=10, name=None):
            return zoo.models.seed_cnn(input_shape, num_classes, name=name)
    """

    def decorator(builder):
        model_name = name or builder.__name__
        if model_name in _model_entrypoints:
            warnings.warn(
                f"Overwriting the registered model {model_name!r}.",
                stacklevel=3,
            )
        _model_entrypoints[model_name] = builder
        _model_configs[model_name] = dict(config or {})
        return builder

    if fn is None:
        return decorator
    return decorator(fn)


def list_models(pattern=None):
    """Sorted registered names, optionally filtered by fnmatch wildcards.

    Args:
        pattern: str or list of str, such as `"mnist_*"`. Defaults to all.

    Returns:
        A sorted list of names.
    """
    names = sorted(_model_entrypoints)
    if pattern is None:
        return names
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


def is_model(name):
    """Whether `name` is a registered model."""
    return name in _model_entrypoints


def create_model(name, **overrides):
    """Builds the registered model `name`, uncompiled and untrained.

    Args:
        name: str. A name from `list_models()`.
        **overrides: builder arguments replacing the named configuration's
            values (`input_shape`, `num_classes`, `alpha`, ...). Overrides
            set to `None` are dropped, as in timm, so command-line defaults
            of `None` keep the configuration's values.

    Returns:
        A functional `keras.Model` named `name`.

    Raises:
        ValueError: for an unknown name (listing close matches and the
            available names), an override the builder does not accept, or
            any argument the builder rejects.

    Example:

    >>> model = create_model("mnist_mobilenet_v1", alpha=0.5)
    >>> model.output.shape
    (None, 10)
    """
    builder = _model_entrypoints[_check_name(name)]
    config = _model_configs[name]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    accepted = _accepted_kwargs(builder)
    if accepted is not None:
        unknown = sorted(set(overrides) - accepted)
        if unknown:
            raise ValueError(
                f"Model {name!r} (builder `{builder.__name__}`) does not "
                f"accept the keyword argument(s) {unknown}. Accepted "
                f"keywords: {sorted(accepted)}. Received: "
                + ", ".join(f"{k}={overrides[k]!r}" for k in unknown)
            )
    kwargs = {k: config[k] for k in _SHARED_KEYS if k in config}
    kwargs.update(config.get("kwargs", {}))
    # A copy, so a builder can never modify the registered configuration.
    kwargs = copy.deepcopy(kwargs)
    if accepted is None or "name" in accepted:
        kwargs["name"] = name
    kwargs.update(overrides)
    return builder(**kwargs)


def model_info(name):
    """The named configuration of `name` as a new dict.

    Keys: `name`, `description`, `builder`, `kwargs`, `input_shape`,
    `task` (`"classification"` or `"regression"`), `dataset`, `params`,
    and `num_classes` + `class_names` (classifiers) or `num_outputs` +
    `output_names` (regressors).

    Raises:
        ValueError: for an unknown name.
    """
    config = copy.deepcopy(_model_configs[_check_name(name)])
    return {"name": name, **config}


def default_models_dir():
    """Where the trained models live.

    In order: the folder named by `$ZOO_MODELS_DIR` (for models of your own,
    or a copy on a machine without the package data); the `saved_models/`
    package data an installed wheel carries (`zoo/saved_models/`); the
    top-level `saved_models/` of a source checkout (editable installs
    included). The models travel with the package, so loading them needs
    no network.

    Returns:
        A `pathlib.Path`, which exists unless nothing is shipped.
    """
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return pathlib.Path(env)
    package = pathlib.Path(__file__).resolve().parent
    installed = package / "saved_models"
    if installed.is_dir():
        return installed
    return package.parent / "saved_models"


def list_pretrained(models_dir=None):
    """Sorted names of the `.keras` files in `models_dir`.

    Args:
        models_dir: str or path-like. Defaults to `default_models_dir()`.
    """
    directory = pathlib.Path(models_dir or default_models_dir())
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.keras") if p.is_file())


def load_pretrained(name, models_dir=None, compile=False):
    """Loads the trained model `<name>.keras` shipped with the package.

    Loading uses `keras.models.load_model(path, safe_mode=True)` (through
    `zoo.saving.load_model`), so a file cannot run code that came with it.

    Args:
        name: str. Model name, such as `"mnist_seed_cnn"`.
        models_dir: str or path-like. Folder of `.keras` files. Defaults to
            `default_models_dir()`: `$ZOO_MODELS_DIR`, else the models
            shipped with the package.
        compile: bool. Restore the training configuration too. Defaults to
            `False`.

    Returns:
        The trained `keras.Model`.

    Raises:
        ValueError: when `name` is a path rather than a name.
        zoo.saving.ModelFileError: (a `ValueError`) when there is no file
            for `name` (the message lists the models that are shipped), or
            when the file is corrupt, truncated or not a `.keras` archive.
    """
    if not isinstance(name, str) or pathlib.Path(name).name != name:
        raise ValueError(
            f"`name` must be a model name such as 'mnist_seed_cnn', not a "
            f"path; use `models_dir` for the folder. Received: name={name!r}"
        )
    directory = pathlib.Path(models_dir or default_models_dir())
    path = directory / f"{name}.keras"
    if not path.is_file():
        shipped = list_pretrained(directory)
        hint = (
            f"Shipped models: {shipped}."
            if shipped
            else "No trained models are shipped there yet."
        )
        close = difflib.get_close_matches(name, shipped, n=3)
        suggestion = f" Did you mean {close}?" if close else ""
        raise saving.ModelFileError(
            f"No trained model {name!r} in {directory} (looked for "
            f"{path.name}).{suggestion} {hint} Train one with the training "
            f"tools, or point ${MODELS_DIR_ENV} or `models_dir` at a folder "
            f"of .keras files."
        )
    return saving.load_model(path, compile=compile)


def _check_name(name):
    if name in _model_entrypoints:
        return name
    available = list_models()
    close = difflib.get_close_matches(str(name), available, n=3, cutoff=0.5)
    suggestion = f" Did you mean {close}?" if close else ""
    raise ValueError(
        f"Unknown model {name!r}.{suggestion} Available models: "
        f"{available}. Received: name={name!r}"
    )


def _accepted_kwargs(builder):
    """Keyword names `builder` accepts, or `None` if it takes **kwargs."""
    try:
        parameters = inspect.signature(builder).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {
        p.name
        for p in parameters
        if p.kind
        in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        )
    }
