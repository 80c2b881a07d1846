"""Model flavors: one plugin per kind of model (scikit-learn, XGBoost, LightGBM, ONNX, PyTorch,
custom Python). Third-party flavors register under the ``mlsteward.flavors`` entry point."""

from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles
from mlsteward.plugins.flavors.registry import (
    ENTRY_POINT_GROUP,
    FlavorRegistry,
    builtin_flavors,
    default_registry,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Flavor",
    "FlavorRegistry",
    "NativeModel",
    "SavedFiles",
    "builtin_flavors",
    "default_registry",
]
