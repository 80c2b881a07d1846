"""The policy the dispatcher asks before any operation runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mlsteward.domain.identity import Principal
from mlsteward.services.operations.kinds import Action, ResourceKind


@dataclass(frozen=True)
class Resource:
    """What an operation acts on: a kind and, unless it is the whole collection, a name."""

    kind: ResourceKind
    name: str | None = None

    def __str__(self) -> str:
        return self.kind.value if self.name is None else f"{self.kind.value} {self.name!r}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Said to the caller when refused.
    reason: str = ""
    #: Refused because nobody signed in (401, not 403): a credential might be allowed.
    sign_in: bool = False


ALLOWED = Decision(True)


class Policy(Protocol):
    """Decides whether ``principal`` may perform ``action`` on ``resource`` (``operation`` is
    the declared operation's name)."""

    def decide(
        self, principal: Principal, action: Action, resource: Resource, operation: str
    ) -> Decision: ...


class AllowEverything:
    """The policy of a store nobody shares (the local SDK) and of a server started with
    ``--no-auth``: every caller may do everything."""

    def decide(
        self, principal: Principal, action: Action, resource: Resource, operation: str
    ) -> Decision:
        return ALLOWED
