"""``mlsteward experiments ...`` and options every command shares."""

from __future__ import annotations

import json
from pathlib import Path

from mlsteward import Client

from .conftest import Invoke, Seeded


def test_create_then_list(invoke: Invoke) -> None:
    result = invoke("experiments", "list")
    assert result.exit_code == 0, result.output
    assert "No experiments yet" in result.stdout

    result = invoke("experiments", "create", "churn", "--tag", "team=growth", "--tag", "q=3")
    assert result.exit_code == 0, result.output
    assert "Created experiment churn" in result.stdout

    listed = json.loads(invoke("experiments", "list", "--json").stdout)
    assert [(e["name"], e["tags"]) for e in listed] == [("churn", {"team": "growth", "q": "3"})]
    assert "churn" in invoke("experiments", "list").stdout


def test_create_duplicate_is_an_error_not_a_traceback(invoke: Invoke) -> None:
    assert invoke("experiments", "create", "dup").exit_code == 0
    result = invoke("experiments", "create", "dup")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "dup" in result.stderr
    assert "Traceback" not in result.output


def test_bad_tag_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("experiments", "create", "x", "--tag", "novalue")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_tracking_uri_from_env_root_option_and_command_option(
    invoke: Invoke, seeded: Seeded, tmp_path: Path
) -> None:
    def names(*args: str, env: dict[str, str] | None = None) -> list[str]:
        result = invoke(*args, env=env)
        assert result.exit_code == 0, result.output
        return [e["name"] for e in json.loads(result.stdout)]

    assert names("experiments", "list", "--json") == []  # the empty home store
    assert names("experiments", "list", "--json", env={"MLSTEWARD_TRACKING_URI": seeded.uri}) == [
        "demo"
    ]
    assert names("--tracking-uri", seeded.uri, "experiments", "list", "--json") == ["demo"]
    other = str(tmp_path / "other.db")
    Client(other).create_experiment("elsewhere")
    # The command's own option beats the root one and the environment.
    assert names(
        "-t",
        seeded.uri,
        "experiments",
        "list",
        "--json",
        "-t",
        other,
        env={"MLSTEWARD_TRACKING_URI": seeded.uri},
    ) == ["elsewhere"]


def test_version_and_help(invoke: Invoke) -> None:
    from mlsteward import __version__

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mlsteward {__version__}"
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("quickstart", "server", "sync", "experiments", "runs", "artifacts", "db"):
        assert command in result.stdout
    assert invoke().exit_code == 2  # no command: help, as a usage error
    assert invoke("nope").exit_code == 2
