"""Which stored blobs the records still point at: what ``mlsteward gc`` must never remove.

A store that keeps blob digests (run artifacts, dataset files, profiles, reports, model
environments) implements this contract so a collector can tell a live blob from an orphan
left by a failed upload.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterator

from mlsteward.storage.capabilities import StoreCapabilities


class BlobReferenceStore(abc.ABC):
    """Answers "is this blob referenced?" over every record that holds a blob digest."""

    capabilities: StoreCapabilities

    @abc.abstractmethod
    def iter_referenced_digests(self) -> Iterator[str]:
        """Every digest some record references (repeats allowed), streamed, not loaded."""

    @abc.abstractmethod
    def referenced_among(self, digests: Collection[str]) -> set[str]:
        """The subset of ``digests`` that some record references."""

    # -- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (one sharing its database with the other
        stores of a bundle holds nothing: the bundle closes the database)."""
