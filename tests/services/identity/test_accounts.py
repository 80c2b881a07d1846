"""Accounts: creation rules, names unique by their comparable form, the first admin, and who
may read and change which account."""

from __future__ import annotations

import dataclasses

import pytest

from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from mlsteward.domain.identity import PrincipalKind, Role
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, api_tokens, grants
from mlsteward.services.identity.authentication import Authenticator

from .conftest import PASSWORD, Clock, acting_as, make_user


def test_a_user_and_a_service_account_are_created_active(ctx: ServiceContext) -> None:
    alice = accounts.create_user(ctx, "alice", password=PASSWORD, email="alice@example.org")
    robot = accounts.create_user(ctx, "ci-robot", kind="service")
    assert (alice.name, alice.kind, alice.active, alice.has_password) == (
        "alice",
        PrincipalKind.USER,
        True,
        True,
    )
    assert (alice.email, alice.created_by) == ("alice@example.org", "owner")
    assert (robot.kind, robot.has_password) == (PrincipalKind.SERVICE, False)
    assert [u.name for u in accounts.list_users(ctx)] == ["alice", "ci-robot"]
    assert accounts.get_user(ctx, "ALICE") == alice


def test_a_service_account_has_no_password(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidArgumentError, match="tokens only"):
        accounts.create_user(ctx, "robot", kind=PrincipalKind.SERVICE, password=PASSWORD)
    robot = accounts.create_user(ctx, "robot", kind=PrincipalKind.SERVICE)
    with pytest.raises(InvalidArgumentError, match="tokens only"):
        accounts.update_user(ctx, robot.name, password=PASSWORD)
    assert ctx.stores.identity.password_hash(robot.user_id) is None


def test_only_users_and_service_accounts_can_be_created(ctx: ServiceContext) -> None:
    for kind in ["local", "anonymous", "admin", "", None]:
        with pytest.raises(InvalidArgumentError, match="'user' or 'service'"):
            accounts.create_user(ctx, "someone", kind=kind)  # type: ignore[arg-type]
    assert ctx.stores.identity.count_users() == 0


def test_names_that_normalise_alike_are_one_name(ctx: ServiceContext) -> None:
    accounts.create_user(ctx, "alice")
    for spelling in ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "Ａlice"]:
        with pytest.raises(AlreadyExistsError, match="already exists"):
            accounts.create_user(ctx, spelling)
        with pytest.raises(AlreadyExistsError, match="already exists"):
            accounts.create_user(ctx, spelling, kind="service")
        assert accounts.get_user(ctx, spelling).name == "alice"
    assert [u.name for u in accounts.list_users(ctx)] == ["alice"]


def test_a_duplicate_caught_only_by_the_store_is_refused_too(ctx: ServiceContext) -> None:
    """Two requests racing past the service's check still meet the unique name key."""
    accounts.create_user(ctx, "alice")
    racing = dataclasses.replace(accounts.find_user(ctx, "alice"), user_id="e" * 32, name="ALICE")
    with pytest.raises(AlreadyExistsError):
        ctx.stores.identity.create_user(racing, "alice", None)


def test_anonymous_is_reserved(ctx: ServiceContext) -> None:
    for name in ["anonymous", "Anonymous", "ＡＮＯＮＹＭＯＵＳ"]:
        with pytest.raises(InvalidArgumentError, match="reserved"):
            accounts.create_user(ctx, name)
    assert ctx.stores.identity.count_users() == 0


def test_a_malformed_email_is_refused(ctx: ServiceContext) -> None:
    for email in ["not-an-address", "a@b", "a b@example.org", "a@@example.org"]:
        with pytest.raises(InvalidArgumentError, match="email"):
            accounts.create_user(ctx, "alice", email=email)
    assert ctx.stores.identity.count_users() == 0


def test_a_weak_password_refuses_the_account(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidArgumentError, match="too short"):
        accounts.create_user(ctx, "alice", password="short")
    assert ctx.stores.identity.count_users() == 0


def test_an_unknown_user_is_not_found(ctx: ServiceContext) -> None:
    with pytest.raises(NotFoundError, match="No user named 'nobody'"):
        accounts.get_user(ctx, "nobody")


# -- the first admin -------------------------------------------------------------------------
def test_bootstrap_makes_an_admin_with_a_lasting_token_on_an_empty_store_only(
    ctx: ServiceContext, clock: Clock
) -> None:
    made = accounts.bootstrap_admin(ctx, password=PASSWORD)
    assert made is not None
    admin, secret = made
    assert (admin.name, admin.has_password) == ("admin", True)
    assert [(g.principal, g.role, g.server_wide) for g in grants.list_grants(ctx)] == [
        ("admin", Role.ADMIN, True)
    ]
    [token] = ctx.stores.identity.list_tokens(admin.user_id)
    assert (token.name, token.expires_at_ms) == ("bootstrap", None)
    clock.advance(days=10_000)
    assert Authenticator(ctx.stores, clock=clock).authenticate_token(secret).name == "admin"
    assert accounts.bootstrap_admin(ctx, "second") is None
    assert [u.name for u in accounts.list_users(ctx)] == ["admin"]


def test_bootstrap_does_nothing_when_any_account_exists(ctx: ServiceContext) -> None:
    accounts.create_user(ctx, "alice")
    assert accounts.bootstrap_admin(ctx) is None
    assert grants.list_grants(ctx) == []


