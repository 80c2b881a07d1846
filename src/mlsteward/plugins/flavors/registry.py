"""Flavor registry: the built-in flavors plus those advertised under ``mlsteward.flavors``.

An entry point may name a :class:`Flavor` subclass, an instance, or a zero-argument callable
returning one. Plugins are read once, on the first lookup; one that fails to load is kept in
:attr:`FlavorRegistry.load_errors` (and named when someone asks for it) instead of breaking
every other flavor.
"""

from __future__ import annotations

import threading
from importlib import metadata
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.plugins.flavors.base import Flavor
from mlsteward.plugins.flavors.lightgbm_flavor import LightGBMFlavor
from mlsteward.plugins.flavors.onnx_flavor import OnnxFlavor
from mlsteward.plugins.flavors.pyfunc_flavor import PythonFunctionFlavor
from mlsteward.plugins.flavors.pytorch_flavor import PyTorchFlavor
from mlsteward.plugins.flavors.sklearn_flavor import SklearnFlavor
from mlsteward.plugins.flavors.xgboost_flavor import XGBoostFlavor

ENTRY_POINT_GROUP = "mlsteward.flavors"


class FlavorRegistry:
    """Name -> flavor, and detection of the flavor of an in-memory model."""

    def __init__(self, flavors: tuple[Flavor, ...] = (), *, entry_points: bool = True) -> None:
        self._flavors: dict[str, Flavor] = {}
        self.load_errors: dict[str, str] = {}
        self._entry_points_pending = entry_points
        self._lock = threading.Lock()
        for flavor in flavors:
            self.register(flavor)

    def register(self, flavor: Flavor, *, replace: bool = False) -> None:
        """Add a flavor; a second one with the same name is an error unless ``replace``."""
        if not isinstance(flavor, Flavor):
            raise TypeError(f"expected a Flavor, got {type(flavor).__name__}")
        if flavor.name in self._flavors and not replace:
            raise ValueError(f"a flavor named {flavor.name!r} is already registered")
        self._flavors[flavor.name] = flavor

    def _load_entry_points(self) -> None:
        if not self._entry_points_pending:
            return
        with self._lock:
            if not self._entry_points_pending:
                return
            for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
                try:
                    self.register(_instantiate(ep.load()))
                except Exception as exc:  # a broken plugin must not break the others
                    self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
            self._entry_points_pending = False

    def get(self, name: str) -> Flavor:
        self._load_entry_points()
        flavor = self._flavors.get(name)
        if flavor is None:
            broken = self.load_errors.get(name)
            detail = f" (its plugin failed to load: {broken})" if broken else ""
            raise InvalidArgumentError(
                f"Unknown model flavor {name!r}{detail}; known: {', '.join(self.names())}"
            )
        return flavor

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._flavors)

    def all(self) -> list[Flavor]:
        """Every flavor, in detection order."""
        self._load_entry_points()
        return sorted(self._flavors.values(), key=lambda f: (f.priority, f.name))

    def detect(self, model: Any) -> Flavor:
        """The first flavor, by priority, that claims ``model``."""
        for flavor in self.all():
            if flavor.matches(model):
                return flavor
        raise InvalidArgumentError(
            f"No model flavor handles {type(model).__module__}.{type(model).__qualname__}: "
            "it has no predict method. Wrap it in a class with predict(), or pass flavor=..."
        )


def _instantiate(obj: Any) -> Flavor:
    if isinstance(obj, Flavor):
        return obj
    if isinstance(obj, type) and issubclass(obj, Flavor):
        return obj()
    if callable(obj):
        made = obj()
        if isinstance(made, Flavor):
            return made
    raise TypeError(f"entry point gave {type(obj).__name__}, not a Flavor")


def builtin_flavors() -> tuple[Flavor, ...]:
    return (
        SklearnFlavor(),
        XGBoostFlavor(),
        LightGBMFlavor(),
        OnnxFlavor(),
        PyTorchFlavor(),
        PythonFunctionFlavor(),
    )


_default: FlavorRegistry | None = None


def default_registry() -> FlavorRegistry:
    """The process-wide registry (built-ins registered directly, plugins on first use)."""
    global _default
    if _default is None:
        _default = FlavorRegistry(builtin_flavors())
    return _default
