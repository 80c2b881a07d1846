"""Domain entities, errors and ids: plain values with no I/O."""

from mlsteward.domain.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
)
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    SchemaVersionError,
)

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "Experiment",
    "InvalidArgumentError",
    "LifecycleStage",
    "Metric",
    "MlstewardError",
    "NotFoundError",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "SchemaVersionError",
]
