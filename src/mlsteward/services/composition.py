"""The composition root: the one place that opens stores and builds a service context.

The server (its app and its monitor scheduler), the local SDK and the CLI all get their
context here, so what a context holds (stores, the allow-lists, whether users' models may be
loaded) is decided once, and no door opens a store of its own.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import Role
from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.storage.resolver import open_store


def open_context(
    store_uri: str,
    artifacts_uri: str,
    *,
    actor: str,
    outbound: OutboundAccess,
    allow_model_code: bool = True,
    upgrade: bool = True,
    auth: bool = False,
    token: str | None = None,
    audit_key_path: str | None = None,
    default_role: Role | None = None,
) -> ServiceContext:
    """Open the database behind ``store_uri`` and the blobs under ``artifacts_uri``.

    ``upgrade`` migrates an older schema (the local SDK does; a server opens what it has
    already prepared). The caller owns the context: :func:`close_context` when done.

    Every context records state changes in the audit chain, in the same transaction, and
    signs checkpoints with the key at ``audit_key_path`` (by default one per store under the
    mlsteward home). With ``auth`` (a server) callers must sign in and the role policy
    decides; with ``token`` (the local SDK given a token) the context acts as that token's
    principal under the role policy. Otherwise (the local SDK) the OS user owns the store and
    may do everything, as whoever can open the database file can anyway.
    """
    from mlsteward.services.audit.recorder import ChainedAuditRecorder
    from mlsteward.services.audit.signing import AuditSigner, default_key_path

    stores = open_store(store_uri, upgrade=upgrade)
    try:
        blobs = open_blob_store(artifacts_uri)
        ctx = ServiceContext(
            actor=actor,
            stores=stores,
            blobs=blobs,
            outbound=outbound,
            allow_model_code=allow_model_code,
            auditor=ChainedAuditRecorder(stores.audit),
            audit_signer=AuditSigner.at(audit_key_path or default_key_path(store_uri)),
        )
        if auth or token is not None:
            ctx = _with_authentication(ctx, token, default_role)
    except BaseException:
        stores.close()
        raise
    return ctx


def _with_authentication(
    ctx: ServiceContext, token: str | None, default_role: Role | None
) -> ServiceContext:
    """``ctx`` under the role policy, with an authenticator; acting as ``token``'s owner
    when one is given (``UnauthenticatedError`` when it is not valid)."""
    from mlsteward.services.identity.authentication import Authenticator
    from mlsteward.services.identity.role_policy import RolePolicy

    authenticator = Authenticator(ctx.stores, clock=ctx.clock)
    ctx = replace(
        ctx,
        policy=RolePolicy(ctx.stores, default_role=default_role),
        authenticator=authenticator,
    )
    if token is None:
        return ctx
    return ctx.as_principal(authenticator.authenticate_token(token))


def close_context(ctx: ServiceContext) -> None:
    """Release what :func:`open_context` opened."""
    ctx.stores.close()


def prepare_stores(store_uri: str, artifacts_uri: str, *, upgrade: bool) -> None:
    """Check both stores before a server starts: the artifact root can be used, and the
    database is at the current schema (a brand-new one gets it; an older one is migrated only
    with ``upgrade``). On refusal the folders this made for the artifacts are removed again
    (the database removes its own), so a refused start leaves nothing behind."""
    made = _missing_folders(artifacts_uri)
    try:
        try:
            open_blob_store(artifacts_uri)
        except OSError as error:
            raise InvalidArgumentError(
                f"Cannot use {artifacts_uri} for artifacts: {error.strerror or error}"
            ) from None
        open_store(store_uri, upgrade=upgrade, create=True).close()
    except BaseException:
        for folder in made:
            with suppress(OSError):
                folder.rmdir()  # only while still empty
        raise


def _missing_folders(artifacts_uri: str) -> list[Path]:
    """The folders a local artifact root would create, innermost first."""
    if "://" in artifacts_uri and not artifacts_uri.startswith("file://"):
        return []
    current = Path(os.path.abspath(os.path.expanduser(artifacts_uri.removeprefix("file://"))))
    missing = []
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    return missing
