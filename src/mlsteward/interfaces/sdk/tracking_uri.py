"""Where the SDK sends data: set_tracking_uri, else MLSTEWARD_TRACKING_URI, else the home;
signed in with the token :mod:`~mlsteward.interfaces.sdk.credentials` finds for it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.credentials import resolve_token
from mlsteward.interfaces.sdk.home import home_dir

_lock = threading.Lock()
_explicit_uri: str | None = None
_backends: dict[tuple[str, str | None, str | None], TrackingBackend] = {}
_close_hooks: list[Callable[[], None]] = []

__all__ = [
    "backend_for",
    "close_backends",
    "default_artifacts_uri",
    "get_tracking_uri",
    "home_dir",
    "on_close_backends",
    "open_backend",
    "set_tracking_uri",
]


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Point the SDK at a path, ``sqlite:///``, ``postgresql://`` or ``http(s)://`` URI."""
    global _explicit_uri
    _explicit_uri = None if uri is None else os.fspath(uri)


def get_tracking_uri() -> str:
    if _explicit_uri:
        return _explicit_uri
    env = os.environ.get("MLSTEWARD_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{home_dir() / 'mlsteward.db'}"


def default_artifacts_uri(store_uri: str) -> str:
    """``MLSTEWARD_ARTIFACTS_URI``, else an ``artifacts`` folder beside a SQLite file, else home."""
    env = os.environ.get("MLSTEWARD_ARTIFACTS_URI")
    if env:
        return env
    if store_uri.startswith("sqlite:///"):
        return str(Path(store_uri.removeprefix("sqlite:///")).parent / "artifacts")
    if "://" not in store_uri:
        path = Path(store_uri).expanduser()
        folder = path if path.is_dir() or path.suffix == "" else path.parent
        return str(folder / "artifacts")
    return str(home_dir() / "artifacts")


def backend_for(
    uri: str | None = None, user: str | None = None, token: str | None = None
) -> TrackingBackend:
    """One backend per (URI, acting user, token) per process: engines and HTTP pools are
    reused. Without ``token`` the one :func:`~mlsteward.interfaces.sdk.credentials.resolve_token`
    finds is used (``MLSTEWARD_TRACKING_TOKEN``, else what ``mlsteward login`` stored), so
    signing in again takes effect at the next call."""
    target = uri or get_tracking_uri()
    credential = resolve_token(target, token)
    with _lock:
        backend = _backends.get((target, user, credential))
        if backend is None:
            backend = open_backend(target, user, credential)
            _backends[(target, user, credential)] = backend
        return backend


def open_backend(uri: str, user: str | None = None, token: str | None = None) -> TrackingBackend:
    """A new backend for ``uri``, signed in with exactly ``token`` (None: as nobody on a
    server, as the store's owner locally); not shared, so the caller closes it."""
    if uri.startswith(("http://", "https://")):
        from mlsteward.interfaces.sdk.http_backend import HttpBackend

        return HttpBackend(uri, user=user, token=token)
    from mlsteward.interfaces.sdk.local_backend import LocalBackend

    return LocalBackend(uri, default_artifacts_uri(uri), actor=user, token=token)


def on_close_backends(hook: Callable[[], None]) -> None:
    """Run ``hook`` before backends close (the fluent API drops buffers bound to them)."""
    _close_hooks.append(hook)


def close_backends() -> None:
    for hook in list(_close_hooks):
        hook()
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()
