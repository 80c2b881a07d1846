"""Data engines: reading, content hashing, profiling, validation, transforms, splits, agreement.

Pure computation over Arrow tables that the data service builds on; nothing here stores
anything or knows about users. The public surface is listed in ``__all__``; the modules
behind it are implementation details.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Names resolve lazily (PEP 562): importing the package stays cheap, and a caller that only
# reads Parquet does not load pandera, scikit-learn, SQLAlchemy or httpx.
_EXPORTS = {
    "agreement_summary": "mlsteward.engines.data.agreement",
    "apply_fitted": "mlsteward.engines.data.transforms.step",
    "available_transforms": "mlsteward.engines.data.transforms.step",
    "BadRow": "mlsteward.engines.data.errors",
    "BatchSource": "mlsteward.engines.data.sources.base",
    "CANONICAL_FORMAT_VERSION": "mlsteward.engines.data.canonical",
    "canonical_schema": "mlsteward.engines.data.canonical",
    "canonicalize_table": "mlsteward.engines.data.canonical",
    "CheckFailure": "mlsteward.engines.data.validation.validate",
    "cohen_kappa": "mlsteward.engines.data.agreement",
    "ColumnRule": "mlsteward.engines.data.validation.schema",
    "content_hash": "mlsteward.engines.data.table_hash",
    "CsvSource": "mlsteward.engines.data.sources.csv_source",
    "DataError": "mlsteward.engines.data.errors",
    "DataSchema": "mlsteward.engines.data.validation.schema",
    "DecodingError": "mlsteward.engines.data.errors",
    "EmptySourceError": "mlsteward.engines.data.errors",
    "FittedStep": "mlsteward.engines.data.transforms.step",
    "fleiss_kappa": "mlsteward.engines.data.agreement",
    "HashedTable": "mlsteward.engines.data.ingest",
    "holdout_split": "mlsteward.engines.data.splits",
    "HttpApiSource": "mlsteward.engines.data.sources.http_source",
    "infer_schema": "mlsteward.engines.data.validation.inference",
    "JsonLinesSource": "mlsteward.engines.data.sources.jsonl_source",
    "kfold": "mlsteward.engines.data.splits",
    "MalformedRowError": "mlsteward.engines.data.errors",
    "MissingColumnError": "mlsteward.engines.data.errors",
    "MixedTypesError": "mlsteward.engines.data.errors",
    "Pagination": "mlsteward.engines.data.sources.http_source",
    "ParquetSource": "mlsteward.engines.data.sources.parquet_source",
    "parse_type": "mlsteward.engines.data.canonical",
    "profile_table": "mlsteward.engines.data.profiling.profile",
    "Progress": "mlsteward.engines.data.progress",
    "ProgressCallback": "mlsteward.engines.data.progress",
    "read_and_hash": "mlsteward.engines.data.ingest",
    "read_csv": "mlsteward.engines.data.sources.csv_source",
    "read_http_api": "mlsteward.engines.data.sources.http_source",
    "read_jsonl": "mlsteward.engines.data.sources.jsonl_source",
    "read_parquet": "mlsteward.engines.data.sources.parquet_source",
    "read_sql": "mlsteward.engines.data.sources.sql_source",
    "register_row_check": "mlsteward.engines.data.validation.validate",
    "register_transform": "mlsteward.engines.data.transforms.step",
    "render_html_report": "mlsteward.engines.data.profiling.html_report",
    "RowCheck": "mlsteward.engines.data.validation.schema",
    "run_steps": "mlsteward.engines.data.transforms.step",
    "SchemaSpecError": "mlsteward.engines.data.errors",
    "SourceError": "mlsteward.engines.data.errors",
    "SplitError": "mlsteward.engines.data.errors",
    "SqlSource": "mlsteward.engines.data.sources.sql_source",
    "stage_to_parquet": "mlsteward.engines.data.ingest",
    "StagedParquet": "mlsteward.engines.data.ingest",
    "Step": "mlsteward.engines.data.transforms.step",
    "StepError": "mlsteward.engines.data.errors",
    "TableHasher": "mlsteward.engines.data.table_hash",
    "take_split": "mlsteward.engines.data.splits",
    "time_folds": "mlsteward.engines.data.splits",
    "time_split": "mlsteward.engines.data.splits",
    "Transform": "mlsteward.engines.data.transforms.step",
    "UnsupportedTypeError": "mlsteward.engines.data.errors",
    "validate_table": "mlsteward.engines.data.validation.validate",
    "ValidationReport": "mlsteward.engines.data.validation.validate",
}

__all__ = [
    "CANONICAL_FORMAT_VERSION",
    "BadRow",
    "BatchSource",
    "CheckFailure",
    "ColumnRule",
    "CsvSource",
    "DataError",
    "DataSchema",
    "DecodingError",
    "EmptySourceError",
    "FittedStep",
    "HashedTable",
    "HttpApiSource",
    "JsonLinesSource",
    "MalformedRowError",
    "MissingColumnError",
    "MixedTypesError",
    "Pagination",
    "ParquetSource",
    "Progress",
    "ProgressCallback",
    "RowCheck",
    "SchemaSpecError",
    "SourceError",
    "SplitError",
    "SqlSource",
    "StagedParquet",
    "Step",
    "StepError",
    "TableHasher",
    "Transform",
    "UnsupportedTypeError",
    "ValidationReport",
    "agreement_summary",
    "apply_fitted",
    "available_transforms",
    "canonical_schema",
    "canonicalize_table",
    "cohen_kappa",
    "content_hash",
    "fleiss_kappa",
    "holdout_split",
    "infer_schema",
    "kfold",
    "parse_type",
    "profile_table",
    "read_and_hash",
    "read_csv",
    "read_http_api",
    "read_jsonl",
    "read_parquet",
    "read_sql",
    "register_row_check",
    "register_transform",
    "render_html_report",
    "run_steps",
    "stage_to_parquet",
    "take_split",
    "time_folds",
    "time_split",
    "validate_table",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from mlsteward.engines.data.agreement import agreement_summary, cohen_kappa, fleiss_kappa
    from mlsteward.engines.data.canonical import (
        CANONICAL_FORMAT_VERSION,
        canonical_schema,
        canonicalize_table,
        parse_type,
    )
    from mlsteward.engines.data.errors import (
        BadRow,
        DataError,
        DecodingError,
        EmptySourceError,
        MalformedRowError,
        MissingColumnError,
        MixedTypesError,
        SchemaSpecError,
        SourceError,
        SplitError,
        StepError,
        UnsupportedTypeError,
    )
    from mlsteward.engines.data.ingest import (
        HashedTable,
        StagedParquet,
        read_and_hash,
        stage_to_parquet,
    )
    from mlsteward.engines.data.profiling.html_report import render_html_report
    from mlsteward.engines.data.profiling.profile import profile_table
    from mlsteward.engines.data.progress import Progress, ProgressCallback
    from mlsteward.engines.data.sources.base import BatchSource
    from mlsteward.engines.data.sources.csv_source import CsvSource, read_csv
    from mlsteward.engines.data.sources.http_source import HttpApiSource, Pagination, read_http_api
    from mlsteward.engines.data.sources.jsonl_source import JsonLinesSource, read_jsonl
    from mlsteward.engines.data.sources.parquet_source import ParquetSource, read_parquet
    from mlsteward.engines.data.sources.sql_source import SqlSource, read_sql
    from mlsteward.engines.data.splits import (
        holdout_split,
        kfold,
        take_split,
        time_folds,
        time_split,
    )
    from mlsteward.engines.data.table_hash import TableHasher, content_hash
    from mlsteward.engines.data.transforms.step import (
        FittedStep,
        Step,
        Transform,
        apply_fitted,
        available_transforms,
        register_transform,
        run_steps,
    )
    from mlsteward.engines.data.validation.inference import infer_schema
    from mlsteward.engines.data.validation.schema import ColumnRule, DataSchema, RowCheck
    from mlsteward.engines.data.validation.validate import (
        CheckFailure,
        ValidationReport,
        register_row_check,
        validate_table,
    )
