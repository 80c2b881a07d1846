"""The declared identity operations: their shape, results that survive the wire unchanged,
and the role policy deciding them through the dispatcher as a server would."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pydantic import ValidationError

from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.domain.identity import Principal, PrincipalKind, Role, User
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import api_tokens
from mlsteward.services.identity import operations as ops
from mlsteward.services.identity.schemas import LoginRequest
from mlsteward.services.identity.whoami import WhoAmI
from mlsteward.services.operations import Operation, ResourceKind, dispatch
from mlsteward.testing.operation_doors import RecordingAuditor

from .conftest import PASSWORD, make_user, principal_of

DECLARED = {
    "identity.login": ("POST", "/auth/login", 201),
    "identity.whoami": ("GET", "/auth/whoami", 200),
    "identity.create_user": ("POST", "/users", 201),
    "identity.list_users": ("GET", "/users", 200),
    "identity.get_user": ("GET", "/users/{name}", 200),
    "identity.update_user": ("PATCH", "/users/{name}", 200),
    "identity.create_token": ("POST", "/tokens", 201),
    "identity.list_tokens": ("GET", "/tokens", 200),
    "identity.revoke_token": ("DELETE", "/tokens/{token_id}", 200),
    "identity.create_grant": ("POST", "/grants", 201),
    "identity.list_grants": ("GET", "/grants", 200),
    "identity.delete_grant": ("DELETE", "/grants/{grant_id}", 200),
}


def test_the_operations_are_declared_as_agreed() -> None:
    got = {op.name: (op.method, op.path, op.status) for op in ops.OPERATIONS}
    assert got == DECLARED
    assert all(op.resource is ResourceKind.USER and op.tag == "Identity" for op in ops.OPERATIONS)
    assert [op.name for op in ops.OPERATIONS if op.public] == ["identity.login"]
    assert [op.name for op in ops.OPERATIONS if op.mutates] == [
        "identity.login",
        "identity.create_user",
        "identity.update_user",
        "identity.create_token",
        "identity.revoke_token",
        "identity.create_grant",
        "identity.delete_grant",
    ]


def test_a_password_never_shows_in_a_validated_request() -> None:
    request = LoginRequest.model_validate({"name": "alice", "password": PASSWORD})
    assert PASSWORD not in repr(request)
    assert PASSWORD not in request.model_dump_json()
    with pytest.raises(ValidationError):
        LoginRequest.model_validate({"name": "alice", "password": PASSWORD, "admin": True})


def _call(ctx: ServiceContext, operation: Operation[Any, Any], **values: Any) -> Any:
    return dispatch(ctx, operation, operation.make(**values))


def _over_the_wire(operation: Operation[Any, Any], result: Any) -> Any:
    assert operation.encode is not None and operation.decode is not None
    return operation.decode(json.loads(json.dumps(operation.encode(result))))


def test_every_result_is_the_same_after_the_wire(ctx: ServiceContext) -> None:
    owner = make_user(ctx, "owner", Role.ADMIN)
    results: dict[str, Any] = {
        "identity.create_user": _call(
            ctx, ops.create_user, name="alice", kind="user", password=PASSWORD, email="a@x.org"
        )
    }
    results["identity.login"] = _call(
        ctx.as_principal(Principal.anonymous()), ops.login, name="alice", password=PASSWORD
    )
    results["identity.create_token"] = _call(ctx, ops.create_token, name="t", read_only=True)
    token_id = results["identity.create_token"][0].token_id
    results["identity.list_users"] = _call(ctx, ops.list_users)
    results["identity.get_user"] = _call(ctx, ops.get_user, name="alice")
    results["identity.update_user"] = _call(ctx, ops.update_user, name="alice", active=False)
    results["identity.list_tokens"] = _call(ctx, ops.list_tokens, user="alice")
    results["identity.revoke_token"] = _call(ctx, ops.revoke_token, token_id=token_id)
    grant = _call(ctx, ops.create_grant, principal="alice", role="viewer")
    results["identity.create_grant"] = grant
    results["identity.list_grants"] = _call(ctx, ops.list_grants)
    results["identity.whoami"] = _call(ctx, ops.whoami)
    results["identity.delete_grant"] = _call(ctx, ops.delete_grant, grant_id=grant.grant_id)
    assert set(results) == set(DECLARED)
    for operation in ops.OPERATIONS:
        assert _over_the_wire(operation, results[operation.name]) == results[operation.name]
    who = results["identity.whoami"]
    assert who == WhoAmI("owner", PrincipalKind.LOCAL, grants=who.grants)
    assert [g.principal for g in who.grants] == [owner.name]
    assert isinstance(results["identity.get_user"], User)


# -- as a server decides ---------------------------------------------------------------------
def _signed_in(ctx: ServiceContext, user: User, token_id: str | None = None) -> ServiceContext:
    return dataclasses.replace(
        ctx.as_principal(principal_of(user, token_id=token_id)), auditor=RecordingAuditor()
    )


def test_a_contributor_manages_their_own_account_and_tokens_only(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", Role.CONTRIBUTOR, password=PASSWORD)
    make_user(ctx, "bob")
    bobs, _ = api_tokens.create_token(ctx, name="b", user="bob")
    mine, _ = api_tokens.create_token(ctx, name="a", user="alice")
    as_alice = _signed_in(ctx, alice, token_id=mine.token_id)

    who = _call(as_alice, ops.whoami)
    assert (who.name, who.kind, who.token_id) == ("alice", PrincipalKind.USER, mine.token_id)
    assert [g.role for g in who.grants] == [Role.CONTRIBUTOR]
    assert _call(as_alice, ops.get_user, name="alice").user_id == alice.user_id
    token, _ = _call(as_alice, ops.create_token, name="laptop")
    assert token.user_id == alice.user_id
    assert {t.name for t in _call(as_alice, ops.list_tokens)} == {"a", "laptop"}
    assert _call(as_alice, ops.revoke_token, token_id=token.token_id).revoked_at_ms
    _call(
        as_alice,
        ops.update_user,
        name="alice",
        password="a new passphrase",
        current_password=PASSWORD,
    )

    for operation, values in [
        (ops.get_user, {"name": "bob"}),
        (ops.create_token, {"name": "t", "user": "bob"}),
        (ops.list_tokens, {"user": "bob"}),
        (ops.revoke_token, {"token_id": bobs.token_id}),
        (ops.update_user, {"name": "bob", "active": False}),
        (ops.create_user, {"name": "mallory", "kind": "user"}),
        (ops.list_users, {}),
        (ops.create_grant, {"principal": "alice", "role": "admin"}),
        (ops.list_grants, {"principal": "alice"}),
    ]:
        with pytest.raises(PermissionDeniedError, match="only an admin"):
            _call(as_alice, operation, **values)
    assert ctx.stores.identity.get_token(bobs.token_id).revoked_at_ms is None  # type: ignore[union-attr]
    assert [g.role for g in ctx.stores.identity.list_grants("alice")] == [Role.CONTRIBUTOR]


def test_an_admin_manages_every_account_and_grant(ctx: ServiceContext) -> None:
    boss = make_user(ctx, "boss", Role.ADMIN)
    as_boss = _signed_in(ctx, boss)
    bob = _call(as_boss, ops.create_user, name="bob", kind="user")
    grant = _call(as_boss, ops.create_grant, principal="bob", role="viewer")
    token, _ = _call(as_boss, ops.create_token, name="t", user="bob")
    assert token.user_id == bob.user_id
    assert _call(as_boss, ops.revoke_token, token_id=token.token_id).revoked_at_ms
    assert _call(as_boss, ops.delete_grant, grant_id=grant.grant_id) == grant
    recorded = [e.operation for e in as_boss.auditor.events]  # type: ignore[attr-defined]
    assert recorded == [
        "identity.create_user",
        "identity.create_grant",
        "identity.create_token",
        "identity.revoke_token",
        "identity.delete_grant",
    ]


def test_nobody_signed_in_may_only_sign_in(ctx: ServiceContext) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    anonymous = ctx.as_principal(Principal.anonymous())
    for operation, values in [
        (ops.whoami, {}),
        (ops.list_users, {}),
        (ops.create_token, {"name": "t", "user": "alice"}),
        (ops.get_user, {"name": "alice"}),
    ]:
        with pytest.raises(UnauthenticatedError, match="Sign in first"):
            _call(anonymous, operation, **values)
    token, _ = _call(anonymous, ops.login, name="alice", password=PASSWORD)
    assert token.name == "login"


def test_a_read_only_token_reads_but_changes_nothing(ctx: ServiceContext) -> None:
    boss = make_user(ctx, "boss", Role.ADMIN)
    read_only = ctx.as_principal(principal_of(boss, read_only=True))
    assert [u.name for u in _call(read_only, ops.list_users)] == ["boss"]
    with pytest.raises(PermissionDeniedError, match="read-only"):
        _call(read_only, ops.create_token, name="t")
    with pytest.raises(PermissionDeniedError, match="read-only"):
        _call(read_only, ops.create_user, name="bob", kind="user")
    assert ctx.stores.identity.count_users() == 1


def test_a_read_only_token_may_revoke_itself_and_nothing_else(ctx: ServiceContext) -> None:
    viewer = make_user(ctx, "viewer", Role.VIEWER)
    own, _ = api_tokens.issue_token(ctx, viewer, "ci", 30.0, read_only=True)
    other, _ = api_tokens.issue_token(ctx, viewer, "laptop", 30.0, read_only=True)
    signed_in = ctx.as_principal(principal_of(viewer, read_only=True, token_id=own.token_id))
    with pytest.raises(PermissionDeniedError, match="read-only"):
        _call(signed_in, ops.revoke_token, token_id=other.token_id)
    revoked = _call(signed_in, ops.revoke_token, token_id=own.token_id)
    assert revoked.revoked_at_ms is not None
    assert ctx.stores.identity.get_token(other.token_id).revoked_at_ms is None
