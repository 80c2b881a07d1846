"""Flavor plugins through the ``mlsteward.flavors`` entry point, and flavor detection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.plugins.flavors import (
    Flavor,
    FlavorRegistry,
    NativeModel,
    SavedFiles,
    builtin_flavors,
)
from mlsteward.plugins.flavors import registry as registry_module
from mlsteward.testing.flavor_conformance import FlavorCase, check_flavor


class Doubling:
    """A model type nobody else claims."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x) * 2.0


class DoublingFlavor(Flavor):
    name = "doubling"
    priority = 5
    modules = ("numpy",)
    serialization = "none: the model has no state"
    executes_code_on_load = False

    def matches(self, model: Any) -> bool:
        return isinstance(model, Doubling)

    def save(self, model: Any, directory: Path) -> SavedFiles:
        (directory / "model.txt").write_text("doubling\n")
        return SavedFiles(["model.txt"])

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        assert (directory / "model.txt").read_text() == "doubling\n"
        return Doubling()

    def wrap(self, model: Any) -> NativeModel:
        return NativeModel(raw=model, predict=model, wants="array")


class _EntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self._target = target

    def load(self) -> Any:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def _registry(monkeypatch: pytest.MonkeyPatch) -> FlavorRegistry:
    points = [_EntryPoint("doubling", DoublingFlavor), _EntryPoint("broken", ImportError("no lib"))]
    monkeypatch.setattr(registry_module.metadata, "entry_points", lambda group: points)
    return FlavorRegistry(builtin_flavors())


def test_entry_point_flavor_is_registered_and_passes_conformance(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    registry = _registry(monkeypatch)
    assert "doubling" in registry.names()
    assert registry.detect(Doubling()).name == "doubling"
    case = FlavorCase("doubling", Doubling(), np.ones((6, 3)), "doubling", registry=registry)
    check_flavor(case, tmp_path)


def test_broken_plugin_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _registry(monkeypatch)
    with pytest.raises(InvalidArgumentError, match="failed to load: ImportError: no lib"):
        registry.get("broken")
    assert "ImportError" in registry.load_errors["broken"]
    assert "doubling" in registry.names()  # the broken plugin did not stop the good one


def test_object_without_predict_has_no_flavor() -> None:
    registry = FlavorRegistry(builtin_flavors(), entry_points=False)
    with pytest.raises(InvalidArgumentError, match="no predict method"):
        registry.detect(object())
    with pytest.raises(ValueError, match="already registered"):
        registry.register(builtin_flavors()[0])
