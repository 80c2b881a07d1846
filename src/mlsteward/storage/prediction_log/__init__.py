"""The prediction log: every answer a deployment gave, as partitioned Parquet on fsspec.

:class:`PredictionLogWriter` runs in the data plane (a bounded queue and a background thread;
drops counted, never silent), :class:`PredictionLogReader` finds one prediction by ID, reads
a time range and applies retention, :class:`FeedbackLog` keeps the labels that arrive later.
The layout is described in :mod:`mlsteward.storage.prediction_log._layout`.
"""

from mlsteward.storage.prediction_log._feedback import FeedbackLog
from mlsteward.storage.prediction_log._layout import (
    DEPLOYMENT_PATTERN,
    is_deployment_name,
    open_filesystem,
)
from mlsteward.storage.prediction_log._reader import PredictionLogReader, id_floor
from mlsteward.storage.prediction_log._row_tables import fits_row_table, row_records_table
from mlsteward.storage.prediction_log._schema import (
    FEEDBACK_SCHEMA,
    PREDICTION_SCHEMA,
    column_values,
    record_of,
    records_of,
    rows_frame,
)
from mlsteward.storage.prediction_log._writer import PredictionLogWriter

__all__ = [
    "DEPLOYMENT_PATTERN",
    "FEEDBACK_SCHEMA",
    "PREDICTION_SCHEMA",
    "FeedbackLog",
    "PredictionLogReader",
    "PredictionLogWriter",
    "column_values",
    "fits_row_table",
    "id_floor",
    "is_deployment_name",
    "open_filesystem",
    "record_of",
    "records_of",
    "row_records_table",
    "rows_frame",
]
