"""Fixtures for the data engine tests: sample tables, a real PostgreSQL database, a real
local HTTP JSON API."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest

PG_HOST = os.environ.get("MLSTEWARD_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MLSTEWARD_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("MLSTEWARD_TEST_PG_USER", "postgres")


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """A small frame with every common type and some missing values."""
    rng = np.random.default_rng(7)
    n = 200
    frame = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "amount": np.round(rng.normal(100, 20, n), 3),
            "count": rng.integers(0, 50, n).astype(np.int64),
            "country": rng.choice(["FR", "DE", "US", "Jp"], n),
            "flag": rng.random(n) > 0.5,
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 10_000, n), unit="min"),
        }
    )
    frame.loc[3, "amount"] = np.nan
    frame.loc[5, "country"] = None
    frame["when"] = frame["when"].astype("datetime64[us]")
    return frame


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres connect_timeout=3"
    name = f"mlsteward_data_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}")
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- HTTP API

RECORDS = [
    {"id": i, "name": f"item-{i}", "score": None if i % 7 == 0 else i * 1.5} for i in range(23)
]


class _ApiHandler(BaseHTTPRequestHandler):
    """A paged JSON API in the three usual styles, plus failure modes."""

    flaky_failures: dict[str, int] = {}

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        size = int(query.get("page_size", 5))
        if url.path == "/pages":
            page = int(query.get("page", 1))
            chunk = RECORDS[(page - 1) * size : page * size]
            total = (len(RECORDS) + size - 1) // size
            self._send(200, {"data": chunk, "meta": {"total_pages": total}})
        elif url.path == "/cursor":
            start = int(query.get("cursor", 0))
            chunk = RECORDS[start : start + size]
            following = start + size if start + size < len(RECORDS) else None
            self._send(200, {"items": chunk, "next_cursor": following})
        elif url.path == "/links":
            start = int(query.get("offset", 0))
            chunk = RECORDS[start : start + size]
            nxt = f"/links?offset={start + size}" if start + size < len(RECORDS) else None
            self._send(200, {"results": chunk, "links": {"next": nxt}})
        elif url.path == "/linkheader":
            start = int(query.get("offset", 0))
            chunk = RECORDS[start : start + size]
            headers = {}
            if start + size < len(RECORDS):
                headers["Link"] = f'</linkheader?offset={start + size}>; rel="next"'
            self._send(200, chunk, headers)
        elif url.path == "/flaky":
            key = query.get("key", "")
            failures = _ApiHandler.flaky_failures.get(key, 0)
            if failures < 2:
                _ApiHandler.flaky_failures[key] = failures + 1
                self._send(503, {"error": "try later"})
            else:
                self._send(200, {"data": RECORDS[:3]})
        elif url.path == "/loop":
            self._send(200, {"items": RECORDS[:2], "next_cursor": "same"})
        elif url.path == "/mixed":
            page = int(query.get("page", 1))
            rows = [{"v": 1}, {"v": 2}] if page == 1 else [{"v": "three"}] if page == 2 else []
            self._send(200, {"data": rows})
        elif url.path == "/html":
            self._send(200, b"<html>not json</html>")
        else:
            self._send(404, {"error": "no such endpoint"})


@pytest.fixture(scope="session")
def api_records() -> list[dict[str, object]]:
    """The records every paged endpoint of :func:`api_url` serves, in order."""
    return RECORDS


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    """Base URL of a real HTTP server on 127.0.0.1, stopped at the end of the session."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ApiHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
