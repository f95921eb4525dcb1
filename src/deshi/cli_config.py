"""One way for every stage command to build its config: ``--config FILE`` < flags < ``--set k=v``.

Each stage CLI used to merge these three sources itself (and only some offered ``--set``); sharing the
merge keeps the precedence and the error messages (``file:line: field: message``) the same everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import typer
import yaml
from pydantic import BaseModel

from deshi.config import load_yaml, validate_model

M = TypeVar("M", bound=BaseModel)

SetOpt = typer.Option(None, "--set", help="Any other config field, e.g. --set lr=1e-3 (repeatable).")
ConfigOpt = typer.Option(None, "--config", "-c", help="YAML file with the stage's fields (as in pipeline.yaml).")


def load_stage_config(model: type[M], config_file: Path | None, overrides: dict[str, Any],
                      sets: list[str] | None = None) -> M:
    """Config file → dict, then flags that were given (not None), then ``--set`` (values parsed as YAML,
    dotted keys reach nested sections).

    Validation errors name the config file and line when the field came from it.
    """
    data: dict[str, Any] = {}
    lines: dict = {}
    name = "command line"
    if config_file is not None:
        loaded, lines = load_yaml(config_file)
        data = dict(loaded or {})
        name = str(config_file)
    data.update({k: v for k, v in overrides.items() if v is not None})
    for item in sets or []:
        if "=" not in item:
            raise typer.BadParameter(f"--set expects field=value (got {item!r})")
        key, value = item.split("=", 1)
        _set_dotted(data, key.strip(), yaml.safe_load(value))
    return validate_model(model, data, name, lines)


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """``dedup.threshold=0.85`` sets a nested field; intermediate sections are created or copied, never shared."""
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        node[part] = dict(child) if isinstance(child, dict) else {}
        node = node[part]
    node[leaf] = value
