"""The flavor contract: how one kind of model is detected, saved, loaded and called.

A flavor is a small object with a name. mlsteward keeps everything else (manifest, hashes,
signature enforcement, requirements) out of it, so a plugin only answers four questions:
is this model mine (``matches``), how do I write it (``save``), how do I read it back
(``load``) and how is it called (``wrap``). Every flavor, built in or plugged in, must pass
``mlsteward.testing.flavor_conformance``.

Optional libraries are imported inside methods only: the core package imports without them.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

Wants = Literal["frame", "array", "any"]


@dataclass(frozen=True)
class NativeModel:
    """A model ready to call: the functions the uniform wrapper dispatches to.

    ``wants`` says what ``predict`` takes once the signature has been enforced: a DataFrame
    (models fitted on named columns), a plain array, or whatever the signature describes.
    """

    raw: Any
    predict: Callable[[Any], Any]
    predict_proba: Callable[[Any], Any] | None = None
    wants: Wants = "any"
    classes: list[Any] | None = None


@dataclass(frozen=True)
class SavedFiles:
    """What ``Flavor.save`` wrote: file names relative to the model directory, and options
    the loader needs back (kept in the manifest, so they must be JSON-serializable)."""

    files: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    #: Overrides of the flavor's class attributes when this model was written another way.
    serialization: str | None = None
    executes_code_on_load: bool | None = None


class Flavor(ABC):
    """Base class of model flavors; subclasses set the class attributes and four methods."""

    #: Unique name recorded in the manifest (``sklearn``, ``xgboost``...).
    name: ClassVar[str]
    #: Detection order: lower runs first (specific libraries before generic fallbacks).
    priority: ClassVar[int] = 100
    #: Top-level modules the saved model needs; their installed versions are pinned.
    modules: ClassVar[tuple[str, ...]] = ()
    #: How the bytes are written, and whether reading them back can run arbitrary code.
    serialization: ClassVar[str] = ""
    executes_code_on_load: ClassVar[bool] = True

    def available(self) -> bool:
        """True when the libraries this flavor needs can be imported here."""
        return all(importlib.util.find_spec(m) is not None for m in self.modules)

    @abstractmethod
    def matches(self, model: Any) -> bool:
        """Whether this flavor handles ``model`` (cheap: no import of optional libraries)."""

    @abstractmethod
    def save(self, model: Any, directory: Path) -> SavedFiles:
        """Write the model's files into ``directory`` (which exists and is empty)."""

    @abstractmethod
    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        """Read the model back from the files ``save`` wrote."""

    @abstractmethod
    def wrap(self, model: Any) -> NativeModel:
        """The callable form of an in-memory model (the original or a loaded one)."""

    def describe_inputs(self, model: Any) -> dict[str, Any] | None:
        """The model's input schema, in the manifest's dict form, when the model itself
        records one (ONNX graphs do); None otherwise."""
        return None

    def extra_modules(self, model: Any) -> set[str]:
        """Further top-level modules this particular model needs (e.g. a Pipeline's steps)."""
        return set()


def top_module(obj: Any) -> str:
    """The top-level package an object's class comes from (``sklearn`` for a Pipeline)."""
    return (type(obj).__module__ or "").split(".", 1)[0]


def module_of_type_is(model: Any, package: str) -> bool:
    """True when ``model``'s class, or one of its bases, is defined in ``package``."""
    for klass in type(model).__mro__:
        if (klass.__module__ or "").split(".", 1)[0] == package:
            return True
    return False
