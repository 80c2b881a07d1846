"""The identity SQL store (SQLite and PostgreSQL): accounts, API tokens, grants and failed
sign-ins.

A server-wide grant is stored with empty strings for its resource (not NULL), so the unique
index on (principal, role, resource_kind, resource_name) refuses a repeated server-wide grant
on every database (NULLs never collide in a unique index); it reads back as ``None``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    delete,
    exc,
    func,
    insert,
    or_,
    select,
    update,
)

from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.identity import ApiToken, Grant, PrincipalKind, Role, User
from mlsteward.storage.identity_base import IdentityStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase

U = t.users
TK = t.api_tokens
G = t.grants
LF = t.login_failures

#: How a server-wide grant's resource is stored (see the module docstring).
_SERVER_WIDE = ""

#: The users' columns a :class:`User` is read from (never the password hash).
_USER_COLUMNS: tuple[ColumnElement[Any], ...] = (
    U.c.user_id,
    U.c.name,
    U.c.kind,
    U.c.active,
    U.c.oidc_issuer,
    U.c.oidc_subject,
    U.c.email,
    U.c.created_by,
    U.c.created_at,
    U.c.password_hash.is_not(None).label("has_password"),
)


class SqlIdentityStore(SqlStoreBase, IdentityStore):
    """The :class:`IdentityStore` over a database it shares with the other domains' stores."""

    # -- users -----------------------------------------------------------------------------
    def create_user(self, user: User, name_key: str, password_hash: str | None) -> User:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(U).values(
                        user_id=user.user_id,
                        name=user.name,
                        name_key=name_key,
                        kind=user.kind.value,
                        password_hash=password_hash,
                        active=user.active,
                        oidc_issuer=user.oidc_issuer,
                        oidc_subject=user.oidc_subject,
                        email=user.email,
                        created_by=user.created_by,
                        created_at=user.created_at_ms,
                    )
                )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(self._taken(user, name_key)) from error
        return self._user_or_raise(user.user_id)

    def _taken(self, user: User, name_key: str) -> str:
        """Why a new account was refused: its name, its identity provider's subject, or
        (very unlikely) its id is taken already."""
        if self.get_user_by_name_key(name_key) is not None:
            return f"A user named {user.name!r} already exists"
        issuer, subject = user.oidc_issuer, user.oidc_subject
        if issuer is not None and subject is not None and self.get_user_by_oidc(issuer, subject):
            return "An account for this identity provider's user already exists"
        return f"A user with id {user.user_id!r} already exists"

    def get_user(self, user_id: str) -> User | None:
        return self._one_user(U.c.user_id == user_id)

    def get_user_by_name_key(self, name_key: str) -> User | None:
        return self._one_user(U.c.name_key == name_key)

    def get_user_by_oidc(self, issuer: str, subject: str) -> User | None:
        return self._one_user(U.c.oidc_issuer == issuer, U.c.oidc_subject == subject)

    def list_users(self) -> list[User]:
        # Sorted here rather than by the database, whose collation differs between SQLite
        # and PostgreSQL (and between PostgreSQL servers).
        with self._read() as conn:
            rows = list(conn.execute(select(U.c.name_key, *_USER_COLUMNS)))
        rows.sort(key=lambda row: (row.name_key, row.name, row.user_id))
        return [_user(row) for row in rows]

    def count_users(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(U)).scalar_one())

    def password_hash(self, user_id: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(select(U.c.password_hash).where(U.c.user_id == user_id)).first()
        return None if row is None else row.password_hash

    def set_password_hash(self, user_id: str, password_hash: str | None) -> None:
        with self._write() as conn:
            changed = conn.execute(
                update(U).where(U.c.user_id == user_id).values(password_hash=password_hash)
            ).rowcount
        if changed == 0:
            raise NotFoundError(f"No user with id {user_id!r}")

    def set_user_active(self, user_id: str, active: bool) -> User:
        with self._write() as conn:
            changed = conn.execute(
                update(U).where(U.c.user_id == user_id).values(active=active)
            ).rowcount
            if changed == 0:
                raise NotFoundError(f"No user with id {user_id!r}")
        return self._user_or_raise(user_id)

    def _one_user(self, *conditions: ColumnElement[bool]) -> User | None:
        with self._read() as conn:
            row = conn.execute(select(*_USER_COLUMNS).where(*conditions)).first()
        return None if row is None else _user(row)

    def _user_or_raise(self, user_id: str) -> User:
        found = self.get_user(user_id)
        if found is None:
            raise NotFoundError(f"No user with id {user_id!r}")
        return found

    # -- tokens ----------------------------------------------------------------------------
    def create_token(self, token: ApiToken, secret_sha256: str) -> ApiToken:
        try:
            with self._write() as conn:
                _require_user(conn, token.user_id)
                conn.execute(
                    insert(TK).values(
                        token_id=token.token_id,
                        user_id=token.user_id,
                        name=token.name,
                        secret_sha256=secret_sha256,
                        read_only=token.read_only,
                        created_at=token.created_at_ms,
                        expires_at=token.expires_at_ms,
                        revoked_at=token.revoked_at_ms,
                        last_used_at=token.last_used_at_ms,
                    )
                )
        except exc.IntegrityError as error:
            # A repeated id, or (astronomically unlikely) a repeated secret: never say which
            # secret, nor that one exists.
            raise AlreadyExistsError(f"A token with id {token.token_id!r} exists") from error
        return self._token_or_raise(token.token_id)

    def token_by_secret(self, secret_sha256: str) -> tuple[ApiToken, User] | None:
        with self._read() as conn:
            row = conn.execute(select(TK).where(TK.c.secret_sha256 == secret_sha256)).first()
            if row is None:
                return None
            owner = conn.execute(select(*_USER_COLUMNS).where(U.c.user_id == row.user_id)).first()
        if owner is None:  # pragma: no cover - the foreign key keeps every token's account
            return None
        return _token(row), _user(owner)

    def get_token(self, token_id: str) -> ApiToken | None:
        with self._read() as conn:
            row = conn.execute(select(TK).where(TK.c.token_id == token_id)).first()
        return None if row is None else _token(row)

    def list_tokens(self, user_id: str | None = None) -> list[ApiToken]:
        query = select(TK).order_by(TK.c.created_at.desc(), TK.c.token_id)
        if user_id is not None:
            query = query.where(TK.c.user_id == user_id)
        with self._read() as conn:
            return [_token(row) for row in conn.execute(query)]

    def revoke_token(self, token_id: str, at_ms: int) -> ApiToken:
        with self._write() as conn:
            conn.execute(
                update(TK)
                .where(TK.c.token_id == token_id, TK.c.revoked_at.is_(None))
                .values(revoked_at=at_ms)
            )
        return self._token_or_raise(token_id)

    def touch_token(self, token_id: str, at_ms: int) -> None:
        # Only ever forward: a slow request finishing late cannot move the time back. An
        # unknown token is nothing to record.
        with self._write() as conn:
            conn.execute(
                update(TK)
                .where(
                    TK.c.token_id == token_id,
                    or_(TK.c.last_used_at.is_(None), TK.c.last_used_at < at_ms),
                )
                .values(last_used_at=at_ms)
            )

    def _token_or_raise(self, token_id: str) -> ApiToken:
        found = self.get_token(token_id)
        if found is None:
            raise NotFoundError(f"No token with id {token_id!r}")
        return found

    # -- grants ----------------------------------------------------------------------------
    def add_grant(self, grant: Grant) -> Grant:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(G).values(
                        grant_id=grant.grant_id,
                        principal=grant.principal,
                        role=grant.role.value,
                        resource_kind=_stored(grant.resource_kind),
                        resource_name=_stored(grant.resource_name),
                        created_by=grant.created_by,
                        created_at=grant.created_at_ms,
                    )
                )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"{_describe(grant)} is granted already") from error
        return self._grant_or_raise(grant.grant_id)

    def list_grants(
        self,
        principal: str | None = None,
        resource_kind: str | None = None,
        resource_name: str | None = None,
    ) -> list[Grant]:
        query = select(G).order_by(
            G.c.principal, G.c.resource_kind, G.c.resource_name, G.c.role, G.c.grant_id
        )
        if principal is not None:
            query = query.where(G.c.principal == principal)
        if resource_kind is not None:
            query = query.where(G.c.resource_kind == resource_kind)
        if resource_name is not None:
            query = query.where(G.c.resource_name == resource_name)
        with self._read() as conn:
            return [_grant(row) for row in conn.execute(query)]

    def delete_grant(self, grant_id: str) -> Grant:
        with self._write() as conn:
            row = conn.execute(select(G).where(G.c.grant_id == grant_id)).first()
            if row is None:
                raise NotFoundError(f"No grant with id {grant_id!r}")
            conn.execute(delete(G).where(G.c.grant_id == grant_id))
        return _grant(row)

    def _grant_or_raise(self, grant_id: str) -> Grant:
        with self._read() as conn:
            row = conn.execute(select(G).where(G.c.grant_id == grant_id)).first()
        if row is None:
            raise NotFoundError(f"No grant with id {grant_id!r}")
        return _grant(row)

    # -- sign-in failures --------------------------------------------------------------------
    def add_login_failure(self, key: str, at_ms: int) -> None:
        with self._write() as conn:
            conn.execute(insert(LF).values(key=key, at=at_ms))

    def login_failures(self, key: str, since_ms: int) -> int:
        with self._read() as conn:
            count = conn.execute(
                select(func.count()).select_from(LF).where(LF.c.key == key, LF.c.at >= since_ms)
            ).scalar_one()
        return int(count)

    def clear_login_failures(self, key: str, before_ms: int | None = None) -> None:
        query = delete(LF).where(LF.c.key == key)
        if before_ms is not None:
            query = query.where(LF.c.at < before_ms)
        with self._write() as conn:
            conn.execute(query)


