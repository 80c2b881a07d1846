"""Custom Python models: any object with a ``predict`` method, saved with cloudpickle.

The fallback flavor (lowest priority). cloudpickle stores classes defined in a script or
notebook by value; **loading runs code**, so load only models you trust.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles, Wants, top_module

MODEL_FILE = "model.pkl"


class PythonFunctionFlavor(Flavor):
    name: ClassVar[str] = "python_function"
    priority: ClassVar[int] = 1000
    modules: ClassVar[tuple[str, ...]] = ("cloudpickle",)
    serialization: ClassVar[str] = "cloudpickle (pickle)"
    executes_code_on_load: ClassVar[bool] = True

    def matches(self, model: Any) -> bool:
        return callable(getattr(model, "predict", None)) and not isinstance(model, type)

    def save(self, model: Any, directory: Path) -> SavedFiles:
        import cloudpickle

        with open(directory / MODEL_FILE, "wb") as handle:
            cloudpickle.dump(model, handle)
        return SavedFiles(
            [MODEL_FILE], {"class": f"{type(model).__module__}.{type(model).__name__}"}
        )

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        with open(directory / MODEL_FILE, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - a model the user logged, by design; servers need --allow-model-code

    def wrap(self, model: Any) -> NativeModel:
        proba = getattr(model, "predict_proba", None)
        classes = getattr(model, "classes_", None)
        declared = getattr(model, "input_kind", "any")
        wants: Wants = "frame" if declared == "frame" else "array" if declared == "array" else "any"
        return NativeModel(
            raw=model,
            predict=model.predict,
            predict_proba=proba if callable(proba) else None,
            wants=wants,
            classes=list(classes) if classes is not None else None,
        )

    def extra_modules(self, model: Any) -> set[str]:
        module = top_module(model)
        return {module} if module not in {"__main__", "builtins", ""} else set()
