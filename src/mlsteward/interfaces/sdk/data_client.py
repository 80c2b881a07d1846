"""``Client.datasets()``: the data backend behind a client (used by the CLI and scripts)."""

from __future__ import annotations

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.data_backend import DataBackend


class DataClientMixin:
    """Adds ``datasets()`` to ``Client``; the host class provides ``_backend``."""

    _backend: TrackingBackend

    def datasets(self) -> DataBackend:
        """This client's ``DataBackend`` (versions, profiles, transforms, lineage, labels)."""
        if not isinstance(self._backend, DataBackend):
            raise MlstewardError(f"The backend at {self._backend.uri!r} does not serve datasets")
        return self._backend
