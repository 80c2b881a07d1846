"""LightGBM Boosters (native text format) and scikit-learn wrappers (joblib).

A Booster is written as LightGBM's model text, which loads without running code. The
scikit-learn wrappers (``LGBMClassifier``...) carry Python state the text format drops
(classes, the fitted encoder of labels), so they are pickled with joblib: loading those runs
code, see the scikit-learn flavor's note.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles, module_of_type_is
from mlsteward.plugins.flavors.sklearn_flavor import sklearn_native

BOOSTER_FILE = "model.txt"
WRAPPER_FILE = "model.joblib"


class LightGBMFlavor(Flavor):
    name: ClassVar[str] = "lightgbm"
    priority: ClassVar[int] = 10
    modules: ClassVar[tuple[str, ...]] = ("lightgbm", "numpy")
    serialization: ClassVar[str] = "LightGBM model text (native, no pickle)"
    executes_code_on_load: ClassVar[bool] = False

    def matches(self, model: Any) -> bool:
        return module_of_type_is(model, "lightgbm")

    def save(self, model: Any, directory: Path) -> SavedFiles:
        import lightgbm as lgb

        if isinstance(model, lgb.Booster):
            model.save_model(str(directory / BOOSTER_FILE))
            return SavedFiles([BOOSTER_FILE], {"kind": "Booster"})
        import joblib

        joblib.dump(model, directory / WRAPPER_FILE)
        return SavedFiles(
            [WRAPPER_FILE],
            {"kind": "sklearn"},
            serialization="joblib (pickle)",
            executes_code_on_load=True,
        )

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        if options.get("kind") == "Booster":
            import lightgbm as lgb

            return lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        import joblib

        return joblib.load(directory / WRAPPER_FILE)

    def wrap(self, model: Any) -> NativeModel:
        import lightgbm as lgb

        if isinstance(model, lgb.Booster):
            return NativeModel(raw=model, predict=model.predict, wants="any")
        return sklearn_native(model)

    def extra_modules(self, model: Any) -> set[str]:
        return {"sklearn", "joblib"} if type(model).__name__ != "Booster" else set()
