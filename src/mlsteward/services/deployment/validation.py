"""The rules a deployment's settings follow, checked once here for every door."""

from __future__ import annotations

import math
import re

from mlsteward.domain.deployments import RUNTIMES
from mlsteward.domain.errors import InvalidArgumentError

#: ``models:/NAME@ALIAS`` (follows the alias) or ``models:/NAME/VERSION`` (pinned).
MODEL_URI_PATTERN = re.compile(r"^models:/([^/@]+)(?:@([^/@]+)|/([0-9]+))$")
MAX_REPLICAS = 1000
MAX_BATCH_SIZE = 4096
MAX_WAIT_MS = 1000.0
MAX_RETENTION_DAYS = 3650
MAX_REASON_LENGTH = 2000


def model_uri(value: object) -> str:
    """A deployable model URI: an alias to follow or a version to pin."""
    if not isinstance(value, str) or not MODEL_URI_PATTERN.fullmatch(value):
        raise InvalidArgumentError(
            f"Deploy models:/NAME@ALIAS (follows the alias) or models:/NAME/VERSION (pinned), "
            f"not {value!r}"
        )
    return value


def model_name_of(uri: str) -> str | None:
    """The registered model a deployable URI names (None for anything else)."""
    found = MODEL_URI_PATTERN.fullmatch(uri) if isinstance(uri, str) else None
    return found.group(1) if found else None


def runtime(value: object) -> str:
    if value not in RUNTIMES:
        raise InvalidArgumentError(f"runtime must be one of {', '.join(RUNTIMES)}, not {value!r}")
    return str(value)


def whole(name: str, value: object, low: int, high: int) -> int:
    """An integer setting within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be a whole number from {low} to {high}")
    return value


def number(name: str, value: object, low: float, high: float) -> float:
    """A number setting within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{name} must be a number from {low:g} to {high:g}")
    result = float(value)
    if not math.isfinite(result) or not low <= result <= high:
        raise InvalidArgumentError(f"{name} must be a number from {low:g} to {high:g}")
    return result


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be true or false")
    return value


def reason(value: object, *, required: bool) -> str:
    """Why a change is made: required to change or delete a deployment."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidArgumentError("A reason is required: say why the deployment changes")
    if len(value) > MAX_REASON_LENGTH:
        raise InvalidArgumentError(
            f"The reason is {len(value)} characters; the limit is {MAX_REASON_LENGTH}"
        )
    return value.strip()
