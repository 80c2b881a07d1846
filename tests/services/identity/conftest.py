"""Identity services on a real, empty store of their own (SQLite and PostgreSQL), with a
clock the test moves, and helpers to act as an account under the role policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.domain.identity import Principal, Role, User
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, grants
from mlsteward.services.identity.authentication import Authenticator
from mlsteward.services.identity.role_policy import RolePolicy
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store

#: A password every strength rule accepts.
PASSWORD = "correct horse battery staple"
START_MS = 1_800_000_000_000


class Clock:
    """Milliseconds that move only when the test says."""

    def __init__(self, now_ms: int = START_MS) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, *, seconds: float = 0, days: float = 0) -> None:
        self.now_ms += round(seconds * 1000 + days * 86_400_000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(isolated_store_url: str, tmp_path: Path, clock: Clock) -> Iterator[ServiceContext]:
    """The local owner of an empty store (an admin by ownership), with an authenticator and
    the role policy, on the test's clock."""
    stores = open_store(isolated_store_url)
    try:
        yield ServiceContext(
            actor="owner",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            outbound=OutboundAccess.unrestricted(),
            clock=clock,
            policy=RolePolicy(stores, clock=clock),
            authenticator=Authenticator(stores, clock=clock),
        )
    finally:
        stores.close()


def principal_of(user: User, *, read_only: bool = False, token_id: str | None = None) -> Principal:
    return Principal(
        name=user.name, kind=user.kind, user_id=user.user_id, read_only=read_only, token_id=token_id
    )


def acting_as(ctx: ServiceContext, user: User, *, read_only: bool = False) -> ServiceContext:
    """``ctx`` acting for ``user`` as a token of theirs would sign them in."""
    return ctx.as_principal(principal_of(user, read_only=read_only))


def make_user(
    ctx: ServiceContext, name: str, role: Role | None = None, *, password: str | None = None
) -> User:
    """An account (made by the owner), with a server-wide ``role`` when given."""
    user = accounts.create_user(ctx, name, password=password)
    if role is not None:
        grants.add_grant(ctx, user.name, role)
    return user


def with_policy(ctx: ServiceContext, policy: RolePolicy) -> ServiceContext:
    return dataclasses.replace(ctx, policy=policy)
