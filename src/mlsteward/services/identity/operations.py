"""The identity operations a client can call (see ``mlsteward.services.operations``):
signing in, who am I, accounts, API tokens and grants.

Every one is about a ``user`` resource: the account it concerns (``/me`` for the caller's
own, ``/tokens/<id>`` for the owner of a token), or none for accounts and grants as a whole,
which only admins manage. Signing in is public: no credential is asked for it.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import ApiToken, Grant, User
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import accounts, api_tokens, grants
from mlsteward.services.identity import login as signing_in
from mlsteward.services.identity import wire as w
from mlsteward.services.identity.role_policy import CALLER, token_owner_resource
from mlsteward.services.identity.schemas import (
    ApiTokenOut,
    CreateGrantRequest,
    CreateTokenRequest,
    CreateUserRequest,
    GrantListOut,
    GrantOut,
    LoginRequest,
    NewTokenOut,
    TokenListOut,
    UpdateUserRequest,
    UserListOut,
    UserOut,
    WhoAmIOut,
)
from mlsteward.services.identity.whoami import WhoAmI
from mlsteward.services.identity.whoami import whoami as who_is_calling
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import ResourceKind

TAG = "Identity"
#: What every identity route documents.
COMMON: dict[int, Any] = {400: None, 401: None, 403: None, 404: None}


class Login(OperationRequest):
    body: LoginRequest


class WhoAmIRequest(OperationRequest):
    pass


class CreateUser(OperationRequest):
    body: CreateUserRequest


class ListUsers(OperationRequest):
    pass


class UserName(OperationRequest):
    name: str


class UpdateUser(OperationRequest):
    name: str
    body: UpdateUserRequest


class CreateToken(OperationRequest):
    body: CreateTokenRequest


class ListTokens(OperationRequest):
    #: Whose tokens (default: yours).
    user: str | None = None


class TokenId(OperationRequest):
    token_id: str


class CreateGrant(OperationRequest):
    body: CreateGrantRequest


class ListGrants(OperationRequest):
    principal: str | None = None
    resource_kind: str | None = None
    resource_name: str | None = None


class GrantId(OperationRequest):
    grant_id: str


def revealed(value: object) -> str | None:
    """A secret field's text: a ``SecretStr`` as validated by the server, or the plain text
    an in-process caller passed (requests made there are not validated)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    raise InvalidArgumentError("A password must be text")


def _nobody(r: Any) -> None:
    """Accounts or grants as a whole: for admins."""
    return None


declare = Declarations("identity", ResourceKind.USER, tag=TAG, responses=COMMON)
USER = Codec(w.encode_user, w.decode_user, UserOut)
NEW_TOKEN = Codec(w.encode_new_token, w.decode_new_token, NewTokenOut)
GRANT = Codec(w.encode_grant, w.decode_grant, GrantOut)


@declare.post(
    "/auth/login",
    returns=NEW_TOKEN,
    status=201,
    public=True,
    resource_name=lambda r: r.body.name,
    responses={429: None},
    signs_in=lambda ctx, r: signing_in.check_password(
        ctx, r.body.name, revealed(r.body.password) or ""
    ),
)
def login(ctx: ServiceContext, r: Login) -> tuple[ApiToken, str]:
    """Sign in with a name and password: a new API token and its secret (shown once).
    Five failures for a name, or twenty from an address, within 15 minutes lock it out for
    a while (429)."""
    b = r.body
    return signing_in.issue_login_token(
        ctx, token_name=b.token_name, expires_in_days=b.expires_in_days
    )


@declare.get(
    "/auth/whoami",
    returns=Codec(w.encode_whoami, w.decode_whoami, WhoAmIOut),
    resource_name=lambda r: CALLER,
)
def whoami(ctx: ServiceContext, r: WhoAmIRequest) -> WhoAmI:
    """Who this request acts as: name, kind, whether read-only, its token, its grants."""
    return who_is_calling(ctx)


@declare.post("/users", returns=USER, status=201, resource_name=_nobody, responses={409: None})
def create_user(ctx: ServiceContext, r: CreateUser) -> User:
    """A new account: a person (``user``, optionally with a password) or a ``service``
    account (tokens only)."""
    b = r.body
    return accounts.create_user(
        ctx, b.name, kind=b.kind, password=revealed(b.password), email=b.email
    )


@declare.get(
    "/users",
    returns=Codec(listed("users", w.encode_user), unlisted("users", w.decode_user), UserListOut),
    resource_name=_nobody,
)
def list_users(ctx: ServiceContext, r: ListUsers) -> list[User]:
    """Every account, by name."""
    return accounts.list_users(ctx)


@declare.get("/users/{name}", returns=USER)
def get_user(ctx: ServiceContext, r: UserName) -> User:
    """One account (yours, or any for an admin)."""
    return accounts.get_user(ctx, r.name)


@declare.patch("/users/{name}", returns=USER, responses={409: None})
def update_user(ctx: ServiceContext, r: UpdateUser) -> User:
    """Enable or disable an account (admins), or set its password (yours with
    ``current_password``, anyone's for an admin)."""
    b = r.body
    return accounts.update_user(
        ctx,
        r.name,
        active=b.active,
        password=revealed(b.password),
        current_password=revealed(b.current_password),
    )


@declare.post(
    "/tokens",
    returns=NEW_TOKEN,
    status=201,
    resource_name=lambda r: r.body.user or CALLER,
)
def create_token(ctx: ServiceContext, r: CreateToken) -> tuple[ApiToken, str]:
    """A new API token (yours, or ``user``'s for an admin) and its secret, shown once."""
    b = r.body
    return api_tokens.create_token(
        ctx, name=b.name, user=b.user, expires_in_days=b.expires_in_days, read_only=b.read_only
    )


@declare.get(
    "/tokens",
    returns=Codec(
        listed("tokens", w.encode_token), unlisted("tokens", w.decode_token), TokenListOut
    ),
    resource_name=lambda r: r.user or CALLER,
)
def list_tokens(ctx: ServiceContext, r: ListTokens) -> list[ApiToken]:
    """Token records, never their secrets: yours, or ``user``'s."""
    return api_tokens.list_tokens(ctx, r.user)


@declare.delete(
    "/tokens/{token_id}",
    returns=Codec(w.encode_token, w.decode_token, ApiTokenOut),
    resource_name=lambda r: token_owner_resource(r.token_id),
)
def revoke_token(ctx: ServiceContext, r: TokenId) -> ApiToken:
    """Revoke a token (yours, or any for an admin): it stops working at once."""
    return api_tokens.revoke_token(ctx, r.token_id)


@declare.post("/grants", returns=GRANT, status=201, resource_name=_nobody, responses={409: None})
def create_grant(ctx: ServiceContext, r: CreateGrant) -> Grant:
    """Give an account a role on the whole server, or on one resource."""
    b = r.body
    return grants.add_grant(ctx, b.principal, b.role, b.resource_kind, b.resource_name)


@declare.get(
    "/grants",
    returns=Codec(
        listed("grants", w.encode_grant), unlisted("grants", w.decode_grant), GrantListOut
    ),
    resource_name=_nobody,
)
def list_grants(ctx: ServiceContext, r: ListGrants) -> list[Grant]:
    """Grants matching every filter given."""
    return grants.list_grants(ctx, r.principal, r.resource_kind, r.resource_name)


@declare.delete("/grants/{grant_id}", returns=GRANT, resource_name=_nobody, responses={409: None})
def delete_grant(ctx: ServiceContext, r: GrantId) -> Grant:
    """Remove a grant."""
    return grants.remove_grant(ctx, r.grant_id)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
