"""A SQL table as the output (``sql:URL#TABLE``), on a SQLite file and a real PostgreSQL
database: the table holds exactly the job's Parquet rows, a job killed with SIGKILL while
scoring or while loading resumes with no row lost or loaded twice, an existing table is
appended to when it fits and refused (naming its columns) when it does not, bad specs fail
before scoring, passwords never show, and a server refuses to write to any database."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

import mlsteward
from mlsteward.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    MlstewardError,
    PermissionDeniedError,
    UnavailableError,
)
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.server_process import running_server

from .conftest import Store, gbt_frame

CHUNK = 300
ROWS = 2_000
PASSWORD = "s3cr3t-Pw"  # PostgreSQL here trusts local connections: any password passes
_WAIT_S = 120.0
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A throw-away database for this module (tables are named per test), with a password
    in its URL so that every message can be checked for it."""
    with temporary_database(postgres_server) as url:
        parsed = sa.make_url(url).set(drivername="postgresql+psycopg", password=PASSWORD)
        yield parsed.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for the output: a new SQLite file, or the module's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scores.db'}"
    return str(request.getfixturevalue("postgres_database"))


def _table_name(request: pytest.FixtureRequest) -> str:
    """A table name of this test (PostgreSQL tests share one database)."""
    return f"t_{hashlib.sha256(request.node.name.encode()).hexdigest()[:16]}"


