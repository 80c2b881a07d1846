"""What accounts, tokens and grants may be called, checked before anything is stored.

User names are login names: letters and digits of any script, and ``. _ - @ +`` and inner
single spaces. No quotes, slashes, colons or control characters, so a name never needs
escaping anywhere it travels (a URL path, a Basic credential, a log line); two names that
normalise alike (:func:`normalize_person`) are the same name. Other labels (token names, the
resource a grant names) are printable text of bounded length.
"""

from __future__ import annotations

import unicodedata

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.people import ANONYMOUS, normalize_person

MAX_NAME_LENGTH = 250
MAX_EMAIL_LENGTH = 320
_NAME_PUNCTUATION = frozenset("._-@+ ")
_NAME_CATEGORIES = ("L", "N", "M")


def user_name_key(name: object) -> str:
    """The comparable form of a valid user name (``InvalidArgumentError`` otherwise): what
    accounts are unique by and looked up by."""
    if not isinstance(name, str):
        raise InvalidArgumentError("A user name must be text")
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidArgumentError(f"A user name must have 1 to {MAX_NAME_LENGTH} characters")
    if name != name.strip() or "  " in name:
        raise InvalidArgumentError(
            "A user name must not start or end with spaces, nor hold two in a row"
        )
    if not all(_name_character(ch) for ch in name):
        raise InvalidArgumentError(
            "A user name may hold letters, digits, spaces and . _ - @ + only"
        )
    key = normalize_person(name)
    if not key or not 1 <= len(key) <= MAX_NAME_LENGTH:
        raise InvalidArgumentError(f"A user name must have 1 to {MAX_NAME_LENGTH} characters")
    if key == ANONYMOUS:
        raise InvalidArgumentError(f"{ANONYMOUS!r} is reserved: choose another user name")
    return key


def check_label(value: object, what: str) -> str:
    """``value`` when it is printable text of 1 to 250 characters, not blank (a token's
    name, the resource a grant names)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be text")
    if not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise InvalidArgumentError(f"{what} must have 1 to {MAX_NAME_LENGTH} characters")
    if not value.isprintable() or not value.strip():
        raise InvalidArgumentError(f"{what} must be printable text, not blank")
    return value


def check_email(email: object) -> str:
    """``email`` when it looks like one address: ``local@domain``, printable, no spaces."""
    if not isinstance(email, str):
        raise InvalidArgumentError("An email address must be text")
    local, at, domain = email.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or "@" in domain
        or len(email) > MAX_EMAIL_LENGTH
        or not email.isprintable()
        or any(ch.isspace() for ch in email)
    ):
        raise InvalidArgumentError("Not an email address: expected name@domain.example")
    return email


def _name_character(ch: str) -> bool:
    return ch in _NAME_PUNCTUATION or unicodedata.category(ch).startswith(_NAME_CATEGORIES)
