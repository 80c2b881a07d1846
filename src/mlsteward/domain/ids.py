"""Identifiers: random, URL-safe, sortable by nothing in particular."""

from __future__ import annotations

import re
import uuid

_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_id() -> str:
    """A fresh 32-hex-digit id (a UUID4 without dashes)."""
    return uuid.uuid4().hex


def is_valid_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))