def _require_user(conn: Connection, user_id: str) -> None:
    if conn.execute(select(U.c.user_id).where(U.c.user_id == user_id)).first() is None:
        raise NotFoundError(f"No user with id {user_id!r}")


def _stored(value: str | None) -> str:
    return _SERVER_WIDE if value is None else value


def _read_back(value: str) -> str | None:
    return None if value == _SERVER_WIDE else value


def _describe(grant: Grant) -> str:
    where = (
        "on the whole server"
        if grant.resource_kind is None
        else f"on {grant.resource_kind} {grant.resource_name!r}"
    )
    return f"The role {grant.role.value} for {grant.principal!r} {where}"


def _user(row: Row[Any]) -> User:
    return User(
        user_id=row.user_id,
        name=row.name,
        kind=PrincipalKind(row.kind),
        created_at_ms=row.created_at,
        created_by=row.created_by,
        active=bool(row.active),
        has_password=bool(row.has_password),
        oidc_issuer=row.oidc_issuer,
        oidc_subject=row.oidc_subject,
        email=row.email,
    )


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(
        token_id=row.token_id,
        user_id=row.user_id,
        name=row.name,
        created_at_ms=row.created_at,
        expires_at_ms=row.expires_at,
        read_only=bool(row.read_only),
        revoked_at_ms=row.revoked_at,
        last_used_at_ms=row.last_used_at,
    )


def _grant(row: Row[Any]) -> Grant:
    return Grant(
        grant_id=row.grant_id,
        principal=row.principal,
        role=Role(row.role),
        resource_kind=_read_back(row.resource_kind),
        resource_name=_read_back(row.resource_name),
        created_at_ms=row.created_at,
        created_by=row.created_by,
    )
