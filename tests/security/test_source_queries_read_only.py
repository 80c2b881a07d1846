"""A source query only reads, on a server with an allowed database URL and locally alike.

A rebuild re-runs the recorded query, and a client may send another one in its overrides;
with the database allowed (``--source-sql-url``) that text reaches the database. Each hostile
query below must be refused with a 400 and change nothing: no file created next to a SQLite
database (``VACUUM INTO``, ``ATTACH``), no table made or dropped, no sequence advanced (a
side effect a rollback does not undo), no file written by PostgreSQL's ``COPY ... TO``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.data.sources.sql_read_only import WriteRefusedError
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import rebuild, versions
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.server_process import ServerProcess, running_server

pytestmark = pytest.mark.server

#: Statements that write, make files or run a second statement; ``{folder}`` is the folder
#: holding the SQLite database, so any file they made would show there.
SQLITE_HOSTILE = [
    "VACUUM INTO '{folder}/copy.db'",
    "ATTACH DATABASE '{folder}/attached.db' AS other",
    "CREATE TABLE made (x INTEGER)",
    "DROP TABLE t",
    "SELECT a FROM t; DROP TABLE t",
    "SELECT a FROM t; VACUUM INTO '{folder}/copy.db'",
    "WITH one AS (SELECT 1) INSERT INTO t SELECT 9, 'z' FROM one",
    "WITH one AS (SELECT 1) DELETE FROM t",
    "PRAGMA user_version = 7",
    "/* a comment */ CREATE TABLE made (x INTEGER)",
    "/* /* */ SELECT 1 */ CREATE TABLE made (x INTEGER)",
    "SELECT load_extension('{folder}/x')",
]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with its content hash."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _sqlite_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
        assert tables == ["t"]
        return list(conn.execute("SELECT a, b FROM t ORDER BY a"))


def _rebuild(server: str, ref: str, overrides: dict[str, object]) -> httpx.Response:
    body = {"ref": ref, "overrides": overrides}
    return httpx.post(f"{server}/api/v1/dataset-versions/rebuild", json=body, timeout=60)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A SQLite database alone in its folder, with one table ``t``."""
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "source.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, "x"), (2, "y")])
    return path


def test_sqlite_source_queries_only_read_through_a_server(tmp_path: Path, database: Path) -> None:
    url = f"sqlite:///{database}"
    before, rows = _snapshot(database.parent), _sqlite_rows(database)
    with running_server(
        tmp_path / "store.db", tmp_path / "artifacts", extra_args=["--source-sql-url", url]
    ) as server:
        mlsteward.set_tracking_uri(str(server))
        version = mlsteward.data.ingest("sqlite-source", url, query="SELECT a, b FROM t;")
        answer = _rebuild(server, version.ref, {})
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"][0]["ok"] is True
        for hostile in SQLITE_HOSTILE:
            query = hostile.format(folder=database.parent)
            answer = _rebuild(server, version.ref, {"query": query})
            assert answer.status_code == 400, (query, answer.text)
            assert answer.json()["error"]["code"].startswith("DATA_"), answer.text
        words = _rebuild(server, version.ref, {"query": "SELECT a FROM t; DROP TABLE t"})
        assert "one statement" in words.json()["error"]["message"]
    assert _snapshot(database.parent) == before
    assert _sqlite_rows(database) == rows


@pytest.mark.postgres
def test_postgres_source_queries_only_read_through_a_server(
    postgres_server: str, tmp_path: Path
) -> None:
    copied = Path(tempfile.gettempdir()) / f"mlsteward-copy-{uuid.uuid4().hex}.csv"
    hostile = [
        "SELECT id FROM s; DROP TABLE s",
        "SELECT id FROM s; COMMIT; DROP TABLE s",
        "CREATE TABLE made AS SELECT 1 AS id",
        "SELECT 1 AS id INTO made",
        "WITH gone AS (DELETE FROM s RETURNING id) SELECT id FROM gone",
        f"COPY s TO '{copied}'",
        f"COPY (SELECT id FROM s) TO '{copied}'",
        "SELECT pg_catalog.set_config('transaction_read_only', 'off', true) AS id",
        "SELECT nextval('counter') AS id",  # a sequence moves even when rolled back
        "COMMIT",
    ]
    with temporary_database(postgres_server) as allowed:
        engine = sa.create_engine(allowed)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE s AS SELECT 1 AS id"))
            conn.execute(sa.text("CREATE SEQUENCE counter"))
        with running_server(
            tmp_path / "store.db", tmp_path / "artifacts", extra_args=["--source-sql-url", allowed]
        ) as server:
            mlsteward.set_tracking_uri(str(server))
            version = mlsteward.data.ingest("pg-source", allowed, query="SELECT id FROM s")
            answer = _rebuild(server, version.ref, {"uri": allowed})
            assert answer.status_code == 200, answer.text
            for query in hostile:
                answer = _rebuild(server, version.ref, {"uri": allowed, "query": query})
                assert answer.status_code == 400, (query, answer.text)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id FROM s")).all() == [(1,)]
            assert conn.execute(sa.text("SELECT to_regclass('made')")).scalar() is None
            state = conn.execute(sa.text("SELECT last_value, is_called FROM counter")).one()
            assert tuple(state) == (1, False)
        engine.dispose()
    assert not copied.exists()


def test_server_database_entries_must_name_their_user(tmp_path: Path) -> None:
    """The operator picks the role a client's queries run as, never the client."""
    for value, reason in [
        ("postgresql://127.0.0.1:5432/warehouse", "must name the database user"),
        ("mysql://reader@127.0.0.1/warehouse", "read-only only on"),
    ]:
        server = ServerProcess(tmp_path / "db.sqlite", tmp_path / "artifacts")
        done = subprocess.run(
            [*server.command(), "--source-sql-url", value],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "--source-sql-url" in done.stderr and reason in done.stderr
    with pytest.raises(InvalidArgumentError, match="must name the database user"):
        OutboundAccess(source_sql_urls=("postgresql://db.internal/warehouse",))
    # A SQLite file has no user; it is allowed as is.
    OutboundAccess(source_sql_urls=(f"sqlite:///{tmp_path / 'x.db'}",))


# --- the local door: a source is read, so the same rules hold for the SDK's own user --------


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    store = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
    blobs = open_blob_store(str(tmp_path / "blobs"))
    yield ServiceContext("alice", store, blobs, outbound=OutboundAccess.unrestricted())
    store.close()


def test_local_source_queries_only_read_too(ctx: ServiceContext, database: Path) -> None:
    url = f"sqlite:///{database}"
    before, rows = _snapshot(database.parent), _sqlite_rows(database)
    version = versions.ingest(ctx, "local-sql", url, query="SELECT a, b FROM t").version
    for hostile in SQLITE_HOSTILE:
        query = hostile.format(folder=database.parent)
        with pytest.raises(InvalidArgumentError):
            versions.ingest(ctx, "hostile", url, query=query)
        with pytest.raises(InvalidArgumentError):
            rebuild.rebuild(ctx, version.ref, {"query": query})
    with pytest.raises(WriteRefusedError, match="only reads"):
        versions.ingest(ctx, "hostile", url, query="VACUUM INTO 'elsewhere.db'")
    # A database that does not exist is not created by trying to read it.
    missing = database.parent / "missing.db"
    with pytest.raises(InvalidArgumentError):
        versions.ingest(ctx, "missing", f"sqlite:///{missing}", query="SELECT 1 AS x")
    assert _snapshot(database.parent) == before
    assert _sqlite_rows(database) == rows
