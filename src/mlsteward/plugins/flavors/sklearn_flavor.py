"""scikit-learn estimators, Pipelines and ColumnTransformers, saved with joblib.

Why joblib and not skops: joblib ships with scikit-learn (no new dependency), stores numpy
arrays efficiently and loads a 500-tree ensemble in milliseconds, and it handles every
estimator, including custom transformers inside a Pipeline. skops refuses types it was not
told to trust, which breaks exactly those custom steps, and loads several times slower.
joblib is pickle: **loading runs code**, so load only models you trust. mlsteward refuses a
file whose SHA-256 differs from the one recorded when the model was logged, which stops
tampering after logging but not a malicious author.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mlsteward.plugins.flavors.base import (
    Flavor,
    NativeModel,
    SavedFiles,
    module_of_type_is,
    top_module,
)

MODEL_FILE = "model.joblib"


class SklearnFlavor(Flavor):
    name: ClassVar[str] = "sklearn"
    priority: ClassVar[int] = 50
    modules: ClassVar[tuple[str, ...]] = ("sklearn", "joblib", "numpy")
    serialization: ClassVar[str] = "joblib (pickle)"
    executes_code_on_load: ClassVar[bool] = True

    def matches(self, model: Any) -> bool:
        return module_of_type_is(model, "sklearn") and hasattr(model, "predict")

    def save(self, model: Any, directory: Path) -> SavedFiles:
        import joblib

        joblib.dump(model, directory / MODEL_FILE)
        return SavedFiles([MODEL_FILE])

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        import joblib

        return joblib.load(directory / MODEL_FILE)

    def wrap(self, model: Any) -> NativeModel:
        return sklearn_native(model)

    def extra_modules(self, model: Any) -> set[str]:
        """Packages of every step in a Pipeline / ColumnTransformer (custom ones included)."""
        found = {top_module(model)}
        get_params = getattr(model, "get_params", None)
        if get_params is not None:
            for value in get_params(deep=True).values():
                if hasattr(value, "fit") or hasattr(value, "transform"):
                    found.add(top_module(value))
        return {m for m in found if m and m not in {"builtins", "__main__"}}


def sklearn_native(model: Any) -> NativeModel:
    """Any estimator with the scikit-learn API (also used by the XGBoost/LightGBM wrappers).

    Estimators fitted on a DataFrame remember its column names (``feature_names_in_``) and
    get a DataFrame; the others get an array, so neither warns about feature names.
    """
    proba = model.predict_proba if hasattr(model, "predict_proba") else None
    classes = getattr(model, "classes_", None)
    return NativeModel(
        raw=model,
        predict=model.predict,
        predict_proba=proba,
        wants="frame" if hasattr(model, "feature_names_in_") else "array",
        classes=list(classes) if classes is not None else None,
    )
