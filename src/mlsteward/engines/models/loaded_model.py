"""The one model type every flavor loads into: ``predict`` / ``predict_proba`` with the
signature enforced on the way in.

Everything that can be decided once (which runtime function to call, how to conform the
input) is decided at load; a call is then two Python calls: the compiled input plan and the
runtime's own predict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.input_example import load_example
from mlsteward.engines.models.input_plan import compile_plan
from mlsteward.engines.models.manifest import Manifest
from mlsteward.engines.models.signature import Signature
from mlsteward.plugins.flavors import NativeModel


class LoadedModel:
    """A logged model, ready to predict, whatever its flavor.

    ``predict`` takes a DataFrame, a 2-D array or a dict of arrays. Missing columns and
    unsafe casts raise ``SignatureMismatchError`` naming the column; safe casts are applied.
    ``runtime`` is ``native`` (the model's own library) or ``onnx`` / ``onnx-int8`` (the
    exported graph on ONNX Runtime). ``source_uri`` is the URI it was loaded by (None for a
    local directory): ``evaluate`` reads it to attach results to a registered version.
    """

    __slots__ = (
        "_native",
        "_predict",
        "_prepare",
        "_proba",
        "directory",
        "manifest",
        "runtime",
        "source_uri",
    )

    def __init__(
        self, manifest: Manifest, native: NativeModel, directory: Path, runtime: str = "native"
    ) -> None:
        self.manifest = manifest
        self.directory = directory
        self.runtime = runtime
        self.source_uri: str | None = None
        self._native = native
        self._prepare = compile_plan(manifest.signature.inputs, native.wants)
        self._predict = native.predict
        self._proba = native.predict_proba

    def predict(self, data: Any) -> Any:
        """Predictions for ``data`` (conformed to the signature first)."""
        return self._predict(self._prepare(data))

    def predict_proba(self, data: Any) -> Any:
        """Class probabilities, for models that have them (see ``has_predict_proba``)."""
        if self._proba is None:
            raise InvalidArgumentError(
                f"This {self.manifest.flavor} model ({self.manifest.model_class}) has no "
                "predict_proba"
            )
        return self._proba(self._prepare(data))

    @property
    def has_predict_proba(self) -> bool:
        return self._proba is not None

    @property
    def signature(self) -> Signature:
        return self.manifest.signature

    @property
    def flavor(self) -> str:
        return self.manifest.flavor

    @property
    def classes(self) -> list[Any] | None:
        """Class labels in the column order of ``predict_proba`` (classifiers only)."""
        return self._native.classes

    @property
    def input_example(self) -> Any:
        """The example logged with the model, or None."""
        entry = self.manifest.input_example
        return load_example(self.directory, entry) if entry else None

    def unwrap(self) -> Any:
        """The underlying runtime object (the estimator, Booster, Module or ONNX session)."""
        return self._native.raw

    def __repr__(self) -> str:
        return (
            f"<LoadedModel flavor={self.manifest.flavor!r} class={self.manifest.model_class!r} "
            f"runtime={self.runtime!r}>"
        )
