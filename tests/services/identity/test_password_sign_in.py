"""Signing in with a password: one answer for every failure, and lockouts per user name and
per address that hold even when the request's transaction is rolled back."""

from __future__ import annotations

import dataclasses

import pytest

from mlsteward.domain.errors import TooManyAttemptsError, UnauthenticatedError
from mlsteward.domain.identity import Principal, PrincipalKind
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, login
from mlsteward.services.identity import operations as ops
from mlsteward.services.identity.authentication import (
    TOO_MANY_ATTEMPTS,
    WRONG_PASSWORD,
    Authenticator,
)
from mlsteward.services.operations import dispatch
from mlsteward.testing.operation_doors import RecordingAuditor

from .conftest import PASSWORD, Clock, make_user

WRONG = "this is not the password"


def _fail(authenticator: Authenticator, name: str, address: str | None = "10.0.0.1") -> str:
    with pytest.raises(UnauthenticatedError) as raised:
        authenticator.authenticate_password(name, WRONG, address)
    return str(raised.value)


def test_the_right_password_signs_in_as_the_account(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", password=PASSWORD)
    principal = Authenticator(ctx.stores).authenticate_password("Alice", PASSWORD, "10.0.0.1")
    assert principal == Principal("alice", PrincipalKind.USER, user_id=alice.user_id)


def test_every_failure_says_the_same_thing(ctx: ServiceContext) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    make_user(ctx, "nopass")
    accounts.create_user(ctx, "robot", kind="service")
    make_user(ctx, "gone", password=PASSWORD)
    accounts.update_user(ctx, "gone", active=False)
    authenticator = Authenticator(ctx.stores)
    messages = {
        _fail(authenticator, "alice"),  # wrong password
        _fail(authenticator, "nobody"),  # no such account
        _fail(authenticator, "nopass"),  # no password set
        _fail(authenticator, "robot"),  # a service account
        _fail(authenticator, "x' OR '1'='1"),  # no account can be called that
    }
    with pytest.raises(UnauthenticatedError) as raised:
        authenticator.authenticate_password("gone", PASSWORD, None)  # disabled, right password
    messages.add(str(raised.value))
    assert messages == {WRONG_PASSWORD}


@pytest.mark.parametrize("name", ["alice", "nobody"])
def test_five_failures_lock_a_name_out_whether_or_not_it_exists(
    ctx: ServiceContext, clock: Clock, name: str
) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    authenticator = Authenticator(ctx.stores, clock=clock)
    for attempt in range(5):
        _fail(authenticator, name.upper(), address=f"10.0.0.{attempt}")
    with pytest.raises(TooManyAttemptsError) as raised:
        authenticator.authenticate_password(name, PASSWORD, "10.9.9.9")  # even the right one
    assert str(raised.value) == TOO_MANY_ATTEMPTS
    clock.advance(seconds=15 * 60 + 0.001)  # the failures age out of the window
    if name == "alice":
        assert authenticator.authenticate_password(name, PASSWORD, "10.9.9.9").name == "alice"
    else:
        _fail(authenticator, name)


def test_four_failures_then_success_clears_the_names_count(
    ctx: ServiceContext, clock: Clock
) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    authenticator = Authenticator(ctx.stores, clock=clock)
    for _ in range(4):
        _fail(authenticator, "alice", address=None)
    authenticator.authenticate_password("alice", PASSWORD, None)
    for _ in range(4):
        _fail(authenticator, "alice", address=None)
    assert authenticator.authenticate_password("alice", PASSWORD, None).name == "alice"


def test_twenty_failures_from_an_address_lock_it_out_for_every_name(
    ctx: ServiceContext, clock: Clock
) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    authenticator = Authenticator(ctx.stores, clock=clock)
    for attempt in range(20):
        _fail(authenticator, f"guess{attempt}", address="192.0.2.7")
    with pytest.raises(TooManyAttemptsError):
        authenticator.authenticate_password("alice", PASSWORD, "192.0.2.7")
    assert authenticator.authenticate_password("alice", PASSWORD, "192.0.2.8").name == "alice"


def test_the_count_is_shared_by_every_process_through_the_store(
    ctx: ServiceContext, clock: Clock
) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    for _ in range(5):
        _fail(Authenticator(ctx.stores, clock=clock), "alice")  # a fresh process each time
    with pytest.raises(TooManyAttemptsError):
        Authenticator(ctx.stores, clock=clock).authenticate_password("alice", PASSWORD, None)


def test_sign_in_issues_an_expiring_token_from_the_callers_address(
    ctx: ServiceContext, clock: Clock
) -> None:
    alice = make_user(ctx, "alice", password=PASSWORD)
    from_afar = dataclasses.replace(ctx, client_address="10.1.1.1")
    token, secret = login.login(from_afar, "alice", PASSWORD)
    assert (token.user_id, token.name) == (alice.user_id, "login")
    assert token.expires_at_ms == clock() + 30 * 86_400_000
    assert ctx.authenticator is not None
    assert ctx.authenticator.authenticate_token(secret).user_id == alice.user_id


def test_failed_sign_ins_through_the_dispatcher_still_count(ctx: ServiceContext) -> None:
    """The dispatcher runs a sign-in and its audit record in one transaction, rolled back when
    the sign-in fails: the failure must count all the same."""
    make_user(ctx, "alice", password=PASSWORD)
    server = dataclasses.replace(
        ctx.as_principal(Principal.anonymous()),
        auditor=RecordingAuditor(),
        client_address="198.51.100.1",
    )
    for _ in range(5):
        with pytest.raises(UnauthenticatedError):
            dispatch(server, ops.login, ops.login.make(name="alice", password=WRONG))
    with pytest.raises(TooManyAttemptsError):
        dispatch(server, ops.login, ops.login.make(name="alice", password=PASSWORD))
    assert server.auditor.events == []  # type: ignore[attr-defined]


def test_a_sign_in_through_the_dispatcher_is_audited_and_public(ctx: ServiceContext) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    auditor = RecordingAuditor()
    server = dataclasses.replace(ctx.as_principal(Principal.anonymous()), auditor=auditor)
    token, secret = dispatch(server, ops.login, ops.login.make(name="alice", password=PASSWORD))
    assert secret.startswith("mls_")
    [event] = auditor.events
    assert (event.operation, event.resource.name) == ("identity.login", "alice")
    assert ctx.stores.identity.get_token(token.token_id) is not None
