"""XGBoost Boosters and scikit-learn wrappers, saved in XGBoost's own UBJSON format.

The native format holds the trees and the wrapper's attributes (classes, feature names) and
is read without unpickling, so loading it runs no code from the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles, module_of_type_is
from mlsteward.plugins.flavors.sklearn_flavor import sklearn_native

MODEL_FILE = "model.ubj"
_WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


class XGBoostFlavor(Flavor):
    name: ClassVar[str] = "xgboost"
    priority: ClassVar[int] = 10
    modules: ClassVar[tuple[str, ...]] = ("xgboost", "numpy")
    serialization: ClassVar[str] = "xgboost UBJSON (native, no pickle)"
    executes_code_on_load: ClassVar[bool] = False

    def matches(self, model: Any) -> bool:
        return module_of_type_is(model, "xgboost")

    def save(self, model: Any, directory: Path) -> SavedFiles:
        import xgboost as xgb

        kind = type(model).__name__
        if isinstance(model, xgb.Booster):
            model.save_model(str(directory / MODEL_FILE))
            return SavedFiles([MODEL_FILE], {"kind": "Booster"})
        if kind not in _WRAPPERS:
            raise InvalidArgumentError(
                f"The xgboost flavor saves Booster and {', '.join(_WRAPPERS)}, not {kind}"
            )
        model.save_model(str(directory / MODEL_FILE))
        return SavedFiles([MODEL_FILE], {"kind": kind})

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        import xgboost as xgb

        kind = str(options.get("kind", "Booster"))
        if kind == "Booster":
            booster = xgb.Booster()
            booster.load_model(str(directory / MODEL_FILE))
            return booster
        if kind not in _WRAPPERS:  # only classes of xgboost itself, never one named by a file
            raise InvalidArgumentError(f"Unknown xgboost model kind {kind!r} in the manifest")
        model = getattr(xgb, kind)()
        model.load_model(str(directory / MODEL_FILE))
        return model

    def wrap(self, model: Any) -> NativeModel:
        import xgboost as xgb

        if isinstance(model, xgb.Booster):
            return NativeModel(raw=model, predict=model.inplace_predict, wants="any")
        return sklearn_native(model)
