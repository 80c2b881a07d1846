"""The code version recorded with derived datasets: mlsteward's version and the git commit."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from mlsteward._version import __version__


@lru_cache(maxsize=1)
def _git_commit(cwd: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell, no client input
            [git, "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def code_version() -> dict[str, str | None]:
    """``{"mlsteward": <version>, "git_commit": <HEAD of the working directory or None>}``."""
    return {"mlsteward": __version__, "git_commit": _git_commit(str(Path.cwd()))}
