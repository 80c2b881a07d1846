"""Passwords: Argon2id hashes and the minimum a password must be.

Only the hash is stored. Verifying against an unknown account still costs one Argon2
verification (against a fixed dummy hash), so the time a sign-in takes does not tell whether
the name exists.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mlsteward.domain.errors import InvalidArgumentError

MIN_PASSWORD_LENGTH = 12
#: Long enough for any passphrase; short enough that hashing it costs nothing unusual.
MAX_PASSWORD_LENGTH = 1024

# argon2-cffi's defaults follow RFC 9106's low-memory profile (Argon2id, 64 MiB, 3 passes).
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash no password is checked against for real: unknown accounts verify against it."""
    return _HASHER.hash("mlsteward: no such account")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted; the encoded form carries its parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; ``None`` (no such account, or no
    password) never matches but takes as long as a real check."""
    if password_hash is None:
        _verify(_dummy_hash(), password)
        return False
    return _verify(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash on sign-in)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


def check_password_strength(password: str) -> None:
    """Refuse (``InvalidArgumentError``) a password that is too short, too long or one
    character repeated. The message never repeats the password."""
    if not isinstance(password, str):
        raise InvalidArgumentError("A password must be text")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgumentError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidArgumentError(
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters"
        )
    if len(set(password)) == 1:
        raise InvalidArgumentError("The password must not be one character repeated")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
