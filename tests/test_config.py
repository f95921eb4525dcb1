"""Config errors name the file, the line, the field path and what was expected."""

import pytest
from typer.testing import CliRunner

from deshi.cli import app
from deshi.config import ConfigError, load_pipeline


def _write(tmp_path, text):
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_pipeline_loads_stage_models(tmp_path):
    loaded = load_pipeline(_write(tmp_path, "workspace: ws\nseed: 3\nstages:\n  demo_data:\n    docs: 50\n"))
    assert loaded.pipeline.seed == 3
    assert loaded.stages["demo_data"].docs == 50


def test_bad_value_names_file_line_field_and_expectation(tmp_path):
    path = _write(tmp_path, "workspace: ws\nstages:\n  demo_data:\n    docs: lots\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline(path)
    message = str(info.value)
    assert f"{path}:4" in message
    assert "stages.demo_data.docs" in message
    assert "integer" in message and "'lots'" in message


def test_unknown_field_and_unknown_stage_are_reported_together(tmp_path):
    path = _write(tmp_path, "stages:\n  demo_data:\n    dcos: 5\n  curation: {}\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline(path)
    assert len(info.value.issues) == 2
    text = str(info.value)
    assert "stages.demo_data.dcos: unknown field" in text
    assert "stages.curation: unknown stage; expected one of:" in text and "curate" in text


def test_yaml_syntax_error_points_at_line(tmp_path):
    path = _write(tmp_path, "stages:\n  demo_data: [1, 2\n")
    with pytest.raises(ConfigError, match=r"pipeline.yaml:\d+: .*invalid YAML"):
        load_pipeline(path)


def test_cli_validate_prints_error_without_traceback(tmp_path):
    path = _write(tmp_path, "seed: zero\n")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "deshi.cli", "pipeline", "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "seed" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_cli_validate_accepts_the_demo_pipeline():
    result = CliRunner().invoke(app, ["pipeline", "validate", "examples/demo/pipeline.yaml"])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output
