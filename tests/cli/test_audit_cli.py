"""``mlsteward audit``: list, export, verify (on the store and offline), public key, prune."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward import Client
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV
from mlsteward.interfaces.sdk.sign_in import create_admin_on_store


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A store with a few audited changes (made by an admin; the commands act as the
    store's owner)."""
    uri = f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}"
    _, secret = create_admin_on_store(uri, "root")
    sdk = Client(uri, token=secret)
    experiment_id = sdk.create_experiment("audited")
    sdk.set_experiment_tag(experiment_id, "team", "risk")
    sdk.create_experiment("other")
    return uri


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_list_filters_and_json(store: str) -> None:
    every = json.loads(run("audit", "list", "-t", store, "--json").stdout)
    operations = [record["operation"] for record in every]
    assert operations.count("tracking.create_experiment") == 2
    assert [record["seq"] for record in every] == sorted(record["seq"] for record in every)

    tags = run("audit", "list", "-t", store, "--operation", "tracking.set_experiment_tag", "--json")
    assert [record["operation"] for record in json.loads(tags.stdout)] == [
        "tracking.set_experiment_tag"
    ]
    limited = json.loads(run("audit", "list", "-t", store, "--limit", "1", "--json").stdout)
    assert len(limited) == 1
    future = json.loads(run("audit", "list", "-t", store, "--since", "2999-01-01", "--json").stdout)
    assert future == []
    recent = json.loads(run("audit", "list", "-t", store, "--since", "1h", "--json").stdout)
    assert len(recent) == len(every)

    table = run("audit", "list", "-t", store, "--actor", "root")
    assert table.exit_code == 0, table.stderr
    assert "tracking.create_experiment" in table.stdout

    bad = run("audit", "list", "-t", store, "--since", "last tuesday")
    assert bad.exit_code == 1
    assert "--since" in bad.stderr


def test_export_verifies_offline_and_a_tampered_line_exits_1(store: str, tmp_path: Path) -> None:
    export = tmp_path / "audit.jsonl"
    exported = run("audit", "export", "-t", store, "--out", str(export))
    assert exported.exit_code == 0, exported.stderr
    key = tmp_path / "audit-key.pem"
    written = run("audit", "public-key", "-t", store, "--out", str(key))
    assert written.exit_code == 0, written.stderr
    assert key.read_text().startswith("-----BEGIN PUBLIC KEY-----")

    good = run("audit", "verify", "--file", str(export), "--public-key", str(key))
    assert good.exit_code == 0, good.stderr
    assert "intact" in good.stdout

    lines = export.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "tracking.set_experiment_tag" in line)
    record = json.loads(lines[index])
    record["resource_name"] = "someone else's experiment"
    lines[index] = json.dumps(record)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")

    caught = run("audit", "verify", "--file", str(tampered), "--public-key", str(key))
    assert caught.exit_code == 1
    assert f"broken at record {record['seq']}" in caught.stderr
    assert "someone else's experiment" in caught.stderr  # the first bad record, shown

    as_json = run("audit", "verify", "-f", str(tampered), "--public-key", key.read_text(), "--json")
    assert as_json.exit_code == 1
    result = json.loads(as_json.stdout)
    assert (result["ok"], result["first_bad_seq"]) == (False, record["seq"])

    dropped = tmp_path / "dropped.jsonl"
    dropped.write_text("\n".join(lines[:index] + lines[index + 1 :]) + "\n")
    assert run("audit", "verify", "-f", str(dropped), "--public-key", str(key)).exit_code == 1


def test_verify_checkpoint_and_prune_on_the_store(store: str) -> None:
    verified = run("audit", "verify", "-t", store)
    assert verified.exit_code == 0, verified.stderr
    assert "intact" in verified.stdout

    signed = run("audit", "checkpoint", "-t", store)
    assert signed.exit_code == 0, signed.stderr
    assert "Signed checkpoint at record" in signed.stdout

    too_soon = run("audit", "prune", "-t", store, "--older-than-days", "30", "--yes")
    assert too_soon.exit_code == 1
    assert "183" in too_soon.stderr
    kept = run("audit", "prune", "-t", store, "--older-than-days", "365", "--yes")
    assert kept.exit_code == 0, kept.stderr
    assert "Pruned 0 audit records" in kept.stdout


def test_offline_verify_needs_the_public_key(tmp_path: Path) -> None:
    export = tmp_path / "audit.jsonl"
    export.write_text("")
    result = run("audit", "verify", "--file", str(export))
    assert result.exit_code == 1
    assert "--public-key" in result.stderr
