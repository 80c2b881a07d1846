"""Where the SDK sends data: set_tracking_uri, else MLSTEWARD_TRACKING_URI, else the home."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.home import home_dir

_lock = threading.Lock()
_explicit_uri: str | None = None
_backends: dict[tuple[str, str | None], TrackingBackend] = {}
_close_hooks: list[Callable[[], None]] = []

__all__ = [
    "backend_for",
    "close_backends",
    "default_artifacts_uri",
    "get_tracking_uri",
    "home_dir",
    "on_close_backends",
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


def backend_for(uri: str | None = None, user: str | None = None) -> TrackingBackend:
    """One backend per (URI, acting user) per process: engines and HTTP pools are reused."""
    target = uri or get_tracking_uri()
    with _lock:
        backend = _backends.get((target, user))
        if backend is None:
            backend = _open(target, user)
            _backends[(target, user)] = backend
        return backend


def _open(uri: str, user: str | None) -> TrackingBackend:
    if uri.startswith(("http://", "https://")):
        from mlsteward.interfaces.sdk.http_backend import HttpBackend

        return HttpBackend(uri, user=user)
    from mlsteward.interfaces.sdk.local_backend import LocalBackend

    return LocalBackend(uri, default_artifacts_uri(uri), actor=user)


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
