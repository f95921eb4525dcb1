"""The one exception base for mistakes a user can fix: the CLI prints these without a traceback."""


class DeshiError(Exception):
    """Bad input, bad config, missing artifact: printed as one readable message, exit code 2."""
