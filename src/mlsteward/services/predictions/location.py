"""Where the control plane keeps the prediction log: beside its artifacts.

The log lives under the artifact store's root (``<root>/predictions``), a local folder or an
``s3://`` prefix, so a data plane given the plan's ``log_root`` writes where the platform
reads. S3 endpoints come from the same variables as the artifact store's.
"""

from __future__ import annotations

from mlsteward.services.context import ServiceContext
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogReader

FOLDER = "predictions"


def prediction_log_root(ctx: ServiceContext) -> str:
    """The prediction log's URL for this platform: ``<artifact root>/predictions``."""
    return f"{ctx.blobs.root.rstrip('/')}/{FOLDER}"


def log_reader(ctx: ServiceContext) -> PredictionLogReader:
    return PredictionLogReader(prediction_log_root(ctx))


def feedback_log(ctx: ServiceContext) -> FeedbackLog:
    return FeedbackLog(prediction_log_root(ctx))
