"""Checking credentials: API tokens (briefly cached) and passwords (rate limited).

A token is looked up by its secret's SHA-256; the answer is cached for a couple of seconds
under that hash, so a busy client does not cost a query per request. Whether the token has
expired is checked on every use, cached or not; revoking it through the service (or
disabling its account) makes the authenticator forget it at once, and another process's
cache lets it go within ``cache_seconds``.

Failed password sign-ins are counted per user name and per network address; over the limit
the sign-in is refused for a while (429) whether or not the password is right, and the
answers never tell whether the account exists. The counts live in the store (shared by
every server process) and, for this process, in memory too: a request whose transaction is
rolled back still counts.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from mlsteward.domain.errors import (
    InvalidArgumentError,
    TooManyAttemptsError,
    UnauthenticatedError,
)
from mlsteward.domain.identity import ApiToken, Principal, PrincipalKind, User
from mlsteward.services.identity.names import user_name_key
from mlsteward.services.identity.passwords import (
    hash_password,
    needs_rehash,
    verify_password,
)
from mlsteward.services.identity.token_secrets import secret_sha256
from mlsteward.storage.bundle import Stores

INVALID_TOKEN = "The token is not valid (unknown, expired or revoked)"  # noqa: S105 - a message
WRONG_PASSWORD = "The user name or password is not correct"  # noqa: S105 - a message
TOO_MANY_ATTEMPTS = "Too many failed sign-ins: wait a few minutes, then try again"
#: Failed sign-ins counted over this window.
FAILURE_WINDOW_MS = 15 * 60 * 1000
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
#: How often a token's "last used" time is written (not on every request).
TOUCH_INTERVAL_MS = 60_000
#: Tokens longer than this are not tokens (and are not hashed).
MAX_SECRET_LENGTH = 1024
_MAX_ADDRESS_LENGTH = 200
#: Keys whose failures this process remembers (the oldest forgotten beyond it).
_MAX_REMEMBERED_KEYS = 10_000


def _now_ms() -> int:
    # Not services.context.now_ms: the context names this module, so importing it would
    # make a cycle.
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class _Cached:
    token: ApiToken
    user: User
    cached_at_ms: int


class Authenticator:
    """Turns a credential into the :class:`Principal` it proves, or refuses it."""

    def __init__(
        self, stores: Stores, clock: Callable[[], int] = _now_ms, cache_seconds: float = 2.0
    ) -> None:
        self._identity = stores.identity
        self._clock = clock
        self._cache_ms = max(0, round(cache_seconds * 1000))
        self._lock = threading.Lock()
        self._tokens: dict[str, _Cached] = {}
        self._touched: dict[str, int] = {}
        self._failures = _RecentFailures(_MAX_REMEMBERED_KEYS)

    # -- tokens ------------------------------------------------------------------------------
    def authenticate_token(self, secret: str) -> Principal:
        """The principal ``secret`` signs in as; ``UnauthenticatedError`` when it is unknown,
        expired, revoked or its account is disabled (the message never repeats it)."""
        if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET_LENGTH:
            raise UnauthenticatedError(INVALID_TOKEN)
        digest = secret_sha256(secret)
        now = self._clock()
        cached = self._lookup(digest, now)
        token, user = cached.token, cached.user
        if not token.usable_at(now) or not user.active:
            self._drop(digest)
            raise UnauthenticatedError(INVALID_TOKEN)
        self._touch(token.token_id, now)
        return Principal(
            name=user.name,
            kind=user.kind,
            user_id=user.user_id,
            read_only=token.read_only,
            token_id=token.token_id,
        )

    def cached_principal(self, secret: str) -> Principal | None:
        """The principal ``secret`` signs in as when the answer is cached and nothing needs
        the store (no lookup, no "last used" write due); None otherwise, when the caller
        must call :meth:`authenticate_token`. Never blocks on the store, so a server can ask
        on its event loop and go to a worker thread only on a miss."""
        if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET_LENGTH:
            return None
        digest = secret_sha256(secret)
        now = self._clock()
        with self._lock:
            cached = self._tokens.get(digest)
            if cached is None or not 0 <= now - cached.cached_at_ms < self._cache_ms:
                return None
            last = self._touched.get(cached.token.token_id)
            if last is None or not 0 <= now - last < TOUCH_INTERVAL_MS:
                return None
        token, user = cached.token, cached.user
        if not token.usable_at(now) or not user.active:
            return None  # authenticate_token refuses it, and forgets it
        return Principal(
            name=user.name,
            kind=user.kind,
            user_id=user.user_id,
            read_only=token.read_only,
            token_id=token.token_id,
        )

    def forget(self, token_id: str | None = None) -> None:
        """Drop the cached answer for ``token_id`` (every cached answer when None), so the
        next use reads the store again."""
        with self._lock:
            if token_id is None:
                self._tokens.clear()
                return
            for digest in [d for d, c in self._tokens.items() if c.token.token_id == token_id]:
                del self._tokens[digest]

    def _lookup(self, digest: str, now: int) -> _Cached:
        with self._lock:
            cached = self._tokens.get(digest)
        if cached is not None and 0 <= now - cached.cached_at_ms < self._cache_ms:
            return cached
        found = self._identity.token_by_secret(digest)
        if found is None:
            self._drop(digest)
            raise UnauthenticatedError(INVALID_TOKEN)
        fresh = _Cached(found[0], found[1], now)
        if self._cache_ms:
            with self._lock:
                self._tokens[digest] = fresh
        return fresh

    def _drop(self, digest: str) -> None:
        with self._lock:
            self._tokens.pop(digest, None)

    def _touch(self, token_id: str, now: int) -> None:
        with self._lock:
            last = self._touched.get(token_id)
            if last is not None and 0 <= now - last < TOUCH_INTERVAL_MS:
                return
            if len(self._touched) >= _MAX_REMEMBERED_KEYS:
                self._touched.clear()
            self._touched[token_id] = now
        self._identity.touch_token(token_id, now)

    # -- passwords ---------------------------------------------------------------------------
    def authenticate_password(self, name: str, password: str, address: str | None) -> Principal:
        """The account ``name`` signs in as with ``password``.

        ``UnauthenticatedError`` (one message for every reason: unknown name, wrong password,
        no password, disabled account); ``TooManyAttemptsError`` after 5 failures for the
        name or 20 from the address within 15 minutes, even with the right password. A
        success clears the name's failures.
        """
        now = self._clock()
        since = now - FAILURE_WINDOW_MS
        keys = _failure_keys(name, address)
        self._refuse_when_locked(keys, since)
        user = self._account(name)
        password_hash = None if user is None else self._identity.password_hash(user.user_id)
        matches = verify_password(password_hash, password if isinstance(password, str) else "")
        if user is None or not matches or not user.active:
            for key, _ in keys:
                self._failures.add(key, now)
                self._identity.add_login_failure(key, now)
            raise UnauthenticatedError(WRONG_PASSWORD)
        user_key = f"user:{user_name_key(user.name)}"
        self._failures.clear(user_key)
        self._identity.clear_login_failures(user_key)
        for key, _ in keys:
            self._identity.clear_login_failures(key, before_ms=since)  # old rows only
        if password_hash is not None and needs_rehash(password_hash):
            self._identity.set_password_hash(user.user_id, hash_password(password))
        return Principal(name=user.name, kind=user.kind, user_id=user.user_id)

    def _refuse_when_locked(self, keys: list[tuple[str, int]], since: int) -> None:
        for key, limit in keys:
            stored = self._identity.login_failures(key, since)
            if max(stored, self._failures.count(key, since)) >= limit:
                raise TooManyAttemptsError(TOO_MANY_ATTEMPTS)

    def _account(self, name: object) -> User | None:
        try:
            key = user_name_key(name)
        except InvalidArgumentError:
            return None
        user = self._identity.get_user_by_name_key(key)
        if user is None or user.kind is not PrincipalKind.USER:
            return None
        return user


def _failure_keys(name: object, address: str | None) -> list[tuple[str, int]]:
    """The keys a failed sign-in counts under, each with its limit: the name (when it could
    be an account's) and the address (when known)."""
    keys: list[tuple[str, int]] = []
    with contextlib.suppress(InvalidArgumentError):  # no account has such a name: address only
        keys.append((f"user:{user_name_key(name)}", MAX_FAILURES_PER_USER))
    if isinstance(address, str) and address:
        keys.append((f"addr:{address[:_MAX_ADDRESS_LENGTH]}", MAX_FAILURES_PER_ADDRESS))
    return keys


class _RecentFailures:
    """Failed sign-ins this process saw, per key, for the last window (bounded in keys)."""

    def __init__(self, max_keys: int) -> None:
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._times: OrderedDict[str, deque[int]] = OrderedDict()

    def add(self, key: str, at_ms: int) -> None:
        with self._lock:
            times = self._times.pop(key, None) or deque()
            times.append(at_ms)
            self._times[key] = times
            while len(self._times) > self._max_keys:
                self._times.popitem(last=False)

    def count(self, key: str, since_ms: int) -> int:
        with self._lock:
            times = self._times.get(key)
            if times is None:
                return 0
            while times and times[0] < since_ms:
                times.popleft()
            return len(times)

    def clear(self, key: str) -> None:
        with self._lock:
            self._times.pop(key, None)
