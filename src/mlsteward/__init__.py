"""mlsteward: the whole life of machine-learning models in one self-hostable system.

The names below are the public Python API (``tests/test_public_api.py`` guards the list);
everything else is an implementation detail that may change.
"""

from mlsteward._version import __version__
from mlsteward.domain.entities import (
    ArtifactEntry,
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
    CorruptStoreError,
    InsufficientStorageError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    PermissionDeniedError,
    SchemaVersionError,
    UnavailableError,
)
from mlsteward.domain.registry import (
    AliasEvent,
    Approval,
    GateError,
    ModelStage,
    ModelVersion,
    RegisteredModel,
    StageTransition,
)
from mlsteward.interfaces.sdk.client import Client, PagedList
from mlsteward.interfaces.sdk.data_fluent import log_input
from mlsteward.interfaces.sdk.fluent import (
    ActiveRun,
    active_run,
    end_run,
    flush,
    get_run,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_runs,
    seed_everything,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from mlsteward.interfaces.sdk.metric_buffer import PointsNotPersistedError
from mlsteward.interfaces.sdk.registry_fluent import register_model
from mlsteward.interfaces.sdk.tracking_uri import get_tracking_uri, set_tracking_uri
from mlsteward.models import (
    CrossValidationResult,
    EvaluationResult,
    ExportRecord,
    LoadedModel,
    ModelInfo,
    ModelIntegrityError,
    Signature,
    SignatureMismatchError,
    UnsupportedModelError,
    cross_validate,
    evaluate,
    export_onnx,
    infer_signature,
    load_model,
    log_model,
)

__all__ = [
    "ActiveRun",
    "AliasEvent",
    "AlreadyExistsError",
    "Approval",
    "ArtifactEntry",
    "Client",
    "ConflictError",
    "CorruptStoreError",
    "CrossValidationResult",
    "EvaluationResult",
    "Experiment",
    "ExportRecord",
    "GateError",
    "InsufficientStorageError",
    "InvalidArgumentError",
    "LifecycleStage",
    "LoadedModel",
    "Metric",
    "MlstewardError",
    "ModelInfo",
    "ModelIntegrityError",
    "ModelStage",
    "ModelVersion",
    "NotFoundError",
    "PagedList",
    "Param",
    "PermissionDeniedError",
    "PointsNotPersistedError",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "SchemaVersionError",
    "Signature",
    "SignatureMismatchError",
    "StageTransition",
    "UnavailableError",
    "UnsupportedModelError",
    "__version__",
    "active_run",
    "cross_validate",
    "end_run",
    "evaluate",
    "export_onnx",
    "flush",
    "get_run",
    "get_tracking_uri",
    "infer_signature",
    "last_active_run",
    "load_model",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_runs",
    "seed_everything",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]


def __getattr__(name: str) -> object:
    # ``mlsteward.data`` loads on first use: it brings pandera and the data engines.
    if name == "data":
        import importlib

        return importlib.import_module("mlsteward.data")
    raise AttributeError(f"module 'mlsteward' has no attribute {name!r}")
