"""Progress reporting hook shared by every source.

Sources call a plain callback after each record batch, so interfaces can attach a rich
progress bar (or a log line, or nothing) without the engines knowing about terminals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """How far a read has got. ``total_*`` are None when the source cannot know them."""

    source: str
    rows: int
    batches: int
    bytes_read: int | None = None
    total_bytes: int | None = None
    total_rows: int | None = None

    @property
    def fraction(self) -> float | None:
        """Completed share in [0, 1], from bytes when known, else rows; None if unknown."""
        if self.total_bytes:
            return min(1.0, (self.bytes_read or 0) / self.total_bytes)
        if self.total_rows:
            return min(1.0, self.rows / self.total_rows)
        return None


ProgressCallback = Callable[[Progress], None]


class ProgressTracker:
    """Accumulates rows and bytes for one read and forwards snapshots to a callback."""

    def __init__(
        self,
        source: str,
        callback: ProgressCallback | None,
        *,
        total_bytes: int | None = None,
        total_rows: int | None = None,
    ) -> None:
        self.source = source
        self.callback = callback
        self.total_bytes = total_bytes
        self.total_rows = total_rows
        self.rows = 0
        self.batches = 0
        self.bytes_read: int | None = 0 if total_bytes is not None else None

    def advance(self, rows: int, bytes_read: int | None = None) -> None:
        """Record one more batch of ``rows`` rows (and optionally the bytes consumed so far)."""
        self.rows += rows
        self.batches += 1
        if bytes_read is not None:
            self.bytes_read = bytes_read
        if self.callback is not None:
            self.callback(
                Progress(
                    source=self.source,
                    rows=self.rows,
                    batches=self.batches,
                    bytes_read=self.bytes_read,
                    total_bytes=self.total_bytes,
                    total_rows=self.total_rows,
                )
            )
