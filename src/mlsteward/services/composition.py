"""The composition root: the one place that opens stores and builds a service context.

The server (its app and its monitor scheduler), the local SDK and the CLI all get their
context here, so what a context holds (stores, the allow-lists, whether users' models may be
loaded) is decided once, and no door opens a store of its own.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError
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
) -> ServiceContext:
    """Open the database behind ``store_uri`` and the blobs under ``artifacts_uri``.

    ``upgrade`` migrates an older schema (the local SDK does; a server opens what it has
    already prepared). The caller owns the context: :func:`close_context` when done.
    """
    stores = open_store(store_uri, upgrade=upgrade)
    try:
        blobs = open_blob_store(artifacts_uri)
    except BaseException:
        stores.close()
        raise
    return ServiceContext(
        actor=actor,
        stores=stores,
        blobs=blobs,
        outbound=outbound,
        allow_model_code=allow_model_code,
    )


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
