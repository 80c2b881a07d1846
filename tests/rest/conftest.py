"""One real server process on 127.0.0.1 for the REST tests, and clients to talk to it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mlsteward.testing.server_process import ServerURL, running_server

ExpectError = Callable[[httpx.Response, int, str], str]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    root: Path = tmp_path_factory.mktemp("server")
    # ONNX export loads users' models, which servers only do when told to.
    with running_server(
        root / "mlsteward.db", root / "artifacts", extra_args=["--allow-model-code"]
    ) as url:
        yield url


@pytest.fixture
def api(server_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client on ``/api/v1``: tests see exactly what goes over the wire."""
    with httpx.Client(base_url=f"{server_url}/api/v1", timeout=30) as client:
        yield client


@pytest.fixture
def experiment_id(api: httpx.Client) -> str:
    response = api.post("/experiments", json={"name": f"exp-{uuid.uuid4().hex[:12]}"})
    assert response.status_code == 201, response.text
    return str(response.json()["experiment_id"])


@pytest.fixture
def run_id(api: httpx.Client, experiment_id: str) -> str:
    response = api.post("/runs", json={"experiment_id": experiment_id})
    assert response.status_code == 201, response.text
    return str(response.json()["info"]["run_id"])


@pytest.fixture
def expect_error() -> ExpectError:
    """Check a response is our JSON error with this status and code; return its message."""

    def check(response: httpx.Response, status: int, code: str) -> str:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"error"}
        assert {"code", "message"} <= set(body["error"])  # and the class, and its details
        assert body["error"]["code"] == code, body
        assert "Traceback" not in body["error"]["message"]
        return str(body["error"]["message"])

    return check


# -- servers with authentication (tests/rest/test_auth_*.py) -------------------------------
@dataclass(frozen=True)
class Account:
    """A user made for one test: its name, password and a token signed in with them."""

    name: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    """One server with authentication on (as ``mlsteward server`` starts by default); its
    ``admin_token`` is the bootstrap admin's."""
    root: Path = tmp_path_factory.mktemp("auth-server")
    with running_server(
        root / "mlsteward.db",
        root / "artifacts",
        auth=True,
        extra_args=["--audit-key-file", str(root / "audit-key.pem")],
        env={"MLSTEWARD_HOME": str(root / "home")},
    ) as url:
        assert url.admin_token, url.server.output()
        yield url


@pytest.fixture
def admin(auth_server: ServerURL) -> Iterator[httpx.Client]:
    """A client on ``/api/v1`` signed in as the bootstrap admin."""
    headers = {"Authorization": f"Bearer {auth_server.admin_token}"}
    with httpx.Client(base_url=f"{auth_server}/api/v1", headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def make_account(admin: httpx.Client) -> Callable[..., Account]:
    """Make an account (with ``role`` granted server-wide, if any) and sign it in."""

    def make(role: str | None = "contributor", prefix: str = "user") -> Account:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        password = f"pw-{uuid.uuid4().hex}"
        made = admin.post("/users", json={"name": name, "password": password})
        assert made.status_code == 201, made.text
        if role is not None:
            granted = admin.post("/grants", json={"principal": name, "role": role})
            assert granted.status_code == 201, granted.text
        signed_in = admin.post("/auth/login", json={"name": name, "password": password})
        assert signed_in.status_code == 201, signed_in.text
        return Account(name, password, signed_in.json()["secret"])

    return make
