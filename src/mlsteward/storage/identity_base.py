"""The identity store: accounts, API tokens (as hashes), grants and failed sign-ins.

Implementations keep every method atomic. Names are unique by their comparable form
(``name_key``, computed by the service), so ``Alice`` and ``alice`` cannot both exist. A
token's secret never reaches the store: it is looked up by its SHA-256.
"""

from __future__ import annotations

import abc

from mlsteward.domain.identity import ApiToken, Grant, User
from mlsteward.storage.capabilities import StoreCapabilities


class IdentityStore(abc.ABC):
    """Users, tokens, grants and the sign-in failures rate limiting counts."""

    capabilities: StoreCapabilities

    # -- users -----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_user(self, user: User, name_key: str, password_hash: str | None) -> User:
        """Add ``user``; ``AlreadyExistsError`` when ``name_key`` (or its OIDC issuer and
        subject) is taken."""

    @abc.abstractmethod
    def get_user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    def get_user_by_name_key(self, name_key: str) -> User | None: ...

    @abc.abstractmethod
    def get_user_by_oidc(self, issuer: str, subject: str) -> User | None: ...

    @abc.abstractmethod
    def list_users(self) -> list[User]:
        """Every account, by name."""

    @abc.abstractmethod
    def count_users(self) -> int: ...

    @abc.abstractmethod
    def password_hash(self, user_id: str) -> str | None:
        """The account's Argon2 hash (None: no password, e.g. a service account)."""

    @abc.abstractmethod
    def set_password_hash(self, user_id: str, password_hash: str | None) -> None:
        """``NotFoundError`` for an unknown account."""

    @abc.abstractmethod
    def set_user_active(self, user_id: str, active: bool) -> User:
        """``NotFoundError`` for an unknown account."""

    # -- tokens ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_token(self, token: ApiToken, secret_sha256: str) -> ApiToken:
        """Store a token's record and the SHA-256 of its secret (hex)."""

    @abc.abstractmethod
    def token_by_secret(self, secret_sha256: str) -> tuple[ApiToken, User] | None:
        """The token whose secret hashes to ``secret_sha256`` and its account, whatever
        their state (the caller checks revocation, expiry and whether the account is
        active)."""

    @abc.abstractmethod
    def get_token(self, token_id: str) -> ApiToken | None: ...

    @abc.abstractmethod
    def list_tokens(self, user_id: str | None = None) -> list[ApiToken]:
        """Tokens of one account (every account's when None), newest first."""

    @abc.abstractmethod
    def revoke_token(self, token_id: str, at_ms: int) -> ApiToken:
        """Mark revoked (kept for the record); revoking twice keeps the first time.
        ``NotFoundError`` for an unknown token."""

    @abc.abstractmethod
    def touch_token(self, token_id: str, at_ms: int) -> None:
        """Record when the token was last used (callers throttle this)."""

    # -- grants ----------------------------------------------------------------------------
    @abc.abstractmethod
    def add_grant(self, grant: Grant) -> Grant:
        """``AlreadyExistsError`` when the same principal, role and resource are granted."""

    @abc.abstractmethod
    def list_grants(
        self,
        principal: str | None = None,
        resource_kind: str | None = None,
        resource_name: str | None = None,
    ) -> list[Grant]:
        """Grants matching every filter given (``principal`` is a user name as granted)."""

    @abc.abstractmethod
    def delete_grant(self, grant_id: str) -> Grant:
        """``NotFoundError`` for an unknown grant."""

    # -- sign-in failures --------------------------------------------------------------------
    @abc.abstractmethod
    def add_login_failure(self, key: str, at_ms: int) -> None:
        """Count one failed sign-in for ``key`` (``user:<name>`` or ``addr:<address>``)."""

    @abc.abstractmethod
    def login_failures(self, key: str, since_ms: int) -> int:
        """Failed sign-ins for ``key`` at or after ``since_ms``."""

    @abc.abstractmethod
    def clear_login_failures(self, key: str, before_ms: int | None = None) -> None:
        """Forget ``key``'s failures (all, or only those before ``before_ms``)."""

    # -- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own."""
