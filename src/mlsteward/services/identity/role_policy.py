"""``RolePolicy``: what a signed-in principal may do, from the roles granted to it.

- Nobody signed in: refused with "sign in first" (401), except public operations (signing
  in), which the dispatcher does not ask about.
- The local owner of an embedded store: everything.
- A read-only token: reads only, whatever its account's roles.
- A server-wide admin: everything.
- Otherwise the actions of the roles granted on the whole server, of the server's default
  role and of the roles granted on the resource's scope (an experiment, or the experiment of
  a run; a registered model, dataset, monitor or deployment by name; see :mod:`.scopes`).
  Other kinds, and whole collections, go by the server-wide roles only.
- Accounts (``user`` resources): each principal may read and change its own (its tokens,
  its password, who it is); anything else about accounts and grants is for admins.
- The audit log: server-wide validators read it; admins do everything with it.

Grants are cached per principal for ``cache_seconds``; changing them through the services
calls :meth:`RolePolicy.forget`. A run's experiment never changes, so it is cached longer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from mlsteward.domain.identity import ROLE_ACTIONS, Grant, Principal, PrincipalKind, Role
from mlsteward.services.context import now_ms
from mlsteward.services.identity.scopes import (
    MONITOR_RUN_PREFIX,
    NAMED_KINDS,
    experiment_id_of,
    experiment_of_run,
    monitor_of_run,
    named_scope,
)
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import ALLOWED, Decision, Resource
from mlsteward.services.people import same_person
from mlsteward.storage.bundle import Stores

#: The name of a ``user`` resource meaning "the caller's own account" (whoami, your tokens).
CALLER = "/me"
#: The prefix of a ``user`` resource meaning "the account that owns this token".
TOKEN_OWNER_PREFIX = "/tokens/"  # noqa: S105 - a resource name
#: The roles a refusal suggests, from the least to the most powerful.
_SUGGESTED = (Role.VIEWER, Role.VALIDATOR, Role.CONTRIBUTOR, Role.ADMIN)
_MAX_RUNS_REMEMBERED = 10_000


def _revokes_itself(principal: Principal, action: Action, resource: Resource) -> bool:
    """Whether the request revokes the very token the principal signed in with."""
    return (
        action is Action.DELETE
        and resource.kind is ResourceKind.USER
        and principal.token_id is not None
        and resource.name == token_owner_resource(principal.token_id)
    )


def token_owner_resource(token_id: str) -> str:
    """The ``user`` resource name of the account owning ``token_id``."""
    return TOKEN_OWNER_PREFIX + token_id


class RolePolicy:
    """The policy of a server with authentication (see the module docstring)."""

    def __init__(
        self,
        stores: Stores,
        *,
        default_role: Role | None = None,
        cache_seconds: float = 2.0,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._stores = stores
        self._default_role = default_role
        self._cache_ms = max(0, round(cache_seconds * 1000))
        self._clock = clock
        self._lock = threading.Lock()
        self._grants: dict[str, tuple[int, list[Grant]]] = {}
        self._runs: OrderedDict[str, str] = OrderedDict()

    def decide(
        self, principal: Principal, action: Action, resource: Resource, operation: str
    ) -> Decision:
        if principal.kind is PrincipalKind.ANONYMOUS:
            return Decision(
                False,
                f"Sign in first: {operation} needs a signed-in user (send an API token, or "
                "run `mlsteward login`)",
                sign_in=True,
            )
        if principal.kind is PrincipalKind.LOCAL:
            return ALLOWED
        if principal.read_only and action is not Action.READ:
            if _revokes_itself(principal, action, resource):
                return ALLOWED  # giving up a credential only ever lessens what it can do
            return Decision(
                False,
                f"{principal.name} signed in with a read-only token, which may only read: "
                f"not {action.value} {resource} ({operation})",
            )
        grants = self._grants_of(principal.name)
        server_roles = {g.role for g in grants if g.server_wide}
        if Role.ADMIN in server_roles:
            return ALLOWED
        if resource.kind is ResourceKind.USER:
            return self._account(principal, action, resource, operation)
        if resource.kind is ResourceKind.AUDIT_LOG:
            if action is Action.READ and Role.VALIDATOR in server_roles:
                return ALLOWED
            return Decision(
                False,
                f"{principal.name} may not {action.value} the audit log ({operation}): "
                "reading it needs the validator role on the whole server; anything else, "
                "the admin role",
            )
        roles = set(server_roles)
        if self._default_role is not None:
            roles.add(self._default_role)
        if _allows(roles, action):
            return ALLOWED
        scope = self._scope(resource)
        if scope is not None:
            scoped = {g.role for g in grants if (g.resource_kind, g.resource_name) == scope}
            if _allows(scoped, action):
                return ALLOWED
        return Decision(False, _refusal(principal, action, resource, operation, scope))

    def forget(self) -> None:
        """Drop the cached grants (after grants or accounts change)."""
        with self._lock:
            self._grants.clear()

    # -- accounts ----------------------------------------------------------------------------
    def _account(
        self, principal: Principal, action: Action, resource: Resource, operation: str
    ) -> Decision:
        owner = self._account_named(principal, resource.name)
        if owner is not None and same_person(owner, principal.name):
            return ALLOWED
        return Decision(
            False,
            f"{principal.name} may not {action.value} {resource} ({operation}): only an admin "
            "may manage other accounts, all accounts and grants",
        )

    def _account_named(self, principal: Principal, name: str | None) -> str | None:
        """The name of the account a ``user`` resource is about (None: all of them, or a
        token nobody owns)."""
        if name is None:
            return None
        if name == CALLER:
            return principal.name
        if name.startswith(TOKEN_OWNER_PREFIX):
            identity = self._stores.identity
            token = identity.get_token(name[len(TOKEN_OWNER_PREFIX) :])
            owner = None if token is None else identity.get_user(token.user_id)
            return None if owner is None else owner.name
        return name

    # -- grants and scopes -------------------------------------------------------------------
    def _grants_of(self, name: str) -> list[Grant]:
        now = self._clock()
        with self._lock:
            cached = self._grants.get(name)
        if cached is not None and 0 <= now - cached[0] < self._cache_ms:
            return cached[1]
        grants = self._stores.identity.list_grants(principal=name)
        if self._cache_ms:
            with self._lock:
                self._grants[name] = (now, grants)
        return grants

    def _scope(self, resource: Resource) -> tuple[str, str] | None:
        """The (kind, name) grants on ``resource``'s scope are stored under, if any."""
        if resource.name is None:
            return None
        if resource.kind is ResourceKind.EXPERIMENT:
            experiment_id = experiment_id_of(self._stores, resource.name)
            return None if experiment_id is None else (ResourceKind.EXPERIMENT.value, experiment_id)
        if resource.kind is ResourceKind.RUN:
            experiment_id = self._run_experiment(resource.name.split("/", 1)[0])
            return None if experiment_id is None else (ResourceKind.EXPERIMENT.value, experiment_id)
        if resource.kind is ResourceKind.MONITOR and resource.name.startswith(MONITOR_RUN_PREFIX):
            monitor = monitor_of_run(self._stores, resource.name[len(MONITOR_RUN_PREFIX) :])
            return None if monitor is None else (ResourceKind.MONITOR.value, monitor)
        if resource.kind in NAMED_KINDS:
            return resource.kind.value, named_scope(resource.kind, resource.name)
        return None

    def _run_experiment(self, run_id: str) -> str | None:
        with self._lock:
            known = self._runs.get(run_id)
        if known is not None:
            return known
        experiment_id = experiment_of_run(self._stores, run_id)
        if experiment_id is not None:
            with self._lock:
                self._runs[run_id] = experiment_id
                while len(self._runs) > _MAX_RUNS_REMEMBERED:
                    self._runs.popitem(last=False)
        return experiment_id


def _allows(roles: set[Role], action: Action) -> bool:
    return any(action.value in ROLE_ACTIONS[role] for role in roles)


def _refusal(
    principal: Principal,
    action: Action,
    resource: Resource,
    operation: str,
    scope: tuple[str, str] | None,
) -> str:
    """Who may not do what to which resource, and the role that would allow it."""
    needed = next(role for role in _SUGGESTED if action.value in ROLE_ACTIONS[role])
    if scope is None:
        where = "on the whole server"
    elif resource.kind is ResourceKind.RUN:
        where = f"on the run's experiment ({scope[1]}) or on the whole server"
    else:
        where = f"on {scope[0]} {scope[1]!r} or on the whole server"
    return (
        f"{principal.name} may not {action.value} {resource} ({operation}): that needs the "
        f"{needed.value} role {where}"
    )
