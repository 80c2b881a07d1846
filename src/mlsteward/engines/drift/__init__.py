"""Drift detection engine: statistics, reference profiles, chunking, performance estimation.

Pure computation on tables (pandas, Arrow or mappings of arrays); no I/O. The monitoring
service calls:

- :class:`DriftAnalyzer` / :func:`detect_drift` -- per-column, dataset-level and per-chunk drift
  against a raw reference or a :class:`ReferenceProfile`; ``run_stream`` for data of any size.
- :func:`build_profile` / :class:`ProfileBuilder` -- mergeable, JSON-serializable reference
  summaries built by streaming chunks.
- :class:`PCAReconstructionDrift`, :func:`domain_classifier_drift` -- multivariate drift.
- :func:`realized_performance`, :class:`CBPE` -- performance with and without labels.
- :func:`default_registry` / :class:`DriftTestRegistry` -- built-in tests and plugins from the
  ``mlsteward.drift_tests`` entry-point group; :class:`DriftTest` is the plugin shape.
"""

from mlsteward.engines.drift.analyzer import DriftAnalyzer, detect_drift
from mlsteward.engines.drift.cbpe import CBPE, CBPEChunkResult, CBPEReport, EstimatedMetric
from mlsteward.engines.drift.chunking import Chunk, Chunker, ChunkPlan
from mlsteward.engines.drift.column_evaluation import ColumnConfig, evaluate_column
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.column_roles import ColumnRoles
from mlsteward.engines.drift.domain_classifier import DomainClassifierResult, domain_classifier_auc
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.multivariate import (
    MULTIVARIATE_METHODS,
    MultivariateChunkResult,
    MultivariateDriftResult,
    PCAReconstructionDrift,
    domain_classifier_drift,
    multivariate_drift,
)
from mlsteward.engines.drift.performance import (
    MetricsResult,
    PerformanceReport,
    realized_performance,
)
from mlsteward.engines.drift.profile import ProfileBuilder, ReferenceProfile, build_profile
from mlsteward.engines.drift.quantile_sketch import QuantileSketch
from mlsteward.engines.drift.registry import (
    ENTRY_POINT_GROUP,
    DriftTestRegistry,
    builtin_tests,
    choose_default_test,
    default_registry,
)
from mlsteward.engines.drift.results import (
    ChunkDriftResult,
    ChunkInfo,
    ColumnDriftResult,
    ColumnSummary,
    DatasetDriftResult,
    DriftReport,
    LearnedThreshold,
    MissingShareResult,
    TestResult,
    to_jsonable,
)
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    Histogram,
    Moments,
    NumericSample,
)
from mlsteward.engines.drift.spec import (
    ColumnKind,
    DriftTest,
    DriftTestSpec,
    NotApplicableError,
    TestOutcome,
    ThresholdKind,
)

__all__ = [
    "CBPE",
    "ENTRY_POINT_GROUP",
    "MULTIVARIATE_METHODS",
    "CBPEChunkResult",
    "CBPEReport",
    "CategoricalSample",
    "Chunk",
    "ChunkDriftResult",
    "ChunkInfo",
    "ChunkPlan",
    "Chunker",
    "ColumnConfig",
    "ColumnDriftResult",
    "ColumnKind",
    "ColumnPair",
    "ColumnRoles",
    "ColumnSummary",
    "ColumnTypeError",
    "DatasetDriftResult",
    "DomainClassifierResult",
    "DriftAnalyzer",
    "DriftReport",
    "DriftTest",
    "DriftTestRegistry",
    "DriftTestSpec",
    "EmbeddingSample",
    "EstimatedMetric",
    "Frame",
    "Histogram",
    "LearnedThreshold",
    "MetricsResult",
    "MissingShareResult",
    "Moments",
    "MultivariateChunkResult",
    "MultivariateDriftResult",
    "NotApplicableError",
    "NumericSample",
    "PCAReconstructionDrift",
    "PerformanceReport",
    "ProfileBuilder",
    "QuantileSketch",
    "ReferenceProfile",
    "TestOutcome",
    "TestResult",
    "ThresholdKind",
    "build_profile",
    "builtin_tests",
    "choose_default_test",
    "default_registry",
    "detect_drift",
    "domain_classifier_auc",
    "domain_classifier_drift",
    "evaluate_column",
    "multivariate_drift",
    "realized_performance",
    "to_jsonable",
]
