"""Store maintenance from Python, for the operator of a local or SQL store: bring the schema up
to date, check a database for damage, and collect artifact blobs nothing references.

These act on a store this process opens itself (never through a server), which is why they
are not declared operations; the CLI's ``db`` and ``gc`` commands call them from here.
"""

from __future__ import annotations

from mlsteward.services.admin import upgrade_store
from mlsteward.services.blob_gc import DEFAULT_GRACE_S, GcReport, collect_garbage
from mlsteward.services.store_check import check_store, store_file

__all__ = [
    "DEFAULT_GRACE_S",
    "GcReport",
    "check_store",
    "collect_garbage",
    "store_file",
    "upgrade_store",
]
