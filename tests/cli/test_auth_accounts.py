"""``mlsteward users``, ``tokens`` and ``grants`` on a store, signed in with a token."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV, credentials_path
from mlsteward.interfaces.sdk.tracking_uri import close_backends

PASSWORD = "a long enough password"
SECRET = re.compile(r"mls_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}"


def run(*args: str, token: str | None = None, input: str | None = None) -> Result:
    env = {TOKEN_ENV: token} if token else None
    return CliRunner().invoke(app, list(args), input=input, env=env)


@pytest.fixture
def admin(store: str) -> str:
    """``users create-admin`` on the store: the admin token it printed."""
    result = run("users", "create-admin", "root", "--store-uri", store)
    assert result.exit_code == 0, result.output + result.stderr
    secrets = SECRET.findall(result.stdout)
    assert len(secrets) == 1  # shown once
    assert "shown only this once" in result.stderr
    return secrets[0]


def test_create_admin_prints_a_working_token_once(store: str, admin: str) -> None:
    me = run("whoami", "-t", store, "--json", token=admin)
    assert me.exit_code == 0, me.stderr
    assert json.loads(me.stdout)["name"] == "root"
    assert json.loads(me.stdout)["grants"][0]["role"] == "admin"
    assert not credentials_path().exists()  # nothing kept without a login


def test_tokens_create_shows_the_secret_once_and_list_never(store: str, admin: str) -> None:
    created = run("tokens", "create", "-t", store, "--name", "ci", "--read-only", token=admin)
    assert created.exit_code == 0, created.stderr
    secrets = SECRET.findall(created.stdout)
    assert len(secrets) == 1
    secret = secrets[0]
    assert "shown only this once" in created.stderr

    listed = run("tokens", "list", "-t", store, token=admin)
    assert listed.exit_code == 0, listed.stderr
    assert "ci" in listed.stdout and "read-only" in listed.stdout
    as_json = run("tokens", "list", "-t", store, "--json", token=admin)
    records = json.loads(as_json.stdout)
    assert {r["name"] for r in records} == {"bootstrap", "ci"}
    for output in (listed.stdout, as_json.stdout):
        assert secret not in output
        assert admin not in output
        assert not SECRET.search(output)

    reader = run("whoami", "-t", store, "--json", token=secret)
    assert json.loads(reader.stdout)["read_only"] is True
    refused = run("experiments", "create", "nope", "-t", store, token=secret)
    assert refused.exit_code == 1
    assert "read-only" in refused.stderr

    token_id = next(r["token_id"] for r in records if r["name"] == "ci")
    revoked = run("tokens", "revoke", token_id, "-t", store, token=admin)
    assert revoked.exit_code == 0, revoked.stderr
    close_backends()  # each command is a program of its own
    gone = run("whoami", "-t", store, token=secret)
    assert gone.exit_code == 1
    assert secret not in gone.stderr


def test_users_and_grants(store: str, admin: str) -> None:
    created = run(
        "users", "create", "bob", "-t", store, input=f"{PASSWORD}\n{PASSWORD}\n", token=admin
    )
    assert created.exit_code == 0, created.stderr
    assert PASSWORD not in created.output
    service = run("users", "create", "ci-bot", "--service", "-t", store, "--json", token=admin)
    assert json.loads(service.stdout)["kind"] == "service"

    users = json.loads(run("users", "list", "-t", store, "--json", token=admin).stdout)
    assert [u["name"] for u in users] == ["bob", "ci-bot", "root"]
    assert "password" not in json.dumps(users).replace("has_password", "")

    run("experiments", "create", "shared", "-t", store, token=admin)
    added = run(
        "grants",
        "add",
        "bob",
        "contributor",
        "--experiment",
        "shared",
        "-t",
        store,
        "--json",
        token=admin,
    )
    assert added.exit_code == 0, added.stderr
    grant = json.loads(added.stdout)
    assert (grant["role"], grant["resource_kind"]) == ("contributor", "experiment")
    both = run(
        "grants", "add", "bob", "viewer", "--model", "m", "--dataset", "d", "-t", store, token=admin
    )
    assert both.exit_code == 1 and "at most one" in both.stderr

    listed = json.loads(
        run("grants", "list", "--user", "bob", "-t", store, "--json", token=admin).stdout
    )
    assert [g["grant_id"] for g in listed] == [grant["grant_id"]]
    removed = run("grants", "remove", grant["grant_id"], "-t", store, token=admin)
    assert removed.exit_code == 0, removed.stderr
    assert (
        json.loads(run("grants", "list", "-u", "bob", "-t", store, "--json", token=admin).stdout)
        == []
    )

    disabled = run("users", "disable", "bob", "-t", store, token=admin)
    assert "disabled" in disabled.stdout
    shown = json.loads(run("users", "show", "bob", "-t", store, "--json", token=admin).stdout)
    assert shown["active"] is False
    run("users", "enable", "bob", "-t", store, token=admin)

    login = run("login", "-t", store, "-u", "bob", input=PASSWORD + "\n")
    assert login.exit_code == 0, login.stderr
    new = "another long password"
    changed = run("users", "set-password", "-t", store, input=f"{PASSWORD}\n{new}\n{new}\n")
    assert changed.exit_code == 0, changed.stderr
    assert PASSWORD not in changed.output and new not in changed.output
    assert run("login", "-t", store, "-u", "bob", input=PASSWORD + "\n").exit_code == 1
    assert run("login", "-t", store, "-u", "bob", input=new + "\n").exit_code == 0


def test_a_weak_password_is_refused_without_being_shown(store: str, admin: str) -> None:
    weak = "pw-2-weak"
    result = run("users", "create", "eve", "-t", store, input=f"{weak}\n{weak}\n", token=admin)
    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert weak not in result.output + result.stderr
