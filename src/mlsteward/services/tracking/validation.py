"""Validation of names, keys, values and paths: the one place these rules are written."""

from __future__ import annotations

import posixpath
import re

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.limits import Limits

#: Tracking keys; public so the OpenAPI document states this very expression.
KEY_PATTERN = re.compile(r"^[\w\-. /:]+$")
_INT64 = 2**63


def validate_key(kind: str, key: object, limits: Limits) -> str:
    """Keys: letters, digits, ``_ - . / : space``; no ``..`` segment; not absolute."""
    if not isinstance(key, str) or not key:
        raise InvalidArgumentError(f"{kind} key must be a non-empty string, got {key!r}")
    if len(key) > limits.max_key_length:
        raise InvalidArgumentError(
            f"{kind} key is {len(key)} characters; the limit is {limits.max_key_length}"
        )
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidArgumentError(
            f"Invalid {kind.lower()} key {key!r}: use letters, digits, '_', '-', '.', ' ', '/', ':'"
        )
    parts = key.split("/")
    if key.startswith("/") or ".." in parts or "." in parts or posixpath.normpath(key) != key:
        raise InvalidArgumentError(
            f"Invalid {kind.lower()} key {key!r}: it must be a normalized relative name "
            "without '..' segments"
        )
    return key


def validate_value(kind: str, key: str, value: object, max_length: int) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > max_length:
        raise InvalidArgumentError(
            f"{kind} {key!r} value is {len(text)} characters; the limit is {max_length}"
        )
    return text


def validate_metric_value(key: str, value: object) -> float:
    """Any real number, NaN and +/-inf included (stored faithfully); not bools or strings."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            import numpy as np

            if isinstance(value, np.integer | np.floating):
                return float(value)
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        raise InvalidArgumentError(f"Metric {key!r} value must be a number, got {value!r}")
    return float(value)


def validate_int64(name: str, value: object) -> int:
    number: int
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        try:
            import numpy as np

            if isinstance(value, np.integer):
                number = int(value)
            else:
                raise TypeError
        except TypeError:
            raise InvalidArgumentError(f"{name} must be an integer, got {value!r}") from None
    if not -_INT64 <= number < _INT64:
        raise InvalidArgumentError(f"{name} {number} does not fit in 64 bits")
    return number


def validate_name(kind: str, name: object, limits: Limits) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"{kind} name must be a non-empty string")
    if len(name) > limits.max_name_length:
        raise InvalidArgumentError(
            f"{kind} name is {len(name)} characters; the limit is {limits.max_name_length}"
        )
    return name


def validate_artifact_path(path: object, limits: Limits, *, allow_root: bool = False) -> str:
    """A normalized relative POSIX path that cannot escape the run's artifact root."""
    if not isinstance(path, str):
        raise InvalidArgumentError(f"Artifact path must be a string, got {path!r}")
    if path in ("", ".", "/") and allow_root:
        return ""
    if not path or "\\" in path or "\x00" in path:
        raise InvalidArgumentError(f"Invalid artifact path {path!r}")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise InvalidArgumentError(f"Artifact path {path!r} must be relative to the run's root")
    parts = path.strip("/").split("/")
    if ".." in parts:
        raise InvalidArgumentError(f"Artifact path {path!r} escapes the run's artifact root")
    normalized = posixpath.normpath(path.strip("/"))
    if normalized in ("", "."):
        if allow_root:
            return ""
        raise InvalidArgumentError(f"Invalid artifact path {path!r}")
    if len(normalized) > limits.max_artifact_path_length:
        raise InvalidArgumentError(
            f"Artifact path is {len(normalized)} characters; the limit is "
            f"{limits.max_artifact_path_length}"
        )
    return normalized
