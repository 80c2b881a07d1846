"""Who the caller is: their name, how they signed in, and the roles granted to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlsteward.domain.identity import Grant, PrincipalKind
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.callers import caller_account


@dataclass(frozen=True)
class WhoAmI:
    name: str
    kind: PrincipalKind
    read_only: bool = False
    #: The token this request signed in with (None: none, e.g. the local owner).
    token_id: str | None = None
    grants: list[Grant] = field(default_factory=list)


def whoami(ctx: ServiceContext) -> WhoAmI:
    """The caller as the policy sees them, with every grant their account holds."""
    principal = ctx.acting
    account = caller_account(ctx)
    grants = [] if account is None else ctx.stores.identity.list_grants(principal=account.name)
    return WhoAmI(
        name=principal.name,
        kind=principal.kind,
        read_only=principal.read_only,
        token_id=principal.token_id,
        grants=grants,
    )
