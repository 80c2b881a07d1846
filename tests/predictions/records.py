"""What the prediction-log tests share: fixed times and the record maker's type."""

from __future__ import annotations

from collections.abc import Callable

from mlsteward.domain.predictions import PredictionRecord

HOUR_MS = 3_600_000
#: A fixed past hour boundary (2024-05-01T10:00Z), so partitions are predictable.
T0 = 1_714_557_600_000

MakeRecord = Callable[..., PredictionRecord]
