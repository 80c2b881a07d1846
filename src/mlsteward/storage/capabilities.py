"""What every per-domain store declares about itself, whatever its domain or backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreCapabilities:
    """What a backend can do, declared so suites and services adapt without isinstance checks."""

    multi_process_writers: bool
    transactional_ddl: bool
