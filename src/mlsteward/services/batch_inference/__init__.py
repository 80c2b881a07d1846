"""Batch inference: a registered model over a table, into files or a new dataset version.

:func:`predict_batch` resolves the model version (as serving does), the input (files, globs,
``s3://`` URLs, ``dataset:NAME@VERSION``) and the output (a Parquet folder, a CSV file,
``dataset:NAME``), runs the chunks through ``engines.batch_scoring`` and logs each scored row
to the prediction log. ``operations`` declares it for every door.
"""

from mlsteward.services.batch_inference.jobs import DEFAULT_CHUNK_ROWS, BatchOptions, predict_batch
from mlsteward.services.batch_inference.progress import ProgressListener, reporting_to
from mlsteward.services.batch_inference.wire import BatchReport

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BatchOptions",
    "BatchReport",
    "ProgressListener",
    "predict_batch",
    "reporting_to",
]
