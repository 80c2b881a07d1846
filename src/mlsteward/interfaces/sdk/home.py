"""The SDK's home folder: the embedded store, its artifacts and the spool live under it (the
rule is the platform's, in :mod:`mlsteward.services.home`)."""

from __future__ import annotations

from mlsteward.services.home import home_dir

__all__ = ["home_dir"]
