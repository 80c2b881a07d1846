"""API tokens: the secret shown once and never stored, expiry and revocation that hold from
the next use even through the cache, read-only tokens, and who may create or revoke what."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from mlsteward.domain.errors import (
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from mlsteward.domain.identity import PrincipalKind, Role
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, api_tokens
from mlsteward.services.identity.authentication import INVALID_TOKEN, Authenticator
from mlsteward.services.identity.token_secrets import new_secret

from .conftest import PASSWORD, Clock, acting_as, make_user


def _database_bytes(store_url: str) -> bytes:
    """Everything SQLite wrote for the store: the file and its write-ahead log."""
    path = Path(store_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_the_secret_is_shown_once_and_only_its_sha256_is_stored(
    ctx: ServiceContext, isolated_store_url: str
) -> None:
    alice = make_user(ctx, "alice")
    token, secret = api_tokens.create_token(acting_as(ctx, alice), name="laptop")
    assert secret.startswith("mls_")
    assert (token.user_id, token.name, token.read_only) == (alice.user_id, "laptop", False)
    assert secret not in repr(token)
    assert all(secret not in repr(t) for t in api_tokens.list_tokens(acting_as(ctx, alice)))
    found = ctx.stores.identity.token_by_secret(hashlib.sha256(secret.encode()).hexdigest())
    assert found is not None and found[0].token_id == token.token_id
    if isolated_store_url.startswith("sqlite:///"):
        stored = _database_bytes(isolated_store_url)
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored
        assert secret.encode() not in stored
        assert secret.removeprefix("mls_").encode() not in stored


def test_a_token_signs_in_as_its_account(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice")
    token, secret = api_tokens.create_token(acting_as(ctx, alice), name="laptop", read_only=True)
    principal = Authenticator(ctx.stores).authenticate_token(secret)
    assert principal.name == "alice"
    assert (principal.kind, principal.user_id) == (PrincipalKind.USER, alice.user_id)
    assert (principal.read_only, principal.token_id) == (True, token.token_id)


def test_an_unknown_token_is_refused_without_being_echoed(ctx: ServiceContext) -> None:
    for secret in ["", "mls_unknown", "x" * 5000, new_secret(), None]:
        with pytest.raises(UnauthenticatedError) as raised:
            Authenticator(ctx.stores).authenticate_token(secret)  # type: ignore[arg-type]
        assert str(raised.value) == INVALID_TOKEN


def test_expiry_holds_from_the_next_use_even_when_cached(ctx: ServiceContext, clock: Clock) -> None:
    alice = make_user(ctx, "alice")
    authenticator = Authenticator(ctx.stores, clock=clock, cache_seconds=3600)
    token, secret = api_tokens.create_token(acting_as(ctx, alice), name="t", expires_in_days=1)
    assert token.expires_at_ms == clock() + 86_400_000
    assert authenticator.authenticate_token(secret).name == "alice"
    clock.advance(days=1, seconds=-0.001)
    assert authenticator.authenticate_token(secret).name == "alice"
    clock.advance(seconds=0.001)
    with pytest.raises(UnauthenticatedError, match="not valid"):
        authenticator.authenticate_token(secret)


def test_revoking_holds_from_the_next_use_even_when_cached(
    ctx: ServiceContext, clock: Clock
) -> None:
    alice = make_user(ctx, "alice")
    authenticator = Authenticator(ctx.stores, clock=clock, cache_seconds=3600)
    as_alice = dataclasses.replace(acting_as(ctx, alice), authenticator=authenticator)
    token, secret = api_tokens.create_token(as_alice, name="t")
    assert authenticator.authenticate_token(secret).token_id == token.token_id
    revoked = api_tokens.revoke_token(as_alice, token.token_id)
    assert revoked.revoked_at_ms == clock()
    with pytest.raises(UnauthenticatedError, match="not valid"):
        authenticator.authenticate_token(secret)


def test_another_process_cache_lets_a_revoked_token_go_within_its_seconds(
    ctx: ServiceContext, clock: Clock
) -> None:
    alice = make_user(ctx, "alice")
    elsewhere = Authenticator(ctx.stores, clock=clock, cache_seconds=2.0)
    token, secret = api_tokens.create_token(acting_as(ctx, alice), name="t")
    assert elsewhere.authenticate_token(secret).name == "alice"
    api_tokens.revoke_token(ctx, token.token_id)  # through another authenticator
    clock.advance(seconds=2)
    with pytest.raises(UnauthenticatedError):
        elsewhere.authenticate_token(secret)


def test_revoking_twice_keeps_the_first_time(ctx: ServiceContext, clock: Clock) -> None:
    make_user(ctx, "alice")
    token, _ = api_tokens.create_token(ctx, name="t", user="alice")
    first = api_tokens.revoke_token(ctx, token.token_id)
    clock.advance(seconds=5)
    assert api_tokens.revoke_token(ctx, token.token_id).revoked_at_ms == first.revoked_at_ms


def test_last_use_is_recorded_without_a_write_per_request(
    ctx: ServiceContext, clock: Clock
) -> None:
    make_user(ctx, "alice")
    token, secret = api_tokens.create_token(ctx, name="t", user="alice")
    authenticator = Authenticator(ctx.stores, clock=clock, cache_seconds=0)
    authenticator.authenticate_token(secret)
    first = clock()
    clock.advance(seconds=30)
    authenticator.authenticate_token(secret)
    assert ctx.stores.identity.get_token(token.token_id).last_used_at_ms == first  # type: ignore[union-attr]
    clock.advance(seconds=31)
    authenticator.authenticate_token(secret)
    assert ctx.stores.identity.get_token(token.token_id).last_used_at_ms == clock()  # type: ignore[union-attr]


def test_a_read_only_token_creates_and_revokes_no_tokens(ctx: ServiceContext) -> None:
    alice = make_user(ctx, "alice", Role.ADMIN)
    token, _ = api_tokens.create_token(acting_as(ctx, alice), name="t")
    read_only = acting_as(ctx, alice, read_only=True)
    with pytest.raises(PermissionDeniedError, match="read-only"):
        api_tokens.create_token(read_only, name="more")
    with pytest.raises(PermissionDeniedError, match="read-only"):
        api_tokens.revoke_token(read_only, token.token_id)
    assert [t.name for t in api_tokens.list_tokens(read_only)] == ["t"]


def test_tokens_for_others_and_tokens_that_never_expire_are_for_admins(
    ctx: ServiceContext,
) -> None:
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    as_alice = acting_as(ctx, alice)
    with pytest.raises(PermissionDeniedError, match="only an admin"):
        api_tokens.create_token(as_alice, name="t", user="bob")
    with pytest.raises(PermissionDeniedError, match="never expires"):
        api_tokens.create_token(as_alice, name="t", expires_in_days=None)
    boss = make_user(ctx, "boss", Role.ADMIN)
    token, _ = api_tokens.create_token(
        acting_as(ctx, boss), name="for bob", user="bob", expires_in_days=None
    )
    assert (token.user_id, token.expires_at_ms) == (bob.user_id, None)


def test_a_service_account_may_make_itself_a_lasting_token(ctx: ServiceContext) -> None:
    robot = accounts.create_user(ctx, "robot", kind="service")
    token, _ = api_tokens.create_token(acting_as(ctx, robot), name="deploy", expires_in_days=None)
    assert token.expires_at_ms is None


def test_expiry_must_be_a_sensible_number_of_days(ctx: ServiceContext) -> None:
    make_user(ctx, "alice")
    for days in [0, -1, float("nan"), float("inf"), 3651, True, "30"]:
        with pytest.raises(InvalidArgumentError, match="expires_in_days"):
            api_tokens.create_token(ctx, name="t", user="alice", expires_in_days=days)  # type: ignore[arg-type]
    assert ctx.stores.identity.list_tokens() == []
    token, _ = api_tokens.create_token(ctx, name="t", user="alice", expires_in_days=0.5)
    assert token.expires_at_ms == token.created_at_ms + 43_200_000


def test_a_disabled_account_gets_no_new_token(ctx: ServiceContext) -> None:
    make_user(ctx, "alice")
    make_user(ctx, "boss", Role.ADMIN)
    accounts.update_user(ctx, "alice", active=False)
    with pytest.raises(InvalidArgumentError, match="disabled"):
        api_tokens.create_token(ctx, name="t", user="alice")


def test_the_owner_without_an_account_names_whose_token_it_is(ctx: ServiceContext) -> None:
    with pytest.raises(NotFoundError, match="no account here"):
        api_tokens.create_token(ctx, name="t")
    make_user(ctx, "owner")  # the local owner's own account
    token, _ = api_tokens.create_token(ctx, name="t")
    assert [t.token_id for t in api_tokens.list_tokens(ctx)] == [token.token_id]


def test_tokens_are_listed_per_account_and_only_admins_see_others(
    ctx: ServiceContext, clock: Clock
) -> None:
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    api_tokens.create_token(acting_as(ctx, alice), name="one")
    clock.advance(seconds=1)
    api_tokens.create_token(acting_as(ctx, alice), name="two")
    api_tokens.create_token(acting_as(ctx, bob), name="bob's")
    assert [t.name for t in api_tokens.list_tokens(acting_as(ctx, alice))] == ["two", "one"]
    assert [t.name for t in api_tokens.list_tokens(acting_as(ctx, alice), "ALICE")] == [
        "two",
        "one",
    ]
    with pytest.raises(PermissionDeniedError):
        api_tokens.list_tokens(acting_as(ctx, alice), "bob")
    assert [t.name for t in api_tokens.list_tokens(ctx, "bob")] == ["bob's"]
    assert len(api_tokens.list_tokens(ctx)) == 3  # the owner, without an account, sees all


def test_only_the_owner_or_an_admin_revokes_a_token(ctx: ServiceContext) -> None:
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    token, secret = api_tokens.create_token(acting_as(ctx, alice), name="t")
    with pytest.raises(PermissionDeniedError, match="only its owner or an admin"):
        api_tokens.revoke_token(acting_as(ctx, bob), token.token_id)
    assert Authenticator(ctx.stores).authenticate_token(secret).name == "alice"
    assert api_tokens.revoke_token(acting_as(ctx, alice), token.token_id).revoked_at_ms
    other, _ = api_tokens.create_token(acting_as(ctx, alice), name="u")
    boss = make_user(ctx, "boss", Role.ADMIN)
    assert api_tokens.revoke_token(acting_as(ctx, boss), other.token_id).revoked_at_ms


def test_revoking_an_unknown_or_malformed_id_changes_nothing(ctx: ServiceContext) -> None:
    make_user(ctx, "alice")
    token, _ = api_tokens.create_token(ctx, name="t", user="alice")
    with pytest.raises(NotFoundError):
        api_tokens.revoke_token(ctx, "0" * 32)
    for token_id in ["x' OR '1'='1", "", "a" * 10_000, token.token_id + "\x00"]:
        with pytest.raises(InvalidArgumentError, match="Not a token id"):
            api_tokens.revoke_token(ctx, token_id)
    assert ctx.stores.identity.get_token(token.token_id).revoked_at_ms is None  # type: ignore[union-attr]


def test_a_disabled_accounts_token_is_refused(ctx: ServiceContext) -> None:
    make_user(ctx, "alice", password=PASSWORD)
    make_user(ctx, "boss", Role.ADMIN)
    _, secret = api_tokens.create_token(ctx, name="t", user="alice")
    ctx.stores.identity.set_user_active(ctx.stores.identity.list_users()[0].user_id, False)
    with pytest.raises(UnauthenticatedError, match="not valid"):
        Authenticator(ctx.stores).authenticate_token(secret)


def test_a_cached_answer_is_given_without_the_store_and_only_while_it_holds(
    ctx: ServiceContext, clock: Clock
) -> None:
    """What a server asks on its event loop: the principal when cached and usable; None when
    the store must be read (never cached yet, cache expired, forgotten, token expired)."""
    alice = make_user(ctx, "alice")
    token, secret = api_tokens.issue_token(ctx, alice, "t", 1.0)
    authenticator = Authenticator(ctx.stores, clock=clock, cache_seconds=2)
    assert authenticator.cached_principal(secret) is None  # nothing cached yet
    signed_in = authenticator.authenticate_token(secret)
    assert authenticator.cached_principal(secret) == signed_in
    assert authenticator.cached_principal(secret + "x") is None
    clock.now_ms += 2_500  # the cache holds 2 s
    assert authenticator.cached_principal(secret) is None
    authenticator.authenticate_token(secret)
    authenticator.forget(token.token_id)
    assert authenticator.cached_principal(secret) is None
    authenticator.authenticate_token(secret)
    clock.now_ms += 86_400_000  # the token expired (it lasted a day)
    assert authenticator.cached_principal(secret) is None
