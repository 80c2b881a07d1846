"""SQL (real PostgreSQL, and SQLite) and paged HTTP API (real local server) sources, and the
all-or-nothing staging that keeps a failing source from leaving anything behind."""

from __future__ import annotations

import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from mlsteward.engines.data import (
    MixedTypesError,
    Pagination,
    SourceError,
    content_hash,
    read_and_hash,
    read_http_api,
    read_sql,
    stage_to_parquet,
)

INSERT_EVENTS = """
INSERT INTO events
SELECT i,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'k' || (i % 5) END,
       i * 1.25,
       i / 7.0,
       timestamptz '2024-01-01 00:00+00' + i * interval '1 minute'
FROM generate_series(1, 2500) AS i
"""


@pytest.fixture(scope="module")
def pg_events(postgres_url: str) -> str:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS events"))
        connection.execute(
            sa.text(
                "CREATE TABLE events (id integer PRIMARY KEY, kind text, amount numeric(10,2),"
                " ratio double precision, at timestamptz)"
            )
        )
        connection.execute(sa.text(INSERT_EVENTS))
    engine.dispose()
    return postgres_url


@pytest.mark.postgres
def test_postgres_query_streams_in_chunks(pg_events):
    seen = []
    source = read_sql(
        pg_events,
        "SELECT * FROM events WHERE id <= :limit ORDER BY id",
        params={"limit": 2000},
        chunk_rows=300,
        inference_rows=600,
        progress=seen.append,
    )
    batches = list(source)
    table = pa.Table.from_batches(batches)
    assert table.num_rows == 2000 and len(batches) >= 4
    assert table.column("amount").type == pa.decimal128(38, 2)
    assert table.column("amount")[3].as_py() == decimal.Decimal("5.00")
    assert table.column("kind").null_count == 666
    assert pa.types.is_timestamp(table.column("at").type)
    assert seen[-1].rows == 2000
    assert "password" not in str(source.describe())
    again = read_and_hash(read_sql(pg_events, "SELECT * FROM events WHERE id <= 2000 ORDER BY id"))
    assert again.content_hash == content_hash(table)


@pytest.mark.postgres
def test_postgres_failure_midway_stages_nothing(pg_events, tmp_path):
    query = "SELECT id, 1.0 / (id - 1500) AS x FROM events ORDER BY id"
    source = read_sql(pg_events, query, chunk_rows=200, inference_rows=200)
    yielded = []
    with pytest.raises(SourceError, match="division by zero"):
        for batch in source:
            yielded.append(batch)
    assert yielded, "rows arrived before the failure, so the consumer must discard them"
    with pytest.raises(SourceError, match=r"query failed after \d+ rows"):
        stage_to_parquet(read_sql(pg_events, query, chunk_rows=200, inference_rows=200), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_postgres_empty_result_keeps_columns(pg_events):
    table = read_sql(pg_events, "SELECT id, kind FROM events WHERE id < 0").read_all()
    assert table.column_names == ["id", "kind"] and table.num_rows == 0


def test_sqlite_source_and_bad_query(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (a INTEGER, b TEXT)"))
        connection.execute(sa.text("INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, 'z')"))
    engine.dispose()
    assert read_sql(url, "SELECT * FROM t").read_all().to_pydict() == {
        "a": [1, 2, 3],
        "b": ["x", None, "z"],
    }
    with pytest.raises(SourceError, match="no such table"):
        read_sql(url, "SELECT * FROM missing").read_all()


def test_stage_to_parquet_is_content_addressed_and_idempotent(tmp_path):
    table = pa.table({"a": [1, 2, 3], "b": [1.5, float("nan"), None]})
    first = stage_to_parquet(table.to_batches(max_chunksize=2), tmp_path)
    second = stage_to_parquet(table.to_batches(), tmp_path)
    assert first.path == second.path == tmp_path / f"{content_hash(table)}.parquet"
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]
    stored = pq.read_table(first.path)
    assert stored.column("b").null_count == 2  # NaN stored as missing (canonical form)
    assert content_hash(stored) == first.content_hash


@pytest.mark.parametrize(
    ("path", "pagination"),
    [
        ("/pages", Pagination(style="page", page_size=5, total_pages_path="meta.total_pages")),
        ("/pages", Pagination(style="page", page_size=4)),  # stops at the first empty page
        ("/cursor", Pagination(style="cursor", records_path="items", page_size=None)),
        ("/links", Pagination(style="next_link", records_path="results", next_path="links.next")),
        ("/linkheader", Pagination(style="next_link", records_path="", next_path="")),
    ],
)
def test_http_api_pagination_styles(api_url, api_records, path, pagination):
    seen = []
    source = read_http_api(api_url + path, pagination=pagination, progress=seen.append)
    table = source.read_all()
    assert table.column("id").to_pylist() == [r["id"] for r in api_records]
    assert table.column("score").to_pylist() == [r["score"] for r in api_records]
    assert seen and seen[-1].rows == len(api_records)


def test_http_api_retries_transient_errors(api_url):
    source = read_http_api(
        f"{api_url}/flaky",
        params={"key": "retry-test"},
        backoff_s=0.01,
        pagination=Pagination(style="none"),
    )
    assert source.read_all().num_rows == 3


def test_http_api_failures_are_clear(api_url):
    with pytest.raises(SourceError, match="HTTP 404"):
        read_http_api(f"{api_url}/nowhere", retries=0).read_all()
    with pytest.raises(SourceError, match="not JSON"):
        read_http_api(f"{api_url}/html", pagination=Pagination(style="none")).read_all()
    with pytest.raises(SourceError, match="twice"):
        read_http_api(
            f"{api_url}/loop", pagination=Pagination(style="cursor", records_path="items")
        ).read_all()
    with pytest.raises(SourceError, match="records"):
        read_http_api(
            f"{api_url}/cursor", pagination=Pagination(style="none", records_path="nope")
        ).read_all()


def test_http_api_mixed_types_name_the_record(api_url):
    with pytest.raises(MixedTypesError) as caught:
        read_http_api(f"{api_url}/mixed", inference_rows=1).read_all()
    assert (caught.value.column, caught.value.record) == ("v", 3)
