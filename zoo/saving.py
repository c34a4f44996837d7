"""Loading `.keras` files safely, with errors a user can act on."""

import pathlib
import re
import zipfile

import keras


class ModelFileError(ValueError):
    """A model file that is missing, corrupt or not loadable."""


def load_model(path, compile=False):
    """Loads a `.keras` file with `safe_mode=True` and clear errors.

    `safe_mode=True` refuses to deserialize Python lambdas, so loading a file
    never runs code that came with it. Importing `zoo` registers the zoo's
    layers, so no `custom_objects` are needed.

    Args:
        path: str or path-like. A `.keras` file.
        compile: bool. Whether to restore the training configuration.
            Defaults to `False` (inference only, and no optimizer to build).

    Returns:
        The `keras.Model`.

    Raises:
        ModelFileError: when the file is missing, is not a `.keras` zip
            archive, is truncated, or uses layers that are not registered.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    if path.suffix != ".keras":
        raise ModelFileError(
            f"{path} is not a .keras file: save models with "
            "model.save('name.keras')."
        )
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a valid .keras archive (corrupt, truncated or "
            "not a model file)."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ModelFileError(f"{path} is a damaged archive: {err}") from None
    if bad is not None or "config.json" not in names:
        raise ModelFileError(
            f"{path} is a damaged .keras archive (bad member "
            f"{bad or 'config.json missing'})."
        )
    try:
        return keras.models.load_model(path, compile=compile, safe_mode=True)
    except TypeError as err:
        message = str(err)
        unknown = re.search(
            r"Could not locate (?:class|function) '([^']+)'", message
        )
        if unknown:
            raise ModelFileError(
                f"{path} uses a layer or function this installation does not "
                f"know: {unknown.group(1)!r} (a model from another project? "
                "import the package that defines it first)."
            ) from None
        raise ModelFileError(f"cannot load {path}: {message}") from None
    except ValueError as err:
        raise ModelFileError(f"cannot load {path}: {err}") from None
