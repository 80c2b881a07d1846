"""Password hashes (Argon2id, salted), the strength rules, and token secrets."""

from __future__ import annotations

import hashlib

import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.identity.passwords import (
    check_password_strength,
    hash_password,
    verify_password,
)
from mlsteward.services.identity.token_secrets import new_secret, secret_sha256

from .conftest import PASSWORD


def test_a_hash_is_argon2id_salted_and_verifies_only_its_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD)
    assert verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password(first, "")


def test_no_hash_and_a_malformed_hash_never_verify() -> None:
    assert verify_password(None, PASSWORD) is False
    assert verify_password("not a hash", PASSWORD) is False
    assert verify_password("$argon2id$v=19$m=1,t=1,p=1$broken", PASSWORD) is False


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short pass1", "too short"),
        ("x" * 1025, "too long"),
        ("aaaaaaaaaaaaaaaa", "one character repeated"),
        ("éééééééééééééééé", "one character repeated"),
    ],
)
def test_weak_passwords_are_refused_without_being_echoed(password: str, expected: str) -> None:
    with pytest.raises(InvalidArgumentError, match=expected) as raised:
        check_password_strength(password)
    assert password not in str(raised.value)


@pytest.mark.parametrize("password", ["a" * 11 + "b", "xy" * 512, PASSWORD, "pässwörd ünïcödé"])
def test_passwords_of_12_to_1024_characters_are_accepted(password: str) -> None:
    check_password_strength(password)


def test_a_password_must_be_text() -> None:
    with pytest.raises(InvalidArgumentError, match="must be text"):
        check_password_strength(123456789012)  # type: ignore[arg-type]


def test_secrets_are_prefixed_random_and_stored_as_their_sha256() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("mls_")
        assert len(secret) >= 4 + 43  # 256 bits in URL-safe base64
        assert secret_sha256(secret) == hashlib.sha256(secret.encode()).hexdigest()
        assert len(secret_sha256(secret)) == 64
