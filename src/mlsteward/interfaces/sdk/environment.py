"""What a run ran on: code version, interpreter, packages, machine, command line, seeds.

Captured automatically when a run starts, as a JSON artifact (``_environment.json``) plus a
few tags for searching (``mlsteward.git.commit``, ``mlsteward.python``, ...).
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ENVIRONMENT_ARTIFACT = "_environment.json"


def _git(args: list[str], cwd: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell, no client input
            [git, *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(start: Path | None = None) -> dict[str, Any]:
    """Commit, dirty flag, remote and branch of the repository holding the entry script."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    cwd = start or (Path(script).resolve().parent if script else Path.cwd())
    commit = _git(["rev-parse", "HEAD"], cwd)
    if commit is None:
        return {}
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    return {
        "commit": commit,
        "dirty": bool(status),
        "branch": _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd),
        "remote": _git(["config", "--get", "remote.origin.url"], cwd),
        "root": _git(["rev-parse", "--show-toplevel"], cwd),
    }


@functools.cache
def _installed_packages() -> tuple[tuple[str, str], ...]:
    """Read once per process: scanning every distribution's metadata takes a noticeable
    fraction of a second, and what is installed does not change under a running program."""
    packages: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name] = dist.version
    return tuple(sorted(packages.items(), key=lambda item: item[0].lower()))


def installed_packages() -> dict[str, str]:
    return dict(_installed_packages())


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[str]:
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return []
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell, no client input
            [nvidia_smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def capture_environment(seeds: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "git": git_info(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": installed_packages(),
        "system": {
            "os": platform.system(),
            "os_release": platform.release(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "memory_bytes": _memory_bytes(),
            "gpus": _gpus(),
            "hostname": platform.node(),
        },
        "command": sys.argv,
        "working_directory": os.getcwd(),
        "seeds": dict(seeds or {}),
    }


def environment_tags(env: dict[str, Any]) -> dict[str, str]:
    """The searchable summary of an environment, as run tags."""
    tags = {
        "mlsteward.python": env["python"]["version"],
        "mlsteward.os": env["system"]["platform"],
        "mlsteward.source.command": " ".join(env["command"])[:8000],
    }
    git = env.get("git") or {}
    if git.get("commit"):
        tags["mlsteward.git.commit"] = git["commit"]
        tags["mlsteward.git.dirty"] = str(git["dirty"]).lower()
        if git.get("remote"):
            tags["mlsteward.git.remote"] = git["remote"]
        if git.get("branch"):
            tags["mlsteward.git.branch"] = git["branch"]
    if env["system"]["gpus"]:
        tags["mlsteward.gpus"] = "; ".join(env["system"]["gpus"])
    for name, value in env.get("seeds", {}).items():
        tags[f"mlsteward.seed.{name}"] = str(value)
    return tags
