"""The SDK on a local store with a token: calls act as the token's owner under the role
policy; without one the OS user owns the store. The audit log's export verifies offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsteward import Client
from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.domain.identity import PrincipalKind, Role
from mlsteward.interfaces.sdk.audit_calls import verify_audit_export
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV, save_token
from mlsteward.interfaces.sdk.sign_in import create_admin_on_store

PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}"


@pytest.fixture
def admin_token(store: str) -> str:
    _, secret = create_admin_on_store(store, "root", password=PASSWORD)
    return secret


def test_without_a_token_the_os_user_owns_the_store(store: str, admin_token: str) -> None:
    me = Client(store, user="ada").identity().whoami()
    assert me.kind is PrincipalKind.LOCAL
    assert me.name == "ada"


def test_with_a_token_calls_act_as_its_owner(store: str, admin_token: str) -> None:
    admin = Client(store, token=admin_token).identity()
    me = admin.whoami()
    assert (me.name, me.kind) == ("root", PrincipalKind.USER)
    assert [grant.role for grant in me.grants] == [Role.ADMIN]

    admin.create_user("bob", password=PASSWORD)
    admin.add_grant("bob", "viewer")
    _, reader = admin.create_token("reader", user="bob", read_only=True)

    bob = Client(store, token=reader)
    assert bob.identity().whoami().read_only
    with pytest.raises(PermissionDeniedError, match="read-only"):
        bob.create_experiment("not allowed")
    with pytest.raises(PermissionDeniedError):
        bob.identity().list_users()


def test_a_token_revoked_meanwhile_stops_working_in_the_same_program(
    store: str, admin_token: str
) -> None:
    admin = Client(store, token=admin_token).identity()
    admin.create_user("bob", password=PASSWORD)
    token, secret = admin.create_token("short-lived", user="bob")
    bob = Client(store, token=secret)
    assert bob.identity().whoami().name == "bob"
    bob.identity().revoke_token(token.token_id)
    with pytest.raises(UnauthenticatedError):
        bob.identity().whoami()


def test_the_credentials_file_and_the_environment_give_the_token(
    store: str, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = Client(store, token=admin_token).identity()
    admin.create_user("bob", password=PASSWORD)
    _, bobs = admin.create_token("bobs", user="bob")

    save_token(store, admin_token)
    assert Client(store).identity().whoami().name == "root"
    monkeypatch.setenv(TOKEN_ENV, bobs)
    assert Client(store).identity().whoami().name == "bob"
    assert Client(store, token=admin_token).identity().whoami().name == "root"


def test_an_unknown_token_is_refused_without_being_echoed(store: str, admin_token: str) -> None:
    with pytest.raises(UnauthenticatedError) as caught:
        Client(store, token="mls_not-a-real-token")
    assert "mls_not-a-real-token" not in str(caught.value)


def test_login_and_password_change_on_a_local_store(store: str, admin_token: str) -> None:
    admin = Client(store, token=admin_token).identity()
    admin.create_user("bob", password=PASSWORD)
    token, secret = Client(store).identity().login("bob", PASSWORD, expires_in_days=1)
    assert token.expires_at_ms is not None
    bob = Client(store, token=secret).identity()
    with pytest.raises(PermissionDeniedError):
        bob.update_user("bob", password="another long password", current_password="wrong one!!")
    bob.update_user("bob", password="another long password", current_password=PASSWORD)
    with pytest.raises(UnauthenticatedError):
        Client(store).identity().login("bob", PASSWORD)
    assert [t.token_id for t in bob.list_tokens()] == [token.token_id]
    revoked = bob.revoke_token(token.token_id)
    assert revoked.revoked_at_ms is not None


def test_audit_export_verifies_offline_and_a_tampered_line_is_caught(
    store: str, admin_token: str, tmp_path: Path
) -> None:
    sdk = Client(store, token=admin_token)
    experiment_id = sdk.create_experiment("audited")
    sdk.set_experiment_tag(experiment_id, "team", "risk")
    audit = sdk.audit()
    records = list(audit.records(page_size=1))
    assert [r.operation for r in records][-2:] == [
        "tracking.create_experiment",
        "tracking.set_experiment_tag",
    ]
    assert all(r.actor == "root" for r in records)
    assert [r.seq for r in audit.records(after_seq=1, limit=1)] == [2]

    export = audit.export(tmp_path / "audit.jsonl")
    pem = audit.public_key().public_key_pem
    good = verify_audit_export(export, pem)
    assert good.ok, good.message
    assert good.checked == len(records)

    lines = export.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"tracking.create_experiment"' in line)
    edited = json.loads(lines[index])
    edited["actor"] = "mallory"
    lines[index] = json.dumps(edited)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    bad = verify_audit_export(tampered, pem)
    assert not bad.ok
    assert bad.first_bad_seq == edited["seq"]
    assert audit.verify().ok  # the stored chain itself is untouched
