"""Accounts: people (``user``) and service accounts (``service``, tokens only).

Names are unique by their comparable form (``Alice`` and ``alice`` are one name). Creating
and listing accounts, and enabling or disabling them, is for admins; a person may read their
own account and change their own password (giving the current one). The first admin of a
store is made by :func:`bootstrap_admin` (a server starting on an empty store) or
:func:`create_admin` (``mlsteward users create-admin``, run on the store itself).
"""

from __future__ import annotations

from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from mlsteward.domain.identity import PrincipalKind, Role, User
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.api_tokens import issue_token
from mlsteward.services.identity.callers import (
    holds_admin,
    is_caller,
    refuse_read_only,
    require_admin,
)
from mlsteward.services.identity.grants import active_admin_names, add_grant, forget_policy
from mlsteward.services.identity.names import check_email, user_name_key
from mlsteward.services.identity.passwords import (
    check_password_strength,
    hash_password,
    verify_password,
)
from mlsteward.services.operations.dispatcher import record_change
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import Resource

#: The name of the token :func:`bootstrap_admin` and :func:`create_admin` issue.
BOOTSTRAP_TOKEN = "bootstrap"  # noqa: S105 - a label, not a secret
_ACCOUNT_KINDS = (PrincipalKind.USER, PrincipalKind.SERVICE)


def create_user(
    ctx: ServiceContext,
    name: str,
    *,
    kind: PrincipalKind | str = PrincipalKind.USER,
    password: str | None = None,
    email: str | None = None,
) -> User:
    """A new active account (admins only). A service account has no password."""
    refuse_read_only(ctx, "create accounts")
    require_admin(ctx, "create accounts")
    key = user_name_key(name)
    account_kind = _account_kind(kind)
    if password is not None:
        if account_kind is PrincipalKind.SERVICE:
            raise InvalidArgumentError(
                "A service account signs in with tokens only: give it no password"
            )
        check_password_strength(password)
    mail = None if email is None else check_email(email)
    identity = ctx.stores.identity
    if identity.get_user_by_name_key(key) is not None:
        raise AlreadyExistsError(f"A user named {name!r} (or spelt alike) already exists")
    user = User(
        user_id=new_id(),
        name=name,
        kind=account_kind,
        created_at_ms=ctx.clock(),
        created_by=ctx.actor,
        has_password=password is not None,
        email=mail,
    )
    return identity.create_user(user, key, None if password is None else hash_password(password))


def bootstrap_admin(
    ctx: ServiceContext, name: str = "admin", *, password: str | None = None
) -> tuple[User, str] | None:
    """On a store with no accounts at all: an admin account, its server-wide admin grant and
    a token named "bootstrap" that never expires; returns the account and the token's secret
    (shown once). None, changing nothing, when any account exists."""
    if ctx.stores.identity.count_users() > 0:
        return None
    return create_admin(ctx, name, password=password)


def create_admin(
    ctx: ServiceContext, name: str, *, password: str | None = None
) -> tuple[User, str]:
    """A new admin account with a server-wide admin grant and a token that never expires,
    all or nothing; returns the account and the token's secret (shown once).

    Called by whoever holds the store itself (a server's first start, ``mlsteward users
    create-admin``), not through a declared operation, so it records its own audit event,
    in the same transaction."""
    with ctx.stores.unit_of_work():
        user = create_user(ctx, name, password=password)
        add_grant(ctx, user.name, Role.ADMIN)
        _, secret = issue_token(ctx, user, BOOTSTRAP_TOKEN, None)
        record_change(
            ctx,
            "identity.create_admin",
            Action.CREATE,
            Resource(ResourceKind.USER, user.name),
            {"name": user.name, "kind": user.kind.value},
        )
    return user, secret


def list_users(ctx: ServiceContext) -> list[User]:
    """Every account, by name (admins only)."""
    require_admin(ctx, "list accounts")
    return ctx.stores.identity.list_users()


def get_user(ctx: ServiceContext, name: str) -> User:
    """The account named ``name`` (any spelling that normalises alike): the caller's own, or
    any for an admin."""
    user = find_user(ctx, name)
    if not is_caller(ctx, user):
        require_admin(ctx, f"read the account {user.name!r}")
    return user


def find_user(ctx: ServiceContext, name: str) -> User:
    """The account named ``name`` (``NotFoundError`` when there is none); no access check."""
    found = ctx.stores.identity.get_user_by_name_key(user_name_key(name))
    if found is None:
        raise NotFoundError(f"No user named {name!r}")
    return found


def update_user(
    ctx: ServiceContext,
    name: str,
    *,
    active: bool | None = None,
    password: str | None = None,
    current_password: str | None = None,
) -> User:
    """Enable or disable an account (admins), or set its password: an admin for anyone, a
    person for themselves with ``current_password``. Disabling stops its tokens at once."""
    refuse_read_only(ctx, "change accounts")
    user = find_user(ctx, name)
    admin = holds_admin(ctx)
    if not admin and not is_caller(ctx, user):
        raise PermissionDeniedError(f"{ctx.actor} may not change the account {user.name!r}")
    if active is not None and not isinstance(active, bool):
        raise InvalidArgumentError("active must be true or false")
    if active is not None and active != user.active:
        _set_active(ctx, user, active, admin=admin)
    if password is not None:
        _set_password(ctx, user, password, current_password, admin=admin)
    updated = ctx.stores.identity.get_user(user.user_id)
    if updated is None:  # pragma: no cover - accounts are never deleted
        raise NotFoundError(f"No user named {name!r}")
    return updated


def _set_active(ctx: ServiceContext, user: User, active: bool, *, admin: bool) -> None:
    if not admin:
        raise PermissionDeniedError("Only an admin may enable or disable accounts")
    if not active and active_admin_names(ctx) == {user.name}:
        raise ConflictError(
            f"{user.name!r} is the last active admin: make another account admin first"
        )
    ctx.stores.identity.set_user_active(user.user_id, active)
    if ctx.authenticator is not None:
        ctx.authenticator.forget()
    forget_policy(ctx)


def _set_password(
    ctx: ServiceContext,
    user: User,
    password: str,
    current_password: str | None,
    *,
    admin: bool,
) -> None:
    if user.kind is PrincipalKind.SERVICE:
        raise InvalidArgumentError("A service account signs in with tokens only: no password")
    check_password_strength(password)
    identity = ctx.stores.identity
    if not admin and user.has_password and not _proves(ctx, user, current_password):
        raise PermissionDeniedError(
            "Give your current password (correctly) to change your password"
        )
    identity.set_password_hash(user.user_id, hash_password(password))


def _proves(ctx: ServiceContext, user: User, current_password: object) -> bool:
    """Whether ``current_password`` is ``user``'s password."""
    if not isinstance(current_password, str):
        return False
    return verify_password(ctx.stores.identity.password_hash(user.user_id), current_password)


def _account_kind(kind: object) -> PrincipalKind:
    if isinstance(kind, str) and kind in _ACCOUNT_KINDS:
        return PrincipalKind(kind)
    raise InvalidArgumentError("An account's kind is 'user' or 'service'")
