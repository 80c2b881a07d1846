"""Cleaning and feature steps recorded as data (name + parameters) and replayable.

Importing this package registers the built-in transforms.
"""

from mlsteward.engines.data.transforms import cleaning, derived, encoding, temporal
from mlsteward.engines.data.transforms.step import (
    FittedStep,
    Step,
    Transform,
    apply_fitted,
    available_transforms,
    build_transform,
    register_transform,
    run_steps,
)

__all__ = [
    "FittedStep",
    "Step",
    "Transform",
    "apply_fitted",
    "available_transforms",
    "build_transform",
    "cleaning",
    "derived",
    "encoding",
    "register_transform",
    "run_steps",
    "temporal",
]
