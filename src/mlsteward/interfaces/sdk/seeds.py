"""``seed_everything``: one call seeds Python, NumPy and PyTorch, and runs record it."""

from __future__ import annotations

import os
import random
import sys

import numpy as np

_seeds: dict[str, int] = {}


def seed_everything(seed: int) -> dict[str, int]:
    """Seed ``random``, NumPy's global generator and PyTorch (when the program uses it).

    PyTorch is seeded when it has been imported: importing it here just to seed it would
    cost seconds and change threading for libraries that never touch it. Call this after
    ``import torch``. Returns what was seeded.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"A seed is an integer in [0, 2**32), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses; this one is already hashed
    seeded = {"python": seed, "numpy": seed}
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        seeded["torch"] = seed
    _seeds.clear()
    _seeds.update(seeded)
    return dict(seeded)


def forget_seeds() -> None:
    _seeds.clear()


def current_seeds() -> dict[str, int]:
    return dict(_seeds)
