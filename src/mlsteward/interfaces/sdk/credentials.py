"""Where the SDK finds the token it signs in with, and the file ``mlsteward login`` keeps.

A token is chosen in this order: the one given to ``Client(token=...)``, else
``MLSTEWARD_TRACKING_TOKEN``, else the credentials file ``<mlsteward home>/credentials.json``
(a JSON object mapping each tracking URI to its token, and nothing else). The file is
written atomically with mode 0600 (a reader never sees half a file, and no other local user
can read it); a file others may read is still used, with a warning, as ``ssh`` would not.
Tokens are never logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk.home import home_dir

__all__ = [
    "CREDENTIALS_FILE",
    "TOKEN_ENV",
    "credential_key",
    "credentials_path",
    "forget_token",
    "read_credentials",
    "resolve_token",
    "save_token",
    "stored_token",
]

log = logging.getLogger(__name__)

TOKEN_ENV = "MLSTEWARD_TRACKING_TOKEN"  # noqa: S105 - a variable's name, not a secret
CREDENTIALS_FILE = "credentials.json"

_lock = threading.Lock()
# The file as last read, keyed by what ``stat`` says of it: the fluent API resolves a token
# on every call, and one ``stat`` is far cheaper than parsing the file again.
_cache: tuple[Path, tuple[int, int, int], dict[str, str]] | None = None


def credentials_path() -> Path:
    """``<mlsteward home>/credentials.json``."""
    return home_dir() / CREDENTIALS_FILE


def credential_key(uri: str) -> str:
    """The key a tracking URI's token is kept under: a server URL without its trailing
    slash, a plain path as an absolute path, any other URL as it is."""
    text = os.fspath(uri).strip()
    if text.lower().startswith(("http://", "https://")):
        scheme, _, rest = text.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}".rstrip("/")
    if "://" in text:
        return text
    return str(Path(text).expanduser().absolute())


def resolve_token(uri: str, explicit: str | None = None) -> str | None:
    """The token to send to ``uri``: ``explicit``, else ``MLSTEWARD_TRACKING_TOKEN``, else
    the one ``mlsteward login`` stored for ``uri`` (None: sign in as nobody)."""
    if explicit:
        return explicit
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env
    return stored_token(uri)


def stored_token(uri: str) -> str | None:
    """The token kept in the credentials file for ``uri``, if any."""
    return read_credentials().get(credential_key(uri))


def read_credentials() -> dict[str, str]:
    """Every URI → token pair in the credentials file (empty when there is no file).

    A file that is not a JSON object of strings is refused with a clear error rather than
    silently ignored (the user would otherwise act as nobody without knowing why).
    """
    global _cache
    path = credentials_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    signature = (info.st_ino, info.st_mtime_ns, info.st_size)
    with _lock:
        if _cache is not None and _cache[0] == path and _cache[1] == signature:
            return dict(_cache[2])
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s can be read by other users; run `chmod 600 %s` (or `mlsteward login` again)",
            path,
            path,
        )
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidArgumentError(
            f"Cannot read the credentials file {path}: {type(error).__name__}; remove it and "
            "run `mlsteward login` again"
        ) from None
    if not isinstance(loaded, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in loaded.items()
    ):
        raise InvalidArgumentError(
            f"The credentials file {path} is not a map of tracking URIs to tokens; remove it "
            "and run `mlsteward login` again"
        )
    with _lock:
        _cache = (path, signature, dict(loaded))
    return dict(loaded)


def save_token(uri: str, token: str) -> Path:
    """Keep ``token`` for ``uri`` in the credentials file (replacing an older one)."""
    if not token or token != token.strip() or not token.isprintable():
        raise InvalidArgumentError("A token is one line of printable characters")
    entries = read_credentials()
    entries[credential_key(uri)] = token
    return _write(entries)


def forget_token(uri: str) -> str | None:
    """Remove the token kept for ``uri``; returns it (None when there was none)."""
    entries = read_credentials()
    removed = entries.pop(credential_key(uri), None)
    if removed is not None:
        _write(entries)
    return removed


def _write(entries: dict[str, str]) -> Path:
    """Replace the file with ``entries``, atomically and readable by its owner only."""
    global _cache
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(entries, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    # mkstemp creates the file 0600 from the start: the token is never readable by others,
    # not even for an instant before a chmod.
    fd, temporary = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with _lock:
        _cache = None
    return path
