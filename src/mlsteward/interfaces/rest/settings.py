"""What a server is started with: where data lives, how large requests may be, who may call."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: Load users' models in the server (ONNX export). Loading a pickle runs its code, so it
    #: is off unless the operator turns it on.
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
    #: Callers sign in (tokens, sessions, OIDC) and the role policy decides. Off only on a
    #: loopback address (``--no-auth``), where ``X-Mlsteward-User`` names the actor.
    auth: bool = True
    #: A role every signed-in account holds server-wide, beyond its grants (None: none).
    default_role: str | None = None
    #: The audit log's Ed25519 signing key (None: the default path for this store).
    audit_key_path: str | None = None
    #: Seconds between signed audit checkpoints (0: none in the background).
    audit_checkpoint_seconds: float = 300.0
    #: Days audit records are kept (at least 183, the EU AI Act's floor for high-risk
    #: systems' logs); None keeps them for ever. Applied once a day by the checkpointer.
    audit_retention_days: float | None = None
    #: Browser origins allowed to call the API from their pages (none: no CORS headers).
    cors_origins: tuple[str, ...] = ()
    #: Mark session cookies Secure even when the request arrived over plain HTTP (behind a
    #: TLS-terminating proxy).
    secure_cookies: bool = False
    #: OpenID Connect sign-in: the provider's issuer URL and this server's client there.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    #: The callback URL registered at the provider (None: derived from the request).
    oidc_redirect_url: str | None = None
    #: The role an account created by an OIDC sign-in is granted server-wide (None: none).
    oidc_default_role: str | None = None
    #: Signs the short-lived OIDC sign-in cookie; ``serve`` draws one per start so every
    #: worker shares it ('' : the app draws its own, for a single process).
    oidc_state_key: str = field(default="", repr=False)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

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
        from mlsteward.domain.identity import Role
        from mlsteward.services.composition import open_context

        return open_context(
            self.store_uri,
            self.artifacts_uri,
            actor=actor,
            outbound=self.outbound_access(),
            allow_model_code=self.allow_model_code,
            upgrade=self.upgrade,
            auth=self.auth,
            audit_key_path=self.audit_key_path,
            default_role=Role(self.default_role) if self.default_role else None,
        )
