"""``AuditCalls``: the audit log of one platform, and checking an export offline.

``Client.audit()`` returns one and the CLI's ``audit`` commands call one; each method builds
a declared ``audit.*`` operation's request and hands it to the backend's transport, so a
local store and a server answer alike. :func:`verify_audit_export` needs no platform at
all: an export and the signing key's public half are enough.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mlsteward.domain.audit import AuditCheckpoint, AuditRecord
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.audit import operations as ops
from mlsteward.services.audit.verification import AuditVerification, verify_export
from mlsteward.services.audit.wire import AuditPublicKey, AuditRecordPage

__all__ = ["AuditCalls", "AuditPublicKey", "AuditVerification", "verify_audit_export"]

#: Records asked for per page when iterating (the server answers at most 10,000).
PAGE_SIZE = 1_000


class AuditCalls(OperationCaller):
    """Records, exports, verification, checkpoints, the public key and retention."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    @property
    def uri(self) -> str:
        return self._backend.uri

    def records(
        self,
        *,
        actor: str | None = None,
        resource_kind: str | None = None,
        resource_name: str | None = None,
        operation: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[AuditRecord]:
        """The matching records by sequence number, page after page (at most ``limit``)."""
        left = limit
        after = after_seq
        while left is None or left > 0:
            size = page_size if left is None else min(page_size, left)
            # Made here, not through ``_call``: the ``operation`` filter is a field too.
            request = ops.list_records.make(
                actor=actor,
                resource_kind=resource_kind,
                resource_name=resource_name,
                operation=operation,
                since_ms=since_ms,
                until_ms=until_ms,
                after_seq=after,
                limit=size,
            )
            page: AuditRecordPage = self._backend.transport.call(ops.list_records, request)
            yield from page.records
            if left is not None:
                left -= len(page.records)
            if page.next_after_seq is None or not page.records:
                return
            after = page.next_after_seq

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        actor: str | None = None,
        resource_kind: str | None = None,
        resource_name: str | None = None,
        operation: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> Path:
        """Write the log as JSON lines to ``path`` (all or nothing: a failed export leaves
        no partial file). Without filters the export is the whole chain, which
        :func:`verify_audit_export` checks offline."""
        request = ops.export.make(
            actor=actor,
            resource_kind=resource_kind,
            resource_name=resource_name,
            operation=operation,
            since_ms=since_ms,
            until_ms=until_ms,
        )
        target = Path(path)
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        try:
            with (
                os.fdopen(fd, "wb") as file,
                self._backend.transport.stream(ops.export, request) as chunks,
            ):
                for chunk in chunks:
                    file.write(chunk)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return target

    def verify(self) -> AuditVerification:
        """Check the whole chain where it is stored (on the server, for a server)."""
        return self._call(ops.verify)

    def checkpoint(self) -> AuditCheckpoint:
        """Sign the chain's head now."""
        return self._call(ops.create_checkpoint)

    def checkpoints(self) -> list[AuditCheckpoint]:
        return self._call(ops.list_checkpoints)

    def public_key(self) -> AuditPublicKey:
        """The signing key's id and public half (PEM), to verify exports offline."""
        return self._call(ops.public_key)

    def prune(self, older_than_days: float) -> int:
        """Remove records older than ``older_than_days`` (the platform keeps at least 183
        days); returns how many were removed."""
        return self._call(ops.prune, older_than_days=older_than_days)


def verify_audit_export(path: str | os.PathLike[str], public_key_pem: str) -> AuditVerification:
    """Check an export offline against the signing key's public half: every record's hash
    and link, and every checkpoint's signature. ``ok`` False names the first bad record."""
    return verify_export(os.fspath(path), public_key_pem)
