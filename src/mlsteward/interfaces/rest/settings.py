"""What a server is started with: where data lives and how large requests may be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext
    from mlsteward.services.outbound_access import OutboundAccess

MIB = 1 << 20
DEFAULT_MAX_JSON_BODY_BYTES = 64 * MIB
DEFAULT_MAX_ARTIFACT_BYTES = 5 * 1024 * MIB


@dataclass(frozen=True)
class ServerSettings:
    """Everything ``create_app`` needs; JSON-serialisable so worker processes can rebuild it."""

    store_uri: str
    artifacts_uri: str
    upgrade: bool = False
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES
    #: Load users' models in the server (ONNX export). Loading a pickle runs its code, and
    #: nothing authenticates users yet, so it is off unless the operator turns it on.
    allow_model_code: bool = False
    #: Folders the server may read monitor target files from (none: dataset targets only).
    monitor_data_roots: tuple[str, ...] = ()
    #: Run due monitors in the server (one scheduler per server, whatever the worker count).
    run_monitors: bool = True
    #: What the server may open for a client (rebuilding a dataset version re-reads its
    #: recorded source; monitors call webhooks). Nothing by default: a client must not make
    #: the server read its files, query its databases or call hosts on its network.
    source_roots: tuple[str, ...] = ()
    source_sql_urls: tuple[str, ...] = ()
    source_http_hosts: tuple[str, ...] = ()
    webhook_hosts: tuple[str, ...] = ()

    def outbound_access(self) -> OutboundAccess:
        """The allow-lists as services take them, checked (a malformed entry is a 400 here)."""
        from mlsteward.services.outbound_access import OutboundAccess

        return OutboundAccess(
            source_roots=tuple(self.source_roots),
            source_sql_urls=tuple(self.source_sql_urls),
            source_http_hosts=tuple(self.source_http_hosts),
            webhook_hosts=tuple(self.webhook_hosts),
            monitor_data_roots=tuple(self.monitor_data_roots),
        )

    def open_context(self, *, actor: str) -> ServiceContext:
        """The context a server's requests and its monitor scheduler run in, opened through
        the one composition root: the app and the scheduler cannot differ in what they allow.
        The database must already be prepared (``serve`` does it before starting)."""
        from mlsteward.services.composition import open_context

        return open_context(
            self.store_uri,
            self.artifacts_uri,
            actor=actor,
            outbound=self.outbound_access(),
            allow_model_code=self.allow_model_code,
            upgrade=self.upgrade,
        )
