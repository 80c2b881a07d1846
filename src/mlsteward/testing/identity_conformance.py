"""The identity storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`IdentityStoreConformance` in a test module and provide the
``store_harness`` fixture of :mod:`mlsteward.testing.store_conformance` (a harness whose
``open`` gives the stores of a migrated database; this suite uses its ``identity``). Tests
name their accounts, tokens, grants and sign-in keys uniquely, so one database may serve a
whole session::

    from mlsteward.testing.identity_conformance import IdentityStoreConformance

    class TestMyIdentity(IdentityStoreConformance):
        pass
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.identity import ApiToken, Grant, PrincipalKind, Role, User
from mlsteward.domain.ids import new_id
from mlsteward.storage.bundle import Stores
from mlsteward.storage.identity_base import IdentityStore
from mlsteward.testing.store_conformance import StoreHarness

#: A time in milliseconds beyond 32 bits, as every stored time is.
T0 = 1_700_000_000_000
#: What an Argon2 hash looks like (the store keeps it as given).
A_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{new_id()[:12]}"


def name_key(name: str) -> str:
    """The comparable form the suite hands the store (the service computes the real one)."""
    return name.casefold()


def make_user(
    name: str | None = None,
    *,
    kind: PrincipalKind = PrincipalKind.USER,
    active: bool = True,
    oidc: tuple[str, str] | None = None,
    email: str | None = None,
) -> User:
    """An account the way the service would build one."""
    return User(
        user_id=new_id(),
        name=name or unique("user"),
        kind=kind,
        created_at_ms=T0,
        created_by="admin",
        active=active,
        oidc_issuer=None if oidc is None else oidc[0],
        oidc_subject=None if oidc is None else oidc[1],
        email=email,
    )


def make_token(
    user: User,
    *,
    created_at_ms: int = T0,
    expires_at_ms: int | None = T0 + 86_400_000,
    read_only: bool = False,
) -> ApiToken:
    return ApiToken(
        token_id=new_id(),
        user_id=user.user_id,
        name=unique("token"),
        created_at_ms=created_at_ms,
        expires_at_ms=expires_at_ms,
        read_only=read_only,
    )


def make_grant(
    principal: str,
    role: Role = Role.VIEWER,
    resource_kind: str | None = None,
    resource_name: str | None = None,
) -> Grant:
    return Grant(
        grant_id=new_id(),
        principal=principal,
        role=role,
        resource_kind=resource_kind,
        resource_name=resource_name,
        created_at_ms=T0,
        created_by="admin",
    )


def secret_hash() -> str:
    """A fresh stand-in for a secret's SHA-256 (hex)."""
    return (new_id() + new_id())[:64]


