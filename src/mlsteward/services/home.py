"""Where the platform keeps its own files for a user: the mlsteward home folder (the local
store, its artifacts, the spool, credentials, audit signing keys)."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """``MLSTEWARD_HOME`` or ``~/.mlsteward``."""
    return Path(os.environ.get("MLSTEWARD_HOME") or Path.home() / ".mlsteward").expanduser()
