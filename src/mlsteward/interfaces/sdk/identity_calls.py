"""``IdentityCalls``: signing in, accounts, API tokens and grants of one platform.

``Client.identity()`` returns one and the CLI's ``login``, ``users``, ``tokens`` and
``grants`` commands call one; each method builds a declared ``identity.*`` operation's
request and hands it to the backend's transport, so a local store and a server answer alike
(and the server's policy, not this class, decides who may do what).
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from mlsteward.domain.identity import ApiToken, Grant, PrincipalKind, Role, User
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.identity import operations as ops
from mlsteward.services.identity.login import LOGIN_TOKEN_NAME
from mlsteward.services.identity.whoami import WhoAmI

__all__ = ["LOGIN_TOKEN_NAME", "IdentityCalls", "WhoAmI"]


def _secret(password: str | None) -> SecretStr | None:
    """A password as the request carries it: hidden from every representation (a log line,
    a traceback's locals); the HTTP transport sends its value in the body only."""
    if password is None or isinstance(password, SecretStr):
        return password
    return SecretStr(password)


def _days(days: float | None) -> float | None:
    """Days as the wire's number (``30`` and ``30.0`` alike)."""
    return None if days is None else float(days)


class IdentityCalls(OperationCaller):
    """Sign-in, who am I, users, API tokens and grants, on the platform of one backend."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    @property
    def uri(self) -> str:
        return self._backend.uri

    # signing in ----------------------------------------------------------------------------
    def login(
        self,
        name: str,
        password: str,
        *,
        token_name: str = LOGIN_TOKEN_NAME,
        expires_in_days: float | None = 30.0,
    ) -> tuple[ApiToken, str]:
        """A new API token for ``name`` signed in with ``password``: its record and its
        secret (shown this once; the platform keeps only its hash)."""
        return self._call(
            ops.login,
            name=name,
            password=_secret(password),
            token_name=token_name,
            expires_in_days=_days(expires_in_days),
        )

    def whoami(self) -> WhoAmI:
        """Who this client acts as: name, kind, read-only, token id and grants."""
        return self._call(ops.whoami)

    # users ---------------------------------------------------------------------------------
    def create_user(
        self,
        name: str,
        *,
        kind: PrincipalKind | str = PrincipalKind.USER,
        password: str | None = None,
        email: str | None = None,
    ) -> User:
        return self._call(
            ops.create_user, name=name, kind=str(kind), password=_secret(password), email=email
        )

    def list_users(self) -> list[User]:
        return self._call(ops.list_users)

    def get_user(self, name: str) -> User:
        return self._call(ops.get_user, name=name)

    def update_user(
        self,
        name: str,
        *,
        active: bool | None = None,
        password: str | None = None,
        current_password: str | None = None,
    ) -> User:
        """Enable or disable an account, or set its password (``current_password`` proves
        it is you when you change your own)."""
        values: dict[str, Any] = {}
        if active is not None:
            values["active"] = active
        if password is not None:
            values["password"] = _secret(password)
        if current_password is not None:
            values["current_password"] = _secret(current_password)
        return self._call(ops.update_user, name=name, **values)

    # tokens --------------------------------------------------------------------------------
    def create_token(
        self,
        name: str,
        *,
        user: str | None = None,
        expires_in_days: float | None = 90.0,
        read_only: bool = False,
    ) -> tuple[ApiToken, str]:
        """A new API token for ``user`` (default: yourself): its record and its secret, which
        is shown this once."""
        return self._call(
            ops.create_token,
            name=name,
            user=user,
            expires_in_days=_days(expires_in_days),
            read_only=read_only,
        )

    def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        """Token records (never their secrets): yours, or ``user``'s."""
        return self._call(ops.list_tokens, user=user)

    def revoke_token(self, token_id: str) -> ApiToken:
        return self._call(ops.revoke_token, token_id=token_id)

    # grants --------------------------------------------------------------------------------
    def add_grant(
        self,
        principal: str,
        role: Role | str,
        resource_kind: str | None = None,
        resource_name: str | None = None,
    ) -> Grant:
        """Give ``principal`` ``role`` on the whole server, or on one resource."""
        return self._call(
            ops.create_grant,
            principal=principal,
            role=str(role),
            resource_kind=resource_kind,
            resource_name=resource_name,
        )

    def list_grants(
        self,
        principal: str | None = None,
        resource_kind: str | None = None,
        resource_name: str | None = None,
    ) -> list[Grant]:
        return self._call(
            ops.list_grants,
            principal=principal,
            resource_kind=resource_kind,
            resource_name=resource_name,
        )

    def remove_grant(self, grant_id: str) -> Grant:
        return self._call(ops.delete_grant, grant_id=grant_id)
