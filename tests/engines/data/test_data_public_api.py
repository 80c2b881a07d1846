"""The data engines' public surface changes only on purpose."""

from __future__ import annotations

import json
import subprocess
import sys

import mlsteward.engines.data as data

EXPECTED = {
    "BadRow", "BatchSource", "CANONICAL_FORMAT_VERSION", "CheckFailure", "ColumnRule",
    "CsvSource", "DataError", "DataSchema", "DecodingError", "EmptySourceError", "FittedStep",
    "HashedTable", "HttpApiSource", "JsonLinesSource", "MalformedRowError", "MissingColumnError",
    "MixedTypesError", "Pagination", "ParquetSource", "Progress", "ProgressCallback", "RowCheck",
    "SchemaSpecError", "SourceError", "SplitError", "SqlSource", "StagedParquet", "Step",
    "StepError", "TableHasher", "Transform", "UnsupportedTypeError", "ValidationReport",
    "agreement_summary", "apply_fitted", "available_transforms", "canonical_schema",
    "canonicalize_table", "cohen_kappa", "content_hash", "fleiss_kappa", "holdout_split",
    "infer_schema", "kfold", "parse_type", "profile_table", "read_and_hash", "read_csv",
    "read_http_api", "read_jsonl", "read_parquet", "read_sql", "register_row_check",
    "register_transform", "render_html_report", "run_steps", "stage_to_parquet", "take_split",
    "time_folds", "time_split", "validate_table",
}  # fmt: skip


def test_exported_names():
    assert set(data.__all__) == EXPECTED
    for name in data.__all__:
        assert getattr(data, name) is not None


def test_reading_and_profiling_do_not_load_the_optional_heavy_parts():
    # Names resolve lazily: Parquet + profiling must not pull in pandera, scikit-learn,
    # SQLAlchemy or httpx (whatever the rest of mlsteward imports on its own is not counted).
    code = (
        "import json, sys; import mlsteward.engines.data as d; before = set(sys.modules); "
        "d.read_parquet; d.read_and_hash; d.profile_table; d.render_html_report; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(json.dumps(sorted(new & {'pandera', 'sklearn', 'sqlalchemy', 'httpx'})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
