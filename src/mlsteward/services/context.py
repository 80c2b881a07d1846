"""The context every service call carries: who is acting, on which stores, at what time."""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from mlsteward.domain.audit import AuditCheckpoint
from mlsteward.domain.identity import Principal
from mlsteward.services.limits import Limits
from mlsteward.services.operations.audit import AuditRecorder, NoAudit
from mlsteward.services.operations.policy import AllowEverything, Policy
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage.artifacts.blob_store import BlobStore
from mlsteward.storage.bundle import Stores
from mlsteward.storage.store_key import store_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class CredentialChecker(Protocol):
    """What services ask of the authenticator (``services.identity.Authenticator``)."""

    def authenticate_token(self, secret: str) -> Principal: ...

    def cached_principal(self, secret: str) -> Principal | None: ...

    def authenticate_password(self, name: str, password: str, address: str | None) -> Principal: ...

    def forget(self, token_id: str | None = None) -> None: ...


class CheckpointSigner(Protocol):
    """What services ask of the audit log's signing key (``services.audit.AuditSigner``)."""

    @property
    def key_id(self) -> str: ...

    @property
    def public_key(self) -> Ed25519PublicKey: ...

    def public_key_pem(self) -> str: ...

    def sign(self, seq: int, head_hash: str, time_ms: int) -> AuditCheckpoint: ...


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def local_actor() -> str:
    """Who acts for this process: ``MLSTEWARD_USER`` when set, else the OS user.

    Locally nothing authenticates this name (the store is the user's own file); against a
    server it is sent as the acting user, which a later release will tie to a token.
    """
    named = os.environ.get("MLSTEWARD_USER", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (some containers): fall back to the uid
        return f"uid-{os.getuid()}"


@dataclass(frozen=True)
class ServiceContext:
    actor: str
    #: One store per domain, over one database (``ctx.stores.registry``, ...).
    stores: Stores
    blobs: BlobStore
    clock: Callable[[], int] = now_ms
    limits: Limits = field(default_factory=Limits)
    #: What services may open on a caller's behalf: monitor and source files, databases, web
    #: APIs, webhooks. No default, so no context allows everything by accident: the local SDK
    #: passes ``OutboundAccess.unrestricted()`` (the user's own machine), a server the
    #: allow-lists its operator gave (nothing unless told), anything else ``OutboundAccess()``.
    outbound: OutboundAccess = field(kw_only=True)
    #: Whether services may load users' models in this process (ONNX export). Loading a
    #: pickle runs its code: yes for the local SDK (the user's own models); a server only
    #: when its operator started it with ``--allow-model-code``.
    allow_model_code: bool = True
    #: Asked before every declared operation runs (see ``services.operations.dispatch``).
    policy: Policy = field(default_factory=AllowEverything)
    #: Handed every state-changing operation after it ran.
    auditor: AuditRecorder = field(default_factory=NoAudit)
    #: The request being served (the server's ``X-Request-ID``), for the audit record.
    request_id: str | None = None
    #: Who is acting, as authentication established it; None means the local owner named
    #: ``actor`` (the embedded store's user, who signs in to nothing).
    principal: Principal | None = None
    #: The caller's network address (the server's peer), for rate-limiting sign-ins.
    client_address: str | None = None
    #: Verifies credentials (and caches them briefly); revoking a token tells it to forget.
    #: None where nothing signs in (the local SDK without a token).
    authenticator: CredentialChecker | None = None
    #: Signs audit checkpoints; None where no signing key was given.
    audit_signer: CheckpointSigner | None = None

    def __post_init__(self) -> None:
        # Uploads record this store in the artifact root first, so `mlsteward gc` can tell a
        # root another store shares (mlsteward.storage.artifacts.root_writers).
        self.blobs.bind_writer(store_key(self.stores.uri))

    def as_actor(self, actor: str, request_id: str | None = None) -> ServiceContext:
        """The same stores, acting for the unauthenticated name ``actor`` (a server without
        authentication, or a test)."""
        return replace(self, actor=actor, request_id=request_id, principal=None)

    def as_principal(self, principal: Principal, request_id: str | None = None) -> ServiceContext:
        """The same stores, acting for an authenticated ``principal`` (the server does this
        per request)."""
        return replace(self, actor=principal.name, request_id=request_id, principal=principal)

    @property
    def acting(self) -> Principal:
        """The principal the policy judges: the authenticated one, else the local owner."""
        return self.principal if self.principal is not None else Principal.local(self.actor)
