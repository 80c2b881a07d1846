"""A store's name as an artifact root records it: one name for every spelling of its URL.

``mlsteward gc`` compares these names to learn whether a root is shared (see
:mod:`mlsteward.storage.artifacts.root_writers`), so the name must not depend on how a URL was
typed: a SQLite store is its file's real path (symlinks resolved); a PostgreSQL store is its
host, port and database, without the user or password (a name the root shows to anyone who
can read it).
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from mlsteward.storage.resolver import normalize_store_uri
from mlsteward.storage.sql.engine import normalize_sql_url

_PG_DEFAULT_PORT = 5432


def store_key(uri: str) -> str:
    """``sqlite:///real/path.db`` or ``postgresql://host:port/database`` for a store URI."""
    parsed = make_url(normalize_sql_url(normalize_store_uri(uri)))
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{os.path.realpath(parsed.database or '')}"
    socket = parsed.query.get("host")
    host = parsed.host or (socket if isinstance(socket, str) else None) or "localhost"
    port = parsed.port or _PG_DEFAULT_PORT
    return f"postgresql://{host.lower()}:{port}/{parsed.database or ''}"
