"""Where the platform keeps its own files for a user: the mlsteward home folder.

The same rule as the SDK's (``interfaces/sdk/home.py``), which services may not import:
``MLSTEWARD_HOME`` when set, else ``~/.mlsteward``.
"""

from __future__ import annotations

import os
from pathlib import Path


def mlsteward_home() -> Path:
    """``MLSTEWARD_HOME`` or ``~/.mlsteward``."""
    return Path(os.environ.get("MLSTEWARD_HOME") or Path.home() / ".mlsteward").expanduser()
