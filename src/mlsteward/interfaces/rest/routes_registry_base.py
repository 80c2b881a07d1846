"""The errors every registry route documents (the data routes document the same ones)."""

from __future__ import annotations

from typing import Any

from mlsteward.services.api.schemas import ErrorResponse

COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse},
}
