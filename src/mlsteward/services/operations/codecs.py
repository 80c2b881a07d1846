"""Small combinators for declaring how a result travels: lists under a key, or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def listed(key: str, encode_one: Callable[[T], Any]) -> Callable[[Sequence[T]], dict[str, Any]]:
    """Encode a list of results as ``{key: [...]}``."""

    def encode(items: Sequence[T]) -> dict[str, Any]:
        return {key: [encode_one(item) for item in items]}

    return encode


def unlisted(key: str, decode_one: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """Decode ``{key: [...]}`` back into the list of results."""

    def decode(raw: Any) -> list[T]:
        return [decode_one(item) for item in raw[key]]

    return decode
