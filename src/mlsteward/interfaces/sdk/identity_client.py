"""``Client.identity()`` and ``Client.audit()``: accounts, tokens, grants and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.interfaces.sdk.backend import TrackingBackend

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.audit_calls import AuditCalls
    from mlsteward.interfaces.sdk.identity_calls import IdentityCalls


class IdentityClientMixin:
    """Adds ``identity()`` and ``audit()`` to ``Client``; the host class provides
    ``_backend``."""

    _backend: TrackingBackend

    def identity(self) -> IdentityCalls:
        """Sign-in, who am I, users, API tokens and grants, on this client's platform."""
        from mlsteward.interfaces.sdk.identity_calls import IdentityCalls

        return IdentityCalls(self._backend)

    def audit(self) -> AuditCalls:
        """The audit log: records, exports, verification, checkpoints, retention."""
        from mlsteward.interfaces.sdk.audit_calls import AuditCalls

        return AuditCalls(self._backend)
