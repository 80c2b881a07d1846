"""``Client.datasets()``: the data operations behind a client (used by the CLI and scripts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.interfaces.sdk.backend import TrackingBackend

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.data_calls import DatasetCalls


class DataClientMixin:
    """Adds ``datasets()`` to ``Client``; the host class provides ``_backend``."""

    _backend: TrackingBackend

    def datasets(self) -> DatasetCalls:
        """This client's data operations (versions, profiles, transforms, lineage, labels)."""
        from mlsteward.interfaces.sdk.data_calls import DatasetCalls  # heavy: on first use

        return DatasetCalls(self._backend)
