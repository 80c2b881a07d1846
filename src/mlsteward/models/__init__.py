"""Models in the SDK: log, load, export to ONNX, evaluate.

``log_model`` packages a model into the active run, ``load_model`` brings any logged model
back as one :class:`LoadedModel` with its signature enforced and its files' hashes checked,
``export_onnx`` stores a verified ONNX graph beside it, and ``evaluate`` /
``cross_validate`` score it into the run. The rules live in ``mlsteward.services.models``;
this package moves directories between runs and the local disk.
"""

from mlsteward.engines.evaluation.report import EvaluationResult
from mlsteward.models._cross_validation import CrossValidationResult, cross_validate
from mlsteward.models._evaluate import evaluate
from mlsteward.models._load import load_model
from mlsteward.models._log import ModelInfo, log_model
from mlsteward.models._onnx import export_onnx
from mlsteward.services.models.errors import (
    ModelIntegrityError,
    SignatureMismatchError,
    UnsupportedModelError,
)
from mlsteward.services.models.loaded_model import LoadedModel
from mlsteward.services.models.model_uri import ModelLocation, register_model_uri_resolver
from mlsteward.services.models.onnx_record import ExportRecord
from mlsteward.services.models.signature import (
    ColumnSpec,
    Schema,
    Signature,
    TensorSpec,
    infer_signature,
)

__all__ = [
    "ColumnSpec",
    "CrossValidationResult",
    "EvaluationResult",
    "ExportRecord",
    "LoadedModel",
    "ModelInfo",
    "ModelIntegrityError",
    "ModelLocation",
    "Schema",
    "Signature",
    "SignatureMismatchError",
    "TensorSpec",
    "UnsupportedModelError",
    "cross_validate",
    "evaluate",
    "export_onnx",
    "infer_signature",
    "load_model",
    "log_model",
    "register_model_uri_resolver",
]
