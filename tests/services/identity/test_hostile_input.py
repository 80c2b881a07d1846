"""Hostile input to every identity operation: SQL-looking names and filters, control
characters, very long names. Each is refused with 400 (or, signing in, with the one answer
every failed sign-in gets) and leaves nothing behind: no account, token, grant or record."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from mlsteward.domain.errors import InvalidArgumentError, UnauthenticatedError
from mlsteward.domain.identity import Principal, Role
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import operations as ops
from mlsteward.services.operations import Operation, dispatch
from mlsteward.testing.operation_doors import RecordingAuditor

from .conftest import PASSWORD, make_user

HOSTILE_NAMES = [
    "x' OR '1'='1",
    "alice'; DROP TABLE users; --",
    'bob" OR ""="',
    "alice\x00",
    "\x00",
    "carol\x07",
    "dave\nadmin",
    "eve\r\n",
    "\u200balice",  # a zero-width space
    "mallory\u202e",  # a right-to-left override
    "a" * 10_000,
    "",
    " ",
    "../../etc/passwd",
    "name:secret",
]
HOSTILE_LABELS = ["\x00", "token\x00name", "tab\tbed", "x" * 10_000, "", "   "]


@pytest.fixture
def server(ctx: ServiceContext) -> Iterator[ServiceContext]:
    """The owner's context with an alice, a token and a grant already there, recording what
    the audit log would be given."""
    make_user(ctx, "alice", Role.VIEWER)
    yield dataclasses.replace(ctx, auditor=RecordingAuditor())


def _snapshot(ctx: ServiceContext) -> tuple[Any, ...]:
    identity = ctx.stores.identity
    return (identity.list_users(), identity.list_tokens(), identity.list_grants())


def _refused(ctx: ServiceContext, operation: Operation[Any, Any], **values: Any) -> None:
    before = _snapshot(ctx)
    with pytest.raises(InvalidArgumentError) as raised:
        dispatch(ctx, operation, operation.make(**values))
    assert raised.value.http_status == 400
    assert _snapshot(ctx) == before
    assert ctx.auditor.events == []  # type: ignore[attr-defined]
    for value in values.values():
        if isinstance(value, str) and len(value) > 1:
            assert value not in raised.value.message or value.isalnum()


def test_hostile_user_names_are_refused_everywhere(server: ServiceContext) -> None:
    for name in HOSTILE_NAMES:
        _refused(server, ops.create_user, name=name, kind="user")
        _refused(server, ops.create_user, name=name, kind="user", password=PASSWORD)
        _refused(server, ops.get_user, name=name)
        _refused(server, ops.update_user, name=name, active=False)
        _refused(server, ops.create_token, name="t", user=name)
        _refused(server, ops.list_tokens, user=name)
        _refused(server, ops.create_grant, principal=name, role="viewer")
        _refused(server, ops.list_grants, principal=name)


def test_hostile_token_names_and_resource_names_are_refused(server: ServiceContext) -> None:
    for label in HOSTILE_LABELS:
        _refused(server, ops.create_token, name=label, user="alice")
        _refused(
            server,
            ops.create_grant,
            principal="alice",
            role="viewer",
            resource_kind="registered_model",
            resource_name=label,
        )
        _refused(server, ops.list_grants, resource_kind="dataset", resource_name=label)


def test_hostile_roles_kinds_ids_and_emails_are_refused(server: ServiceContext) -> None:
    for value in ["x' OR '1'='1", "admin\x00", "a" * 10_000, "ADMIN", ""]:
        _refused(server, ops.create_user, name="newcomer", kind=value)
        _refused(server, ops.create_grant, principal="alice", role=value)
        _refused(
            server,
            ops.create_grant,
            principal="alice",
            role="viewer",
            resource_kind=value,
            resource_name="scorer",
        )
        _refused(server, ops.list_grants, resource_kind=value)
        _refused(server, ops.revoke_token, token_id=value or "x")
        _refused(server, ops.delete_grant, grant_id=value or "x")
    for email in ["x' OR '1'='1", "a@b.c\x00", "a" * 400 + "@x.org", "@x.org"]:
        _refused(server, ops.create_user, name="newcomer", kind="user", email=email)


def test_a_sql_looking_filter_is_data_and_matches_nothing(server: ServiceContext) -> None:
    result = dispatch(
        server,
        ops.list_grants,
        ops.list_grants.make(resource_kind="registered_model", resource_name="x' OR '1'='1"),
    )
    assert result == []
    assert len(server.stores.identity.list_grants()) == 1


def test_signing_in_with_a_hostile_name_is_an_ordinary_failure(server: ServiceContext) -> None:
    anonymous = server.as_principal(Principal.anonymous())
    before = _snapshot(server)
    for number, name in enumerate(HOSTILE_NAMES):
        from_address = dataclasses.replace(anonymous, client_address=f"10.0.0.{number}")
        with pytest.raises(UnauthenticatedError, match="user name or password is not correct"):
            dispatch(from_address, ops.login, ops.login.make(name=name, password=PASSWORD))
    assert _snapshot(server) == before
