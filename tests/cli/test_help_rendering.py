"""Help reads cleanly: value types in click's words (TEXT, INTEGER RANGE), nothing after a
flag. Some typer releases print ``<bool>`` after every flag and ``<str>`` for every value;
pyproject.toml keeps typer to the releases that do not."""

from __future__ import annotations

import re

import pytest

from .conftest import Invoke

_ANGLE_TYPE = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\])[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    "args",
    [["--help"], ["server", "--help"], ["runs", "list", "--help"], ["db", "upgrade", "--help"]],
)
def test_help_has_no_angle_bracket_types(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args, env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert not _ANGLE_TYPE.findall(result.stdout), result.stdout


def test_flags_show_no_type_and_values_show_click_words(invoke: Invoke) -> None:
    result = invoke("server", "--help", env={"COLUMNS": "120", "NO_COLOR": "1"})
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if "│ --" in line}
    assert "TEXT" in lines["--host"]
    assert "INTEGER RANGE" in lines["--port"]
    for flag in ("--allow-model-code", "--upgrade"):
        assert re.search(r"BOOL|bool", lines[flag]) is None, lines[flag]
