"""The SDK's home folder: the embedded store, its artifacts and the spool live under it."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """``MLSTEWARD_HOME`` or ``~/.mlsteward``: the embedded store and artifacts live here."""
    return Path(os.environ.get("MLSTEWARD_HOME") or Path.home() / ".mlsteward").expanduser()
