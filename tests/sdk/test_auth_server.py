"""The SDK against a real server that signs people in: the token travels on every request
(JSON calls, uploads, downloads, spooled changes), a missing or bad one is a clear 401 that
never echoes it, and identity and audit calls work over HTTP as they do locally."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Client
from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.domain.identity import PrincipalKind
from mlsteward.interfaces.sdk.audit_calls import verify_audit_export
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV, save_token
from mlsteward.interfaces.sdk.spool import LOG_BATCH, Spool, deliver_spooled
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = pytest.mark.server

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    root = tmp_path_factory.mktemp("auth-server")
    with running_server(root / "store", root / "artifacts", auth=True) as url:
        assert url.admin_token, url.server.log_tail()
        yield url


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def admin(server: ServerURL) -> Client:
    assert server.admin_token is not None
    return Client(server, token=server.admin_token)


@pytest.fixture
def person(admin: Client) -> tuple[str, str]:
    """A new account with a password and contributor rights: (name, token secret)."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    admin.identity().create_user(name, password=PASSWORD)
    admin.identity().add_grant(name, "contributor")
    _, secret = admin.identity().create_token("tests", user=name)
    return name, secret


def test_without_a_token_the_server_asks_to_sign_in(server: ServerURL) -> None:
    with pytest.raises(UnauthenticatedError, match="mlsteward login") as caught:
        Client(server).search_experiments()
    assert caught.value.http_status == 401


def test_a_bad_token_is_refused_and_never_echoed(server: ServerURL) -> None:
    secret = "mls_" + "x" * 43
    with pytest.raises(UnauthenticatedError) as caught:
        Client(server, token=secret).search_experiments()
    assert secret not in str(caught.value)
    assert "mlsteward login" in str(caught.value)


def test_the_token_comes_from_the_argument_environment_or_file(
    server: ServerURL, person: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, secret = person
    assert Client(server, token=secret).identity().whoami().name == name
    save_token(server, secret)
    me = Client(server).identity().whoami()
    assert (me.name, me.kind) == (name, PrincipalKind.USER)
    monkeypatch.setenv(TOKEN_ENV, "mls_wrong_one_from_env")
    with pytest.raises(UnauthenticatedError):
        Client(server).identity().whoami()


def test_uploads_downloads_and_fluent_logging_carry_the_token(
    server: ServerURL, person: tuple[str, str], tmp_path: Path
) -> None:
    _, secret = person
    save_token(server, secret)  # the fluent API finds it like a script would
    mlsteward.set_tracking_uri(server)
    mlsteward.set_experiment(f"auth-{uuid.uuid4().hex[:8]}")
    with mlsteward.start_run() as run:
        mlsteward.log_metric("loss", 0.5, step=1)
        mlsteward.log_param("lr", "0.1")
        folder = tmp_path / "model"
        folder.mkdir()
        (folder / "weights.bin").write_bytes(b"\x00\x01" * 1000)
        mlsteward.log_artifacts(str(folder), "model")
    sdk = Client(server, token=secret)
    stored = sdk.get_run(run.info.run_id)
    assert stored.data.metrics == {"loss": 0.5}
    copied = Path(sdk.download_artifacts(run.info.run_id, "model", tmp_path / "copy"))
    assert (copied / "weights.bin").read_bytes() == b"\x00\x01" * 1000


def test_spooled_changes_wait_while_the_token_is_refused(
    server: ServerURL, person: tuple[str, str], admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, secret = person
    sdk = Client(server, token=secret)
    experiment_id = sdk.create_experiment(f"spooled-{uuid.uuid4().hex[:8]}")
    run_id = sdk.create_run(experiment_id).info.run_id
    spool = Spool(server)
    batch = {"idempotency_key": uuid.uuid4().hex, "params": [{"key": "p", "value": "1"}]}
    spool.add(run_id, batch, LOG_BATCH)

    monkeypatch.setenv(TOKEN_ENV, "mls_revoked_or_expired")
    assert deliver_spooled(server, wait=5) == 0
    assert len(spool.pending()) == 1 and not spool.rejected()  # kept, not thrown away

    monkeypatch.setenv(TOKEN_ENV, secret)
    assert deliver_spooled(server, wait=5) == 1
    assert sdk.get_run(run_id).data.params == {"p": "1"}


def test_identity_calls_over_http(server: ServerURL, admin: Client) -> None:
    name = f"user-{uuid.uuid4().hex[:8]}"
    identity = admin.identity()
    user = identity.create_user(name, password=PASSWORD, email="someone@example.org")
    assert identity.get_user(name) == user
    assert name in [u.name for u in identity.list_users()]

    token, secret = Client(server).identity().login(name, PASSWORD, token_name="laptop")
    assert token.name == "laptop"
    own = Client(server, token=secret)
    me = own.identity().whoami()
    assert (me.name, me.token_id, me.grants) == (name, token.token_id, [])
    with pytest.raises(PermissionDeniedError):
        own.create_experiment(f"no-rights-{uuid.uuid4().hex[:8]}")

    grant = identity.add_grant(name, "contributor")
    assert grant in identity.list_grants(principal=name)
    own.create_experiment(f"rights-{uuid.uuid4().hex[:8]}")
    assert identity.remove_grant(grant.grant_id) == grant
    assert identity.list_grants(principal=name) == []

    listed = own.identity().list_tokens()
    assert [t.token_id for t in listed] == [token.token_id]
    assert secret not in repr(listed)
    identity.update_user(name, active=False)
    with pytest.raises(UnauthenticatedError):
        Client(server, token=secret).identity().whoami()
    identity.update_user(name, active=True)
    own.identity().revoke_token(token.token_id)
    with pytest.raises(UnauthenticatedError):
        Client(server, token=secret).identity().whoami()


def test_audit_calls_over_http_and_an_export_verified_offline(
    server: ServerURL, admin: Client, person: tuple[str, str], tmp_path: Path
) -> None:
    name, secret = person
    Client(server, token=secret).create_experiment(f"audited-{uuid.uuid4().hex[:8]}")
    audit = admin.audit()
    mine = list(audit.records(actor=name, page_size=1))
    assert [r.operation for r in mine] == ["tracking.create_experiment"]
    everything = list(audit.records(page_size=3))
    assert [r.seq for r in everything] == list(range(1, len(everything) + 1))

    signed = audit.checkpoint()
    assert signed in audit.checkpoints()
    assert audit.verify().ok

    with pytest.raises(PermissionDeniedError):
        list(Client(server, token=secret).audit().records())

    export = audit.export(tmp_path / "audit.jsonl")
    key = audit.public_key()
    result = verify_audit_export(export, key.public_key_pem)
    assert result.ok, result.message
    assert result.checked >= len(everything)
