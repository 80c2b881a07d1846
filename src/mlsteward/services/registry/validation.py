"""Validation of registry names, aliases, versions, reasons and comments: written once here."""

from __future__ import annotations

import re

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.limits import Limits

MAX_TEXT_LENGTH = 8000
#: Aliases, matched whole; public (and flag-free) so the OpenAPI document states these very
#: expressions. ``latest`` and ``v<n>``, in any case, already name versions.
ALIAS_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
RESERVED_ALIAS_PATTERN = re.compile(r"^(?:[Ll][Aa][Tt][Ee][Ss][Tt]|[Vv][0-9]+)$")
MAX_VERSION = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_model_name(name: object, limits: Limits) -> str:
    """Any printable name without ``/`` or ``@`` (they delimit ``models:/name@alias``)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("A registered model name must be a non-empty string")
    if len(name) > limits.max_name_length:
        raise InvalidArgumentError(
            f"Model name is {len(name)} characters; the limit is {limits.max_name_length}"
        )
    if name != name.strip() or "/" in name or "@" in name or _CONTROL.search(name):
        raise InvalidArgumentError(
            f"Invalid model name {name!r}: no '/', '@', control characters, or leading or "
            "trailing spaces"
        )
    return name


def validate_alias(alias: object, limits: Limits) -> str:
    if not isinstance(alias, str) or not ALIAS_PATTERN.fullmatch(alias):
        raise InvalidArgumentError(
            f"Invalid alias {alias!r}: start with a letter or '_', then letters, digits, '_' or '-'"
        )
    if len(alias) > limits.max_name_length:
        raise InvalidArgumentError(
            f"Alias is {len(alias)} characters; the limit is {limits.max_name_length}"
        )
    if RESERVED_ALIAS_PATTERN.fullmatch(alias):
        raise InvalidArgumentError(
            f"Alias {alias!r} is reserved: 'latest' and 'v<number>' already name versions"
        )
    return alias


def validate_version(version: object) -> int:
    """A version number: a positive int, or a string of digits (MLflow passes strings)."""
    if isinstance(version, bool):
        raise InvalidArgumentError(f"A version is a positive whole number, got {version!r}")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if not isinstance(version, int) or version < 1 or version > MAX_VERSION:
        raise InvalidArgumentError(f"A version is a positive whole number, got {version!r}")
    return version


def validate_text(kind: str, text: object, *, required: bool = False) -> str | None:
    """Optional free text (reasons, descriptions); ``required`` refuses blank."""
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise InvalidArgumentError(f"A {kind} is required and cannot be blank")
        return None if text is None else str(text)
    if not isinstance(text, str):
        raise InvalidArgumentError(f"A {kind} must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidArgumentError(
            f"The {kind} is {len(text)} characters; the limit is {MAX_TEXT_LENGTH}"
        )
    return text
