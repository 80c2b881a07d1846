"""Models in the SDK: log, load, export to ONNX, evaluate.

``log_model`` packages a model into the active run, ``load_model`` brings any logged model
back as one :class:`LoadedModel` with its signature enforced and its files' hashes checked,
``export_onnx`` stores a verified ONNX graph beside it, and ``evaluate`` /
``cross_validate`` score it into the run. This package only names them: the functions live
in ``mlsteward.interfaces.sdk.models``, the model directory's rules in
``mlsteward.engines.models``.
"""

from mlsteward.engines.evaluation.report import EvaluationResult
from mlsteward.engines.models.errors import (
    ModelIntegrityError,
    SignatureMismatchError,
    UnsupportedModelError,
)
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.model_uri import ModelLocation, register_model_uri_resolver
from mlsteward.engines.models.onnx_record import ExportRecord
from mlsteward.engines.models.signature import (
    ColumnSpec,
    Schema,
    Signature,
    TensorSpec,
    infer_signature,
)
from mlsteward.interfaces.sdk.models.cross_validation import CrossValidationResult, cross_validate
from mlsteward.interfaces.sdk.models.evaluate import evaluate
from mlsteward.interfaces.sdk.models.load import load_model
from mlsteward.interfaces.sdk.models.log import ModelInfo, log_model
from mlsteward.interfaces.sdk.models.onnx import export_onnx

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
