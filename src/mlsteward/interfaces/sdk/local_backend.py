"""The in-process backend: SDK calls go straight to the services on a local or SQL store."""

from __future__ import annotations

from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.services.composition import close_context, open_context
from mlsteward.services.context import local_actor
from mlsteward.services.outbound_access import OutboundAccess


class LocalBackend:
    """Services over a store opened from ``store_uri`` and blobs under ``artifacts_uri``,
    reached through :attr:`transport` (the dispatcher, in this process)."""

    def __init__(self, store_uri: str, artifacts_uri: str, actor: str | None = None) -> None:
        self.uri = store_uri
        self.ctx = open_context(
            store_uri,
            artifacts_uri,
            actor=actor or local_actor(),
            outbound=OutboundAccess.unrestricted(),  # the user's own files, hosts, databases
        )
        self.transport = InProcessTransport(self.ctx)

    def close(self) -> None:
        close_context(self.ctx)
