"""``--config`` < flags < ``--set``: the same precedence and errors for every stage command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from deshi.cli_config import load_stage_config
from deshi.data.config import CurateConfig
from deshi.errors import DeshiError


def test_set_overrides_flag_and_file_and_reaches_nested_fields(tmp_path: Path) -> None:
    cfg_file = tmp_path / "curate.yaml"
    cfg_file.write_text("workers: 3\nshard_size: 500\ndedup:\n  threshold: 0.7\n", encoding="utf-8")
    cfg = load_stage_config(CurateConfig, cfg_file, {"workers": 4, "shard_size": None},
                            ["dedup.threshold=0.9", "output_format=parquet"])
    assert cfg.workers == 4            # flag beats file
    assert cfg.shard_size == 500       # file kept where no flag was given
    assert cfg.dedup.threshold == 0.9  # --set beats file, nested
    assert cfg.output_format == "parquet"


def test_bad_set_and_bad_value_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(typer.BadParameter, match="field=value"):
        load_stage_config(CurateConfig, None, {}, ["workers"])
    cfg_file = tmp_path / "curate.yaml"
    cfg_file.write_text("workers: 2\nshard_size: many\n", encoding="utf-8")
    with pytest.raises(DeshiError) as err:
        load_stage_config(CurateConfig, cfg_file, {}, [])
    assert "curate.yaml:2" in str(err.value) and "shard_size" in str(err.value)