def _read(url: str, table: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = f'SELECT * FROM "{table}" ORDER BY prediction_id'
            return pd.read_sql_query(sa.text(query), connection)
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _job_parts(home: Path, job_id: str) -> pd.DataFrame:
    """The Parquet parts a job wrote in its folder under the home (the job's own rows)."""
    for manifest in (home / "batch-jobs").glob("*/_manifest.json"):
        if json.loads(manifest.read_text())["job_id"] == job_id:
            return pq.read_table(manifest.parent).to_pandas()
    raise AssertionError(f"no job folder holds job {job_id}")


def _assert_same_rows(loaded: pd.DataFrame, expected: pd.DataFrame, by: str) -> None:
    """The table's rows equal ``expected``'s, value for value, ordered by ``by``. A REAL
    column holds the float32 exactly; its driver reads it as the nearest float64 text, so it
    is compared as float32 (the same type Parquet keeps)."""
    cast = loaded[list(expected.columns)].astype(expected.dtypes.to_dict())
    pd.testing.assert_frame_equal(
        cast.sort_values(by).reset_index(drop=True),
        expected.sort_values(by).reset_index(drop=True),
        check_exact=True,
    )


def test_the_table_holds_the_jobs_parquet_rows(
    store: Store, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    source = tmp_path / "in.parquet"
    gbt_frame(ROWS, 61).to_parquet(source)
    table = _table_name(request)
    client = store.client()
    options = {"chunk_size": CHUNK, "outputs": ["predict", "predict_proba"], "log": False}
    report = client.predict_batch(
        "models:/gbt/1", str(source), f"sql:{database}#{table}", **options
    )
    assert (report.rows, report.chunks) == (ROWS, 7)
    assert PASSWORD not in report.output and report.output.endswith(f"#{table}")

    loaded = _read(database, table)
    assert len(loaded) == ROWS and loaded["prediction_id"].is_unique
    parts = _job_parts(Path(os.environ["MLSTEWARD_HOME"]), report.job_id)
    _assert_same_rows(loaded, parts, "prediction_id")

    # the same job into a Parquet folder: the same rows (another job: other IDs)
    client.predict_batch("models:/gbt/1", str(source), str(tmp_path / "folder"), **options)
    folder = pq.read_table(tmp_path / "folder").to_pandas()
    _assert_same_rows(loaded, folder.drop(columns="prediction_id"), "id")
    assert list(loaded.columns) == list(parts.columns)  # the created table keeps their order

    again = client.predict_batch("models:/gbt/1", str(source), f"sql:{database}#{table}", **options)
    assert (again.chunks_resumed, again.rows_scored) == (7, 0)
    assert len(_read(database, table)) == ROWS  # a finished job loads nothing again


# The job in a subprocess, stopped (asleep) at a known point for the parent to kill it:
# ``scoring``: after chunk 2 is scored, before the rows reach the table; ``loading``: after
# chunk 2's rows and marker are committed, before chunk 3 is loaded.
_JOB = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import mlsteward
    from mlsteward.engines.batch_scoring import sql_tables

    uri, source, output, marker, where = sys.argv[1:6]
    if where == "loading":
        load = sql_tables.TableLoader.load_chunk

        def stop_after_loading(self, index, rows, digest):
            loaded = load(self, index, rows, digest)
            if index == 2:
                Path(marker).write_text("loading")
                time.sleep(600)
            return loaded

        sql_tables.TableLoader.load_chunk = stop_after_loading

    def progress(done, total):
        if where == "scoring" and done >= 3 * {chunk}:
            Path(marker).write_text("scoring")
            time.sleep(600)

    mlsteward.Client(uri).predict_batch(
        "models:/gbt/1", source, output, chunk_size={chunk}, log=False, progress=progress
    )
    """
).format(chunk=CHUNK)


def _kill_midway(store: Store, tmp_path: Path, source: Path, output: str, where: str) -> None:
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    marker = tmp_path / f"stopped-{where}"
    process = subprocess.Popen(
        [sys.executable, str(script), store.uri, str(source), output, str(marker), where],
        env=dict(os.environ),  # the same MLSTEWARD_HOME: the rerun finds the job folder
    )
    try:
        deadline = time.monotonic() + _WAIT_S
        while not marker.exists():
            assert process.poll() is None, "the job ended before its stopping point"
            assert time.monotonic() < deadline, "the job never reached its stopping point"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("where", ["scoring", "loading"])
def test_sigkill_then_rerun_loads_every_row_once(
    store: Store, tmp_path: Path, database: str, where: str, request: pytest.FixtureRequest
) -> None:
    source = tmp_path / "in.parquet"
    gbt_frame(ROWS, 62).to_parquet(source)
    table = _table_name(request)
    output = f"sql:{database}#{table}"
    _kill_midway(store, tmp_path, source, output, where)
    engine = sa.create_engine(database)
    try:
        exists = sa.inspect(engine).has_table(table)
    finally:
        engine.dispose()
    before = _read(database, table) if exists else pd.DataFrame()
    # killed while scoring: nothing loaded yet; while loading: chunks 0 to 2, committed
    assert len(before) == (0 if where == "scoring" else 3 * CHUNK)

    report = store.client().predict_batch(
        "models:/gbt/1", str(source), output, chunk_size=CHUNK, log=False
    )
    assert report.chunks_resumed == (3 if where == "scoring" else 7)
    assert report.rows == ROWS
    loaded = _read(database, table)
    assert len(loaded) == ROWS and loaded["prediction_id"].is_unique
    assert sorted(loaded["id"]) == sorted(gbt_frame(ROWS, 62)["id"])
    assert set(before.get("prediction_id", [])) <= set(loaded["prediction_id"])
    parts = _job_parts(Path(os.environ["MLSTEWARD_HOME"]), report.job_id)
    _assert_same_rows(loaded, parts, "prediction_id")
    markers = _read_markers(database, report.job_id)
    assert markers == list(range(7))  # each chunk marked once


def _read_markers(url: str, job_id: str) -> list[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT chunk FROM _mlsteward_batch_jobs WHERE job_id = :job ORDER BY 1"),
                {"job": job_id},
            )
            return [int(row[0]) for row in rows]
    finally:
        engine.dispose()


def test_an_existing_table_that_fits_is_appended_to(
    store: Store, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    table = _table_name(request)
    _execute(
        database,
        f'CREATE TABLE "{table}" (prediction_id VARCHAR(36) PRIMARY KEY, id BIGINT, '
        "predict BIGINT, note TEXT)",
        f"INSERT INTO \"{table}\" VALUES ('earlier', -1, 0, 'kept')",
    )
    client = store.client()
    for seed in (63, 64):
        gbt_frame(500, seed).to_parquet(tmp_path / f"in-{seed}.parquet")
        report = client.predict_batch(
            "models:/gbt/1",
            str(tmp_path / f"in-{seed}.parquet"),
            f"sql:{database}#{table}",
            keep_columns=["id"],
            chunk_size=CHUNK,
            log=False,
        )
        assert report.rows == 500
    loaded = _read(database, table)
    assert len(loaded) == 1_001 and loaded["prediction_id"].is_unique
    expected_ids = [-1, *gbt_frame(500, 63)["id"], *gbt_frame(500, 64)["id"]]
    assert sorted(loaded["id"]) == sorted(expected_ids)
    assert loaded["note"].isna().sum() == 1_000  # a column the output lacks stays empty
    assert set(loaded["predict"]) <= {0, 1}


def test_an_incompatible_table_is_refused_naming_its_columns(
    store: Store, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    table = _table_name(request)
    _execute(
        database,
        f'CREATE TABLE "{table}" (prediction_id VARCHAR(36) PRIMARY KEY, id TEXT, '
        "required_thing TEXT NOT NULL)",
    )
    gbt_frame(400, 65).to_parquet(tmp_path / "in.parquet")
    output = f"sql:{database}#{table}"
    with pytest.raises(ConflictError) as refused:
        store.client().predict_batch(
            "models:/gbt/1", str(tmp_path / "in.parquet"), output, chunk_size=CHUNK, log=False
        )
    message = str(refused.value)
    assert "no column 'predict'" in message and "no column 'f0'" in message
    assert "column 'id' is TEXT" in message and "'required_thing' is NOT NULL" in message
    assert PASSWORD not in message
    assert _read(database, table).empty


def test_a_table_without_prediction_ids_is_refused_before_scoring(
    store: Store, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    table = _table_name(request)
    _execute(database, f'CREATE TABLE "{table}" (id BIGINT, predict BIGINT)')
    gbt_frame(100, 66).to_parquet(tmp_path / "in.parquet")
    jobs = Path(os.environ["MLSTEWARD_HOME"]) / "batch-jobs"
    before = sorted(jobs.iterdir()) if jobs.exists() else []
    with pytest.raises(ConflictError, match="has no prediction_id column") as refused:
        store.client().predict_batch(
            "models:/gbt/1", str(tmp_path / "in.parquet"), f"sql:{database}#{table}", log=False
        )
    assert PASSWORD not in str(refused.value)
    assert (sorted(jobs.iterdir()) if jobs.exists() else []) == before  # no job was begun


@pytest.mark.parametrize(
    ("output", "error", "words"),
    [
        ("sql:sqlite:///{tmp}/x.db", InvalidArgumentError, "names the database and the table"),
        ("sql:sqlite:///{tmp}/x.db#", InvalidArgumentError, "is not a table name"),
        ("sql:sqlite:///{tmp}/x.db#a.b.c", InvalidArgumentError, "is not a table name"),
        ("sql:sqlite:///{tmp}/x.db#1st", InvalidArgumentError, "is not a table name"),
        ("sql:sqlite:///{tmp}/x.db#_mlsteward_batch_jobs", InvalidArgumentError, "own table"),
        ("sql:not a url#scores", InvalidArgumentError, "is not a SQLAlchemy database URL"),
        ("sql:nosuchdb://u:{pw}@h/db#scores", InvalidArgumentError, "No database dialect"),
        ("sql:mysql+pymysql://u:{pw}@h/db#scores", InvalidArgumentError, "not installed"),
        ("sql:postgresql://u:{pw}@127.0.0.1:1/db#scores", UnavailableError, "Cannot connect"),
        ("sql:sqlite:///{tmp}/no/such/folder/x.db#scores", UnavailableError, "Cannot connect"),
    ],
)
def test_a_bad_sql_output_fails_before_scoring(
    store: Store, tmp_path: Path, output: str, error: type[MlstewardError], words: str
) -> None:
    gbt_frame(50, 67).to_parquet(tmp_path / "in.parquet")
    target = output.format(tmp=tmp_path, pw=PASSWORD)
    with pytest.raises(error, match=words) as refused:
        store.client().predict_batch("models:/gbt/1", str(tmp_path / "in.parquet"), target)
    assert PASSWORD not in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]  # nothing written


# --------------------------------------------------------------------------- the server door


@pytest.fixture(scope="module")
def server(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    allowed = tmp_path_factory.mktemp("allowed-sql")
    store_dir = Path(store.uri)
    options = ["--source-root", str(allowed), "--source-sql-url", f"sqlite:///{allowed}/out.db"]
    with running_server(
        store_dir / "mlsteward.db", store_dir / "artifacts", extra_args=options
    ) as url:
        yield str(url), allowed


@pytest.mark.server
@pytest.mark.parametrize(
    "output",
    [
        "sql:sqlite:///{allowed}/out.db#scores",  # even a database allowed for reading
        "sql:postgresql://postgres:{pw}@127.0.0.1:5432/postgres#scores",
    ],
)
def test_a_server_writes_to_no_database(server: tuple[str, Path], output: str) -> None:
    url, allowed = server
    gbt_frame(20, 68).to_parquet(allowed / "in.parquet")
    target = output.format(allowed=allowed, pw=PASSWORD)
    payload = {"model_uri": "models:/gbt/1", "input": [str(allowed / "in.parquet")]}
    answer = httpx.post(
        f"{url}/api/v1/batch-predictions",
        json={**payload, "output": target, "log": False},
        timeout=120.0,
    )
    assert answer.status_code == 403, answer.text
    assert "does not write batch output to databases" in answer.text
    assert PASSWORD not in answer.text
    assert sorted(p.name for p in allowed.iterdir()) == ["in.parquet"]
    with pytest.raises(PermissionDeniedError, match="--source-root"):
        mlsteward.Client(url).predict_batch("models:/gbt/1", str(allowed / "in.parquet"), target)
