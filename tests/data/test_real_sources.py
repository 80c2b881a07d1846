"""Real components: PostgreSQL as a SQL source, a local HTTP API, S3 (moto) as blob storage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from mlsteward.domain.errors import NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.engines.data import SourceError
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import rebuild, versions
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.s3_api import moto_s3


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    store = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
    blobs = open_blob_store(str(tmp_path / "blobs"))
    yield ServiceContext("alice", store, blobs, outbound=OutboundAccess.unrestricted())
    store.close()


SEED = "CREATE TABLE t AS SELECT g AS id, g * 2 AS v FROM generate_series(1, 5000) g"


@pytest.mark.postgres
def test_postgres_query_source_and_failure_midway_registers_nothing(
    postgres_server: str, sqlite_ctx: ServiceContext
) -> None:
    with temporary_database(postgres_server) as url:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE t AS SELECT g AS id, g * 2 AS v FROM generate_series(1, 5000) g"
                )
            )
        engine.dispose()
        made = versions.ingest(sqlite_ctx, "pg", url, query="SELECT id, v FROM t ORDER BY id")
        assert made.version.num_rows == 5000
        assert made.version.lineage["source"]["query"].startswith("SELECT")
        assert all(c.ok for c in rebuild.rebuild(sqlite_ctx, "pg", {"uri": url}))
        failing = "SELECT id, 10 / (id - 4000) AS v FROM t ORDER BY id"
        with pytest.raises(SourceError):
            versions.ingest(sqlite_ctx, "pg-bad", url, query=failing, chunk_rows=500)
        with pytest.raises(NotFoundError):
            versions.get_version(sqlite_ctx, "pg-bad")


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = int(parse_qs(urlparse(self.path).query).get("page", ["1"])[0])
        first = (page - 1) * 10
        rows = [{"id": i, "name": f"n{i}"} for i in range(first, first + 10)] if page <= 3 else []
        body = json.dumps({"data": rows}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/items"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_paged_http_api_source(api_url: str, sqlite_ctx: ServiceContext) -> None:
    made = versions.ingest(sqlite_ctx, "api", api_url)
    assert made.version.num_rows == 30
    assert versions.load_table(sqlite_ctx, "api").column("id").to_pylist() == list(range(30))
    assert all(c.ok for c in rebuild.rebuild(sqlite_ctx, "api"))


@pytest.mark.s3
def test_versions_on_s3_blob_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, csv_file: Path
) -> None:
    with moto_s3("data") as s3:
        for key, value in s3.env.items():
            monkeypatch.setenv(key, value)
        store = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
        blobs = open_blob_store(f"s3://data/{new_id()[:8]}")
        ctx = ServiceContext("alice", store, blobs, outbound=OutboundAccess.unrestricted())
        made = versions.ingest(ctx, "people", csv_file)
        assert not versions.ingest(ctx, "people", csv_file).created
        assert versions.load_table(ctx, "people@1").num_rows == 60
        assert versions.get_profile(ctx, "people")["rows"] == 60
        assert made.version.blob_digest
        store.close()
