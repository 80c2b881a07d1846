"""The seam between the SDK and where data lives: in-process services or a server over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.transport import Transport


class TrackingBackend(Protocol):
    """One platform the SDK talks to (``LocalBackend`` or ``HttpBackend``): every declared
    operation runs through its ``transport``, with one behaviour for both."""

    uri: str

    @property
    def transport(self) -> Transport: ...

    def close(self) -> None: ...
