"""How a server with authentication starts and what it sends: --no-auth only on loopback,
the first admin's token printed once, CORS closed unless an origin is named, and no token
in its logs."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mlsteward.testing.server_process import (
    ADMIN_TOKEN_LINE,
    ServerProcess,
    cli_server,
    free_port,
    running_server,
)

pytestmark = pytest.mark.server

_REFUSE_TIMEOUT_S = 90
TOKEN = re.compile(r"mls_[A-Za-z0-9_-]{20,}")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSTEWARD_")}
    env.update(MLSTEWARD_HOME=str(tmp_path / "home"), NO_COLOR="1", COLUMNS="200")
    return env


def _refused_start(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "mlsteward.interfaces.rest.server",
        "--port",
        str(free_port()),
        "--store-uri",
        str(tmp_path / "mlsteward.db"),
        "--artifacts-uri",
        str(tmp_path / "artifacts"),
        "--no-monitor-scheduler",
        *args,
    ]
    try:
        return subprocess.run(
            command,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=_REFUSE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the server started instead of refusing:\n{expired.stderr!r}")


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_no_auth_is_refused_on_an_address_others_can_reach(tmp_path: Path, host: str) -> None:
    finished = _refused_start(tmp_path, "--host", host, "--no-auth")
    assert finished.returncode == 2, finished.stderr
    assert "WARNING: authentication is off" in finished.stderr
    assert "--no-auth is refused" in finished.stderr
    assert "loopback" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "mlsteward.db").exists()  # refused before touching the store


def test_the_cli_refuses_no_auth_on_every_address_too(tmp_path: Path) -> None:
    entry = "from mlsteward.interfaces.cli.main import main; main()"
    command = [sys.executable, "-c", entry, "server", "--host", "0.0.0.0", "--no-auth"]
    command += ["--port", str(free_port()), "--store-uri", str(tmp_path / "mlsteward.db")]
    finished = subprocess.run(
        command, env=_env(tmp_path), capture_output=True, text=True, timeout=_REFUSE_TIMEOUT_S
    )
    assert finished.returncode == 1, finished.stderr
    assert "--no-auth is refused" in finished.stderr
    assert "mlsteward server on" not in finished.stderr + finished.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--default-role", "owner"], "--default-role must be one of"),
        (["--cors-origin", "*"], "is not an origin"),
        (["--cors-origin", "https://ui.example/app"], "is not an origin"),
        (["--oidc-issuer", "http://idp.example", "--oidc-client-id", "x"], "https://"),
        (["--oidc-issuer", "https://idp.example"], "--oidc-client-id"),
    ],
)
def test_malformed_auth_options_refuse_the_start(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    finished = _refused_start(tmp_path, *args)
    assert finished.returncode == 2, finished.stderr
    assert needle in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_first_start_prints_the_admin_token_once(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "mlsteward.db",
        tmp_path / "artifacts",
        auth=True,
        extra_args=["--audit-key-file", str(tmp_path / "key.pem")],
        env={"MLSTEWARD_HOME": str(tmp_path / "home")},
    )
    with server:
        first = server.output()
        token = server.admin_token
        assert token is not None, first
        found = ADMIN_TOKEN_LINE.search(first)
        assert found is not None and found.group(1) == "admin"
        api = f"{server.url}/api/v1"
        me = httpx.get(f"{api}/auth/whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "admin"
    with server:  # the same store again: an admin exists, nothing is created or printed
        second = server.output()[len(first) :]
        assert "Created admin user" not in second
        assert token not in second
        me = httpx.get(f"{api}/auth/whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
    assert server.output().count("Created admin user") == 1
    shutil.rmtree(server.log_path.parent, ignore_errors=True)


def test_cors_is_closed_unless_an_origin_is_named(tmp_path: Path) -> None:
    allowed, other = "https://ui.example.com", "https://evil.example.net"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with running_server(tmp_path / "closed.db", tmp_path / "artifacts", auth=True) as closed:
        answer = httpx.options(
            f"{closed}/api/v1/experiments", headers={**preflight, "Origin": allowed}
        )
        assert "access-control-allow-origin" not in answer.headers
        plain = httpx.get(f"{closed}/healthz", headers={"Origin": allowed})
        assert "access-control-allow-origin" not in plain.headers
    with running_server(
        tmp_path / "open.db",
        tmp_path / "artifacts",
        auth=True,
        extra_args=["--cors-origin", allowed],
    ) as opened:
        answer = httpx.options(
            f"{opened}/api/v1/experiments", headers={**preflight, "Origin": allowed}
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == allowed
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in answer.headers
        refused = httpx.options(
            f"{opened}/api/v1/experiments", headers={**preflight, "Origin": other}
        )
        assert refused.headers.get("access-control-allow-origin") != other
        simple = httpx.get(f"{opened}/healthz", headers={"Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed


def test_tokens_never_appear_in_the_server_s_output(tmp_path: Path) -> None:
    """The server's whole output (access log on), after sign-ins of every kind, successful
    and not, holds no token but the bootstrap one, on its own line."""
    log_path = tmp_path / "server.log"
    args = ["--store-uri", str(tmp_path / "mlsteward.db")]
    args += ["--artifacts-uri", str(tmp_path / "artifacts")]
    args += ["--audit-key-file", str(tmp_path / "key.pem"), "--no-monitor-scheduler"]
    with cli_server(args, env=_env(tmp_path), log_path=log_path, auth=True) as url:
        found = ADMIN_TOKEN_LINE.search(log_path.read_text())
        assert found is not None, log_path.read_text()
        bootstrap = found.group(2)
        api = f"{url}/api/v1"
        admin = {"Authorization": f"Bearer {bootstrap}"}
        password = "a-long-password-for-bob"
        assert httpx.post(
            f"{api}/users", json={"name": "bob", "password": password}, headers=admin
        ).is_success
        secrets = [bootstrap]
        login = httpx.post(f"{api}/auth/login", json={"name": "bob", "password": password})
        assert login.status_code == 201, login.text
        secrets.append(login.json()["secret"])
        made = httpx.post(f"{api}/tokens", json={"name": "ci"}, headers=admin)
        secrets.append(made.json()["secret"])
        session = httpx.post(f"{api}/auth/session", json={"name": "bob", "password": password})
        secrets.append(session.cookies["mlsteward_session"])
        for secret in secrets:
            httpx.get(f"{api}/experiments", headers={"Authorization": f"Bearer {secret}"})
            basic = base64.b64encode(f"bob:{secret}".encode()).decode()
            httpx.get(f"{api}/experiments", headers={"Authorization": f"Basic {basic}"})
        wrong = "mls_" + "W" * 43
        httpx.get(f"{api}/experiments", headers={"Authorization": f"Bearer {wrong}"})
        httpx.post(f"{api}/auth/login", json={"name": "bob", "password": "wrong-password-1"})
        httpx.post(f"{api}/auth/login", json={"name": "bob", "password": wrong})
    output = log_path.read_text()
    assert "GET /api/v1/experiments" in output  # the access log was on
    lines_with_bootstrap = [line for line in output.splitlines() if bootstrap in line]
    assert len(lines_with_bootstrap) == 1 and "shown once" in lines_with_bootstrap[0]
    for secret in [*secrets[1:], wrong, password, "wrong-password-1"]:
        assert secret not in output, f"a secret reached the log:\n{output}"
    assert len(TOKEN.findall(output)) == 1
