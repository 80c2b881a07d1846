"""Who acts: principals, their roles and grants, and the API tokens they sign in with.

A :class:`Principal` is what authentication decides and what the policy judges: a user or a
service account with a verified credential, the local owner of an embedded store, or nobody
(anonymous). Roles are granted on the whole server or on one resource (an experiment, a
registered model, a dataset, a monitor, a deployment); what a role lets a principal do is
:data:`ROLE_ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PrincipalKind(StrEnum):
    """How a principal came to act."""

    #: A person with a password, a token or an identity provider's sign-in.
    USER = "user"
    #: A non-person account (a data plane, a pipeline, CI): tokens only, no password.
    SERVICE = "service"
    #: The owner of an embedded store, acting through the local SDK with no sign-in.
    LOCAL = "local"
    #: A request to a server that named no one (only ever allowed with ``--no-auth``).
    ANONYMOUS = "anonymous"


class Role(StrEnum):
    """What a grant lets its holder do (see :data:`ROLE_ACTIONS`)."""

    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    VALIDATOR = "validator"
    ADMIN = "admin"


#: The actions (values of ``services.operations.Action``) each role allows. A validator
#: reviews: reads and approves, without building; an admin does everything, including
#: managing users, grants and the audit log. A principal's rights are the union of its
#: grants, so a person who builds and validates other people's models holds both roles.
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.VIEWER: frozenset({"read"}),
    Role.CONTRIBUTOR: frozenset({"read", "create", "update", "delete", "execute"}),
    Role.VALIDATOR: frozenset({"read", "approve"}),
    Role.ADMIN: frozenset({"read", "create", "update", "delete", "execute", "approve"}),
}

#: The resource kinds (values of ``services.operations.ResourceKind``) a role can be granted
#: on one by one; anything else is granted on the whole server only.
GRANTABLE_KINDS: frozenset[str] = frozenset(
    {"experiment", "registered_model", "dataset", "monitor", "deployment", "batch_job"}
)


@dataclass(frozen=True)
class Principal:
    """Who is acting, as authentication established it."""

    name: str
    kind: PrincipalKind
    #: The account's id (None for the local owner and the anonymous caller).
    user_id: str | None = None
    #: The credential was a read-only token: only reads are allowed, whatever the grants.
    read_only: bool = False
    #: The token that authenticated this request, if any (so a user can tell which one).
    token_id: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether a credential proved this identity (a user or service account)."""
        return self.kind in (PrincipalKind.USER, PrincipalKind.SERVICE)

    @staticmethod
    def local(name: str) -> Principal:
        return Principal(name=name, kind=PrincipalKind.LOCAL)

    @staticmethod
    def anonymous() -> Principal:
        return Principal(name="anonymous", kind=PrincipalKind.ANONYMOUS)


@dataclass(frozen=True)
class User:
    """An account: a person (``kind`` USER) or a service account (SERVICE)."""

    user_id: str
    name: str
    kind: PrincipalKind
    created_at_ms: int
    created_by: str
    #: Disabled accounts cannot sign in and their tokens stop working.
    active: bool = True
    has_password: bool = False
    #: The identity provider's issuer and subject, for accounts that sign in with OIDC.
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ApiToken:
    """An API token's record. The secret itself is never stored: only its SHA-256."""

    token_id: str
    user_id: str
    name: str
    created_at_ms: int
    expires_at_ms: int | None
    read_only: bool = False
    revoked_at_ms: int | None = None
    last_used_at_ms: int | None = None

    def usable_at(self, now_ms: int) -> bool:
        """Not revoked and not expired at ``now_ms``."""
        if self.revoked_at_ms is not None:
            return False
        return self.expires_at_ms is None or now_ms < self.expires_at_ms


@dataclass(frozen=True)
class Grant:
    """``role`` for ``principal`` on the whole server (``resource_kind`` None) or on one
    resource."""

    grant_id: str
    principal: str
    role: Role
    resource_kind: str | None
    resource_name: str | None
    created_at_ms: int
    created_by: str

    @property
    def server_wide(self) -> bool:
        return self.resource_kind is None
