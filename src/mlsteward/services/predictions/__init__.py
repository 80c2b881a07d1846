"""The prediction log from the control plane: where it lives, reading it, taking feedback.

The storage classes are re-exported for the data plane (``interfaces.serving``), which may
not import the storage layer itself.
"""

from mlsteward.services.predictions.location import prediction_log_root
from mlsteward.storage.prediction_log import (
    FeedbackLog,
    PredictionLogReader,
    PredictionLogWriter,
)

__all__ = ["FeedbackLog", "PredictionLogReader", "PredictionLogWriter", "prediction_log_root"]