def test_create_admin_always_makes_another_admin(ctx: ServiceContext) -> None:
    make_user(ctx, "alice")
    _, secret = accounts.create_admin(ctx, "root")
    principal = Authenticator(ctx.stores).authenticate_token(secret)
    assert principal.name == "root"
    assert [g.role for g in grants.list_grants(ctx, "root")] == [Role.ADMIN]
    with pytest.raises(AlreadyExistsError):
        accounts.create_admin(ctx, "ROOT")
    assert len(accounts.list_users(ctx)) == 2


def test_create_admin_is_all_or_nothing(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidArgumentError, match="too short"):
        accounts.create_admin(ctx, "root", password="short")
    assert ctx.stores.identity.count_users() == 0
    assert grants.list_grants(ctx) == []


# -- who may read and change accounts ----------------------------------------------------------
def test_only_admins_create_and_list_accounts(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", Role.CONTRIBUTOR)
    as_alice = acting_as(ctx, alice)
    with pytest.raises(PermissionDeniedError, match="only an admin"):
        accounts.create_user(as_alice, "mallory")
    with pytest.raises(PermissionDeniedError, match="only an admin"):
        accounts.list_users(as_alice)
    boss = make_user(ctx, "boss", Role.ADMIN)
    accounts.create_user(acting_as(ctx, boss), "bob")
    assert [u.name for u in accounts.list_users(acting_as(ctx, boss))] == ["alice", "bob", "boss"]


def test_a_person_reads_their_own_account_only(ctx: ServiceContext) -> None:
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    assert accounts.get_user(acting_as(ctx, alice), "Alice") == alice
    with pytest.raises(PermissionDeniedError):
        accounts.get_user(acting_as(ctx, alice), bob.name)


def test_a_person_changes_their_own_password_with_the_current_one(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", password=PASSWORD)
    as_alice = acting_as(ctx, alice)
    new = "a brand new passphrase"
    for wrong in (None, "not the password at all"):
        with pytest.raises(PermissionDeniedError, match="current password"):
            accounts.update_user(as_alice, "alice", password=new, current_password=wrong)
    accounts.update_user(as_alice, "alice", password=new, current_password=PASSWORD)
    authenticator = Authenticator(ctx.stores)
    assert authenticator.authenticate_password("alice", new, None).name == "alice"
    with pytest.raises(UnauthenticatedError):
        authenticator.authenticate_password("alice", PASSWORD, None)


def test_an_admin_sets_anyones_password_and_nobody_else_does(ctx: ServiceContext) -> None:
    alice, bob = make_user(ctx, "alice", password=PASSWORD), make_user(ctx, "bob")
    with pytest.raises(PermissionDeniedError):
        accounts.update_user(acting_as(ctx, bob), "alice", password="bob sets it now")
    boss = make_user(ctx, "boss", Role.ADMIN)
    updated = accounts.update_user(acting_as(ctx, boss), "alice", password="reset by the boss")
    assert updated.has_password
    principal = Authenticator(ctx.stores).authenticate_password("alice", "reset by the boss", None)
    assert principal.user_id == alice.user_id


def test_disabling_an_account_stops_its_cached_tokens_at_once(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice")
    _, secret = api_tokens.create_token(ctx, name="ci", user="alice")
    assert ctx.authenticator is not None
    assert ctx.authenticator.authenticate_token(secret).name == "alice"  # now cached
    disabled = accounts.update_user(ctx, "alice", active=False)
    assert disabled.active is False
    with pytest.raises(UnauthenticatedError):
        ctx.authenticator.authenticate_token(secret)
    accounts.update_user(ctx, "alice", active=True)
    assert ctx.authenticator.authenticate_token(secret).user_id == alice.user_id


def test_only_admins_enable_or_disable_accounts(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", Role.CONTRIBUTOR)
    with pytest.raises(PermissionDeniedError, match="Only an admin"):
        accounts.update_user(acting_as(ctx, alice), "alice", active=False)
    assert accounts.get_user(ctx, "alice").active


def test_the_last_active_admin_cannot_be_disabled(ctx: ServiceContext) -> None:
    boss = make_user(ctx, "boss", Role.ADMIN)
    with pytest.raises(ConflictError, match="last active admin"):
        accounts.update_user(ctx, "boss", active=False)
    make_user(ctx, "deputy", Role.ADMIN)
    assert accounts.update_user(acting_as(ctx, boss), "boss", active=False).active is False


def test_a_read_only_principal_changes_no_account(ctx: ServiceContext) -> None:
    boss = make_user(ctx, "boss", Role.ADMIN)
    with pytest.raises(PermissionDeniedError, match="read-only"):
        accounts.create_user(acting_as(ctx, boss, read_only=True), "alice")
    with pytest.raises(PermissionDeniedError, match="read-only"):
        accounts.update_user(acting_as(ctx, boss, read_only=True), "boss", password=PASSWORD)


def test_create_admin_records_its_own_audit_event(ctx: ServiceContext) -> None:
    from dataclasses import replace

    from mlsteward.services.audit.recorder import ChainedAuditRecorder
    from mlsteward.storage.audit_base import AuditQuery

    audited = replace(ctx, auditor=ChainedAuditRecorder(ctx.stores.audit))
    accounts.create_admin(audited, "root", password="a long enough passphrase")
    records = list(ctx.stores.audit.records(AuditQuery()))
    assert [(r.operation, r.actor, r.resource_kind, r.resource_name) for r in records] == [
        ("identity.create_admin", "owner", "user", "root")
    ]