class IdentityStoreConformance:
    """``IdentityStore`` primitives; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def stores(self, store_harness: StoreHarness) -> Iterator[Stores]:
        opened = store_harness.open()
        try:
            yield opened
        finally:
            opened.close()

    @pytest.fixture
    def store(self, stores: Stores) -> IdentityStore:
        return stores.identity

    def add_user(self, store: IdentityStore, user: User, password_hash: str | None = None) -> User:
        return store.create_user(user, name_key(user.name), password_hash)

    # -- users -----------------------------------------------------------------------------
    def test_a_user_round_trips_by_id_name_key_and_identity_provider(
        self, store: IdentityStore
    ) -> None:
        subject = unique("sub")
        user = make_user(
            unique("Zoë"), oidc=("https://idp.example", subject), email="zoe@example.org"
        )
        created = self.add_user(store, user, A_HASH)
        assert created == dataclasses.replace(user, has_password=True)
        assert store.get_user(user.user_id) == created
        assert store.get_user_by_name_key(name_key(user.name)) == created
        assert store.get_user_by_oidc("https://idp.example", subject) == created
        assert store.get_user_by_oidc("https://other.example", subject) is None
        assert store.get_user(new_id()) is None
        assert store.get_user_by_name_key(unique("nobody")) is None

    def test_a_service_account_without_password(self, store: IdentityStore) -> None:
        robot = self.add_user(store, make_user(kind=PrincipalKind.SERVICE))
        assert robot.kind is PrincipalKind.SERVICE
        assert robot.has_password is False
        assert store.password_hash(robot.user_id) is None

    def test_a_name_is_taken_by_its_comparable_form(self, store: IdentityStore) -> None:
        name = unique("alice")
        self.add_user(store, make_user(name))
        with pytest.raises(AlreadyExistsError, match="already exists"):
            self.add_user(store, make_user(name.upper()))  # same name_key, another spelling
        assert store.get_user_by_name_key(name_key(name)) is not None
        assert [u.name for u in store.list_users()].count(name) == 1

    def test_an_identity_provider_subject_is_taken_once(self, store: IdentityStore) -> None:
        oidc = ("https://idp.example", unique("sub"))
        first = self.add_user(store, make_user(oidc=oidc))
        with pytest.raises(AlreadyExistsError):
            self.add_user(store, make_user(oidc=oidc))
        assert store.get_user_by_oidc(*oidc) == first
        # Accounts without an identity provider never collide with each other.
        self.add_user(store, make_user())
        self.add_user(store, make_user())

    def test_list_users_sorts_by_name_and_count_follows(self, store: IdentityStore) -> None:
        before = store.count_users()
        tag = new_id()[:8]
        names = [f"m-{tag}-b", f"M-{tag}-A", f"m-{tag}-c"]
        ids = {self.add_user(store, make_user(n)).user_id for n in names}
        assert store.count_users() == before + 3
        listed = [u.name for u in store.list_users() if u.user_id in ids]
        assert listed == sorted(names, key=name_key)

    def test_password_hash_is_kept_replaced_and_cleared(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user(), A_HASH)
        assert store.password_hash(user.user_id) == A_HASH
        store.set_password_hash(user.user_id, A_HASH + "x")
        assert store.password_hash(user.user_id) == A_HASH + "x"
        store.set_password_hash(user.user_id, None)
        assert store.password_hash(user.user_id) is None
        found = store.get_user(user.user_id)
        assert found is not None and found.has_password is False
        assert store.password_hash(new_id()) is None
        with pytest.raises(NotFoundError):
            store.set_password_hash(new_id(), A_HASH)

    def test_an_account_is_disabled_and_enabled(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user())
        disabled = store.set_user_active(user.user_id, False)
        assert disabled.active is False
        assert store.get_user(user.user_id) == disabled
        assert store.set_user_active(user.user_id, True).active is True
        with pytest.raises(NotFoundError):
            store.set_user_active(new_id(), False)

    # -- tokens ----------------------------------------------------------------------------
    def test_a_token_is_found_by_its_secret_hash_with_its_account(
        self, store: IdentityStore
    ) -> None:
        user = self.add_user(store, make_user())
        token = make_token(user, read_only=True)
        digest = secret_hash()
        assert store.create_token(token, digest) == token
        assert store.get_token(token.token_id) == token
        assert store.token_by_secret(digest) == (token, user)
        assert store.token_by_secret(secret_hash()) is None
        assert store.get_token(new_id()) is None

    def test_a_token_never_expiring_round_trips(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user(kind=PrincipalKind.SERVICE))
        token = make_token(user, expires_at_ms=None)
        store.create_token(token, secret_hash())
        found = store.get_token(token.token_id)
        assert found is not None and found.expires_at_ms is None

    def test_a_token_needs_an_existing_account(self, store: IdentityStore) -> None:
        stranger = make_user()  # never stored
        with pytest.raises(NotFoundError):
            store.create_token(make_token(stranger), secret_hash())

    def test_token_ids_and_secrets_are_unique(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user())
        token, digest = make_token(user), secret_hash()
        store.create_token(token, digest)
        with pytest.raises(AlreadyExistsError):
            store.create_token(make_token(user), digest)
        with pytest.raises(AlreadyExistsError):
            store.create_token(token, secret_hash())
        assert store.list_tokens(user.user_id) == [token]

    def test_token_by_secret_returns_revoked_tokens_and_disabled_accounts(
        self, store: IdentityStore
    ) -> None:
        user = self.add_user(store, make_user())
        token, digest = make_token(user), secret_hash()
        store.create_token(token, digest)
        store.revoke_token(token.token_id, T0 + 5)
        store.set_user_active(user.user_id, False)
        found = store.token_by_secret(digest)
        assert found is not None
        found_token, owner = found
        assert found_token.revoked_at_ms == T0 + 5
        assert not found_token.usable_at(T0 + 6)
        assert owner.active is False

    def test_list_tokens_newest_first_per_account_or_all(self, store: IdentityStore) -> None:
        alice = self.add_user(store, make_user())
        bob = self.add_user(store, make_user())
        older = make_token(alice, created_at_ms=T0)
        newer = make_token(alice, created_at_ms=T0 + 1_000)
        bobs = make_token(bob, created_at_ms=T0 + 500)
        for token in (older, newer, bobs):
            store.create_token(token, secret_hash())
        assert store.list_tokens(alice.user_id) == [newer, older]
        assert store.list_tokens(bob.user_id) == [bobs]
        assert store.list_tokens(new_id()) == []
        everyone = [t for t in store.list_tokens() if t.token_id in {older.token_id, bobs.token_id}]
        assert everyone == [bobs, older]
        assert newer in store.list_tokens()

    def test_revoking_keeps_the_first_time(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user())
        token = make_token(user)
        store.create_token(token, secret_hash())
        revoked = store.revoke_token(token.token_id, T0 + 10)
        assert revoked.revoked_at_ms == T0 + 10
        assert store.revoke_token(token.token_id, T0 + 20).revoked_at_ms == T0 + 10
        assert store.get_token(token.token_id) == revoked
        with pytest.raises(NotFoundError):
            store.revoke_token(new_id(), T0)

    def test_touching_a_token_only_moves_forward(self, store: IdentityStore) -> None:
        user = self.add_user(store, make_user())
        token = make_token(user)
        store.create_token(token, secret_hash())
        store.touch_token(token.token_id, T0 + 100)
        found = store.get_token(token.token_id)
        assert found is not None and found.last_used_at_ms == T0 + 100
        store.touch_token(token.token_id, T0 + 50)  # a late, slower request
        found = store.get_token(token.token_id)
        assert found is not None and found.last_used_at_ms == T0 + 100
        store.touch_token(new_id(), T0)  # unknown: nothing to record, no error

    # -- grants ----------------------------------------------------------------------------
    def test_a_server_wide_grant_reads_back_without_resource(self, store: IdentityStore) -> None:
        principal = unique("alice")
        grant = make_grant(principal, Role.ADMIN)
        added = store.add_grant(grant)
        assert added == grant
        assert added.server_wide
        assert store.list_grants(principal=principal) == [grant]

    def test_grants_are_unique_per_principal_role_and_resource(self, store: IdentityStore) -> None:
        principal = unique("bob")
        experiment = new_id()
        store.add_grant(make_grant(principal, Role.VIEWER))
        store.add_grant(make_grant(principal, Role.VIEWER, "experiment", experiment))
        with pytest.raises(AlreadyExistsError):  # server-wide, again
            store.add_grant(make_grant(principal, Role.VIEWER))
        with pytest.raises(AlreadyExistsError):
            store.add_grant(make_grant(principal, Role.VIEWER, "experiment", experiment))
        # Another role, another resource or another principal is another grant.
        store.add_grant(make_grant(principal, Role.CONTRIBUTOR, "experiment", experiment))
        store.add_grant(make_grant(principal, Role.VIEWER, "experiment", new_id()))
        store.add_grant(make_grant(unique("carol"), Role.VIEWER, "experiment", experiment))
        assert len(store.list_grants(principal=principal)) == 4

    def test_list_grants_filters_by_every_field_given(self, store: IdentityStore) -> None:
        alice, bob = unique("alice"), unique("bob")
        model = unique("model")
        server = store.add_grant(make_grant(alice, Role.VALIDATOR))
        on_model = store.add_grant(make_grant(alice, Role.CONTRIBUTOR, "registered_model", model))
        bobs = store.add_grant(make_grant(bob, Role.VIEWER, "registered_model", model))
        on_dataset = store.add_grant(make_grant(bob, Role.VIEWER, "dataset", model))
        assert {g.grant_id for g in store.list_grants(principal=alice)} == {
            server.grant_id,
            on_model.grant_id,
        }
        assert {g.grant_id for g in store.list_grants(resource_name=model)} == {
            on_model.grant_id,
            bobs.grant_id,
            on_dataset.grant_id,
        }
        assert {
            g.grant_id
            for g in store.list_grants(resource_kind="registered_model", resource_name=model)
        } == {on_model.grant_id, bobs.grant_id}
        assert store.list_grants(principal=bob, resource_kind="dataset") == [on_dataset]
        assert store.list_grants(principal=bob, resource_kind="experiment") == []
        every = {g.grant_id for g in store.list_grants()}
        assert {server.grant_id, on_model.grant_id, bobs.grant_id} <= every

    def test_deleting_a_grant_returns_it(self, store: IdentityStore) -> None:
        principal = unique("dave")
        grant = store.add_grant(make_grant(principal, Role.VIEWER, "monitor", "drift"))
        assert store.delete_grant(grant.grant_id) == grant
        assert store.list_grants(principal=principal) == []
        with pytest.raises(NotFoundError):
            store.delete_grant(grant.grant_id)
        store.add_grant(make_grant(principal, Role.VIEWER, "monitor", "drift"))  # free again

    # -- sign-in failures --------------------------------------------------------------------
    def test_login_failures_count_since_and_clear(self, store: IdentityStore) -> None:
        key, other = f"user:{unique('eve')}", f"addr:{unique('10.0.0')}"
        for at in (T0, T0 + 10, T0 + 20):
            store.add_login_failure(key, at)
        store.add_login_failure(key, T0 + 20)  # two at the same moment both count
        store.add_login_failure(other, T0 + 20)
        assert store.login_failures(key, T0) == 4
        assert store.login_failures(key, T0 + 10) == 3
        assert store.login_failures(key, T0 + 21) == 0
        store.clear_login_failures(key, before_ms=T0 + 20)
        assert store.login_failures(key, 0) == 2
        store.clear_login_failures(key)
        assert store.login_failures(key, 0) == 0
        assert store.login_failures(other, 0) == 1  # another key is untouched
        assert store.login_failures(f"user:{unique('nobody')}", 0) == 0

    # -- transactions ----------------------------------------------------------------------
    def test_writes_roll_back_with_the_unit_of_work(self, stores: Stores) -> None:
        store = stores.identity
        user = make_user()
        principal = unique("frank")

        class Boom(Exception):
            pass

        with pytest.raises(Boom), stores.unit_of_work():
            self.add_user(store, user)
            store.add_grant(make_grant(principal, Role.ADMIN))
            assert store.get_user(user.user_id) is not None  # seen inside the unit
            raise Boom
        assert store.get_user(user.user_id) is None
        assert store.list_grants(principal=principal) == []

    def test_a_refused_write_leaves_the_unit_of_work_standing(self, stores: Stores) -> None:
        store = stores.identity
        name = unique("grace")
        with stores.unit_of_work():
            first = self.add_user(store, make_user(name))
            with pytest.raises(AlreadyExistsError):
                self.add_user(store, make_user(name))
            store.add_grant(make_grant(name, Role.VIEWER))
        assert store.get_user(first.user_id) == first
        assert len(store.list_grants(principal=name)) == 1
