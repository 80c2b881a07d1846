"""Batch scoring: a table's rows through a model, chunk by chunk, into part files.

Pure mechanism, no store: :func:`iter_chunks` reads the input in numbered chunks of bounded
size, :class:`FeaturePlan` checks each row against the model's signature,
:class:`ChunkScorer` runs the model and publishes each chunk's part file and the job's
manifest in a :class:`JobFolder`, so that a rerun resumes where a crash stopped. The service
(``services.batch_inference``) resolves models, inputs and outputs and logs predictions.
"""

from mlsteward.engines.batch_scoring.chunks import (
    FORMATS,
    Chunk,
    InputFile,
    csv_header,
    format_of,
    iter_chunks,
    parquet_rows,
    prefetched,
)
from mlsteward.engines.batch_scoring.errors import (
    BadRowError,
    BatchInputError,
    ChunkFailedError,
    JobChangedError,
    OutputWriteError,
)
from mlsteward.engines.batch_scoring.features import Conformed, Feature, FeaturePlan
from mlsteward.engines.batch_scoring.job_folder import MANIFEST, REJECTED, JobFolder, Manifest
from mlsteward.engines.batch_scoring.job_ids import row_ids
from mlsteward.engines.batch_scoring.runner import (
    ID_COLUMN,
    OUTPUTS,
    REJECTED_SCHEMA,
    ChunkScorer,
    RunCounts,
    ScoredChunk,
    output_columns,
)

__all__ = [
    "FORMATS",
    "ID_COLUMN",
    "MANIFEST",
    "OUTPUTS",
    "REJECTED",
    "REJECTED_SCHEMA",
    "BadRowError",
    "BatchInputError",
    "Chunk",
    "ChunkFailedError",
    "ChunkScorer",
    "Conformed",
    "Feature",
    "FeaturePlan",
    "InputFile",
    "JobChangedError",
    "JobFolder",
    "Manifest",
    "OutputWriteError",
    "RunCounts",
    "ScoredChunk",
    "csv_header",
    "format_of",
    "iter_chunks",
    "output_columns",
    "parquet_rows",
    "prefetched",
    "row_ids",
]
