"""Request and response bodies of the identity operations, for validation and the document.

Requests refuse unknown fields; the services judge every value's meaning (so both doors
answer with the same messages). Passwords travel as ``SecretStr``: never shown in a
representation, a log line or the audit record's digest. A token's secret appears in one
answer only, the one that created it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr, StrictBool, StrictFloat, StrictStr


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------
class LoginRequest(_Request):
    name: StrictStr
    password: SecretStr
    token_name: StrictStr = "login"  # noqa: S105 - a label, not a secret
    expires_in_days: StrictFloat | None = 30.0


class CreateUserRequest(_Request):
    name: StrictStr
    #: ``user`` (a person) or ``service`` (tokens only).
    kind: StrictStr = "user"
    password: SecretStr | None = None
    email: StrictStr | None = None


class UpdateUserRequest(_Request):
    active: StrictBool | None = None
    password: SecretStr | None = None
    #: Your current password, when you change your own.
    current_password: SecretStr | None = None


class CreateTokenRequest(_Request):
    name: StrictStr
    #: Whose token (default: yours; only admins create tokens for others).
    user: StrictStr | None = None
    #: Days until it expires; null for never (admins, and service accounts for themselves).
    expires_in_days: StrictFloat | None = 90.0
    read_only: StrictBool = False


class CreateGrantRequest(_Request):
    principal: StrictStr
    #: ``viewer``, ``contributor``, ``validator`` or ``admin``.
    role: StrictStr
    #: None for the whole server, else ``experiment``, ``registered_model``, ``dataset``,
    #: ``monitor`` or ``deployment``.
    resource_kind: StrictStr | None = None
    resource_name: StrictStr | None = None


# -- responses -----------------------------------------------------------------------------
class UserOut(BaseModel):
    user_id: str
    name: str
    kind: str
    created_at_ms: int
    created_by: str
    active: bool
    has_password: bool
    oidc_issuer: str | None
    oidc_subject: str | None
    email: str | None


class UserListOut(BaseModel):
    users: list[UserOut]


class ApiTokenOut(BaseModel):
    token_id: str
    user_id: str
    name: str
    created_at_ms: int
    expires_at_ms: int | None
    read_only: bool
    revoked_at_ms: int | None
    last_used_at_ms: int | None


class TokenListOut(BaseModel):
    tokens: list[ApiTokenOut]


class NewTokenOut(BaseModel):
    """A token just created, with its secret: shown this once, never stored."""

    token: ApiTokenOut
    secret: str


class GrantOut(BaseModel):
    grant_id: str
    principal: str
    role: str
    resource_kind: str | None
    resource_name: str | None
    created_at_ms: int
    created_by: str


class GrantListOut(BaseModel):
    grants: list[GrantOut]


class WhoAmIOut(BaseModel):
    name: str
    kind: str
    read_only: bool
    token_id: str | None
    grants: list[GrantOut]
