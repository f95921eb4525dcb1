"""Every command answers --help with an example; stage commands are listed."""

import pytest
import typer
from typer.testing import CliRunner

from deshi import __version__
from deshi.cli import app

runner = CliRunner()


def _is_group(command) -> bool:
    return hasattr(command, "commands")


def _all_commands(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path, command
        if _is_group(command):
            yield from _all_commands(command, path)


def test_top_level_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "demo-data", "pipeline", "registry", "artifacts", "version"):
        assert name in result.output


def test_version():
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("path", [p for p, c in _all_commands(typer.main.get_command(app)) if not _is_group(c)], ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"deshi {' '.join(path)} --help shows no example"
