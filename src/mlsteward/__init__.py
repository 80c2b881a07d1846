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
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    SchemaVersionError,
    UnavailableError,
)
from mlsteward.interfaces.sdk.client import Client, PagedList
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
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from mlsteward.interfaces.sdk.seeds import seed_everything
from mlsteward.interfaces.sdk.tracking_uri import get_tracking_uri, set_tracking_uri

__all__ = [
    "ActiveRun",
    "AlreadyExistsError",
    "ArtifactEntry",
    "Client",
    "ConflictError",
    "Experiment",
    "InvalidArgumentError",
    "LifecycleStage",
    "Metric",
    "MlstewardError",
    "NotFoundError",
    "PagedList",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "SchemaVersionError",
    "UnavailableError",
    "__version__",
    "active_run",
    "end_run",
    "flush",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_runs",
    "seed_everything",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
