"""``mlsteward login``, ``whoami`` and ``logout`` against a real server that signs people in."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward import Client
from mlsteward.domain.errors import UnauthenticatedError
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV, credentials_path
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = pytest.mark.server

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    root = tmp_path_factory.mktemp("login-server")
    with running_server(root / "store", root / "artifacts", auth=True) as url:
        assert url.admin_token, url.server.log_tail()
        yield url


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def account(server: ServerURL) -> str:
    """A new account with a password and a viewer grant."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    identity = Client(server, token=server.admin_token).identity()
    identity.create_user(name, password=PASSWORD)
    identity.add_grant(name, "viewer")
    return name


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def test_a_wrong_password_fails_clearly_and_keeps_nothing(server: ServerURL, account: str) -> None:
    result = run("login", "--tracking-uri", server, "--user", account, input="wrong password!!\n")
    assert result.exit_code == 1
    assert "Error:" in result.stderr
    assert "password" in result.stderr.lower()
    assert "wrong password!!" not in result.output + result.stderr
    assert not credentials_path().exists()


def test_login_keeps_the_token_0600_and_never_prints_it(server: ServerURL, account: str) -> None:
    result = run("login", "--tracking-uri", server, "--user", account, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"as {account}" in result.stdout
    assert PASSWORD not in result.output

    path = credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert list(kept) == [str(server)]
    secret = kept[str(server)]
    assert secret not in result.output + result.stderr

    whoami = run("whoami", "--tracking-uri", server, "--json")
    assert whoami.exit_code == 0, whoami.stderr
    me = json.loads(whoami.stdout)
    assert me["name"] == account
    assert [grant["role"] for grant in me["grants"]] == ["viewer"]
    assert secret not in whoami.stdout


def test_login_prompts_for_the_user_name_too(server: ServerURL, account: str) -> None:
    result = run("login", "--tracking-uri", server, input=f"{account}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.stderr
    assert "Password" in result.output
    assert PASSWORD not in result.output  # typed hidden
    assert run("whoami", "--tracking-uri", server).stdout.startswith(account)


def test_login_with_a_token_from_stdin(server: ServerURL, account: str) -> None:
    identity = Client(server, token=server.admin_token).identity()
    _, secret = identity.create_token("ci", user=account)

    refused = run("login", "--tracking-uri", server, "--with-token", input="mls_unknown\n")
    assert refused.exit_code == 1
    assert "mls_unknown" not in refused.output + refused.stderr
    assert not credentials_path().exists()

    result = run("login", "--tracking-uri", server, "--with-token", input=secret + "\n")
    assert result.exit_code == 0, result.stderr
    assert account in result.stdout
    assert secret not in result.output
    assert json.loads(credentials_path().read_text()) == {str(server): secret}


def test_logout_revokes_the_token_and_forgets_it(server: ServerURL, account: str) -> None:
    assert run("login", "-t", server, "-u", account, input=PASSWORD + "\n").exit_code == 0
    secret = json.loads(credentials_path().read_text())[str(server)]

    result = run("logout", "--tracking-uri", server)
    assert result.exit_code == 0, result.stderr
    assert "revoked" in result.stdout
    assert json.loads(credentials_path().read_text()) == {}
    with pytest.raises(UnauthenticatedError):
        Client(server, token=secret).identity().whoami()

    again = run("logout", "--tracking-uri", server)
    assert again.exit_code == 0
    assert "Not signed in" in again.stdout


def test_commands_without_a_login_say_how_to_sign_in(server: ServerURL) -> None:
    result = run("experiments", "list", "--tracking-uri", server)
    assert result.exit_code == 1
    assert "mlsteward login" in result.stderr


def test_logout_forgets_the_token_when_the_server_is_gone(tmp_path: Path) -> None:
    from mlsteward.interfaces.sdk.credentials import save_token
    from mlsteward.testing.server_process import free_port

    gone = f"http://127.0.0.1:{free_port()}"
    save_token(gone, "mls_kept_for_a_server_that_is_down")
    result = run("logout", "--tracking-uri", gone)
    assert result.exit_code == 0, result.stderr
    assert "could not be reached" in result.stderr
    assert json.loads(credentials_path().read_text()) == {}
