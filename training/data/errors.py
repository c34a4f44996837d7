"""The one exception type of the data layer."""


class DataError(ValueError):
    """A data set is missing, malformed or asked for with a bad spec.

    The message names the file or spec at fault and says how to fix it, so
    command-line tools print it as is (see `training.cli.user_errors`).
    """
