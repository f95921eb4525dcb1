"""User-facing tokenizer errors (printed as one line by the CLI, exit code 2)."""

from deshi.errors import DeshiError


class TokenizerError(DeshiError):
    """Bad tokenizer input: empty data, a vocabulary the data cannot support, a base without a tokenizer."""
