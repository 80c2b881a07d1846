"""Server-wide behaviour: health, OpenAPI, the error shape for anything malformed, size limits."""

from __future__ import annotations

import itertools
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.testing.server_process import running_server

pytestmark = pytest.mark.server

ExpectError = Callable[[httpx.Response, int, str], str]
_MB = 1 << 20


def test_health_readiness_and_info(server_url: str) -> None:
    assert httpx.get(f"{server_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server_url}/readyz").json() == {"status": "ready"}
    info = httpx.get(f"{server_url}/api/v1/server-info").json()
    assert info["max_json_body_bytes"] == 64 * _MB
    assert info["max_metrics_per_batch"] > 0


def test_openapi_and_docs(server_url: str) -> None:
    document = httpx.get(f"{server_url}/openapi.json").json()
    paths = document["paths"]
    for path, method in [
        ("/api/v1/experiments", "post"),
        ("/api/v1/experiments/by-name", "get"),
        ("/api/v1/experiments/get-or-create", "post"),
        ("/api/v1/runs/{run_id}", "patch"),
        ("/api/v1/runs/{run_id}/log-batch", "post"),
        ("/api/v1/runs/{run_id}/metrics/history", "get"),
        ("/api/v1/runs/search", "post"),
        ("/api/v1/runs/{run_id}/artifacts/{path}", "put"),
        ("/api/v1/runs/{run_id}/artifacts/{path}", "get"),
        ("/api/v1/runs/{run_id}/artifacts", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert "LogBatchRequest" in document["components"]["schemas"]
    docs = httpx.get(f"{server_url}/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


def test_unknown_routes_and_methods(server_url: str, expect_error: ExpectError) -> None:
    message = expect_error(httpx.get(f"{server_url}/api/v1/nothing"), 404, "NOT_FOUND")
    assert "/api/v1/nothing" in message
    expect_error(httpx.get(f"{server_url}/"), 404, "NOT_FOUND")
    expect_error(httpx.delete(f"{server_url}/healthz"), 405, "METHOD_NOT_ALLOWED")
    expect_error(httpx.put(f"{server_url}/api/v1/runs/search"), 405, "METHOD_NOT_ALLOWED")


def test_malformed_json(api: httpx.Client, run_id: str, expect_error: ExpectError) -> None:
    json_type = {"Content-Type": "application/json"}
    path = f"/runs/{run_id}/log-batch"
    message = expect_error(
        api.post(path, content=b'{"metrics": [', headers=json_type), 400, "INVALID_ARGUMENT"
    )
    assert "Invalid JSON" in message
    assert "position" in message
    expect_error(api.post(path, content=b"{oops"), 400, "INVALID_ARGUMENT")
    expect_error(api.post(path, content=b"", headers=json_type), 400, "INVALID_ARGUMENT")
    expect_error(api.post(path, content=b"\xff\xfe", headers=json_type), 400, "INVALID_ARGUMENT")
    expect_error(
        api.post(path, content=b'{"metrics": NaN}', headers=json_type), 400, "INVALID_ARGUMENT"
    )


def test_user_header(api: httpx.Client, experiment_id: str, expect_error: ExpectError) -> None:
    body = {"experiment_id": experiment_id}
    too_long = {"X-Mlsteward-User": "u" * 1000}
    expect_error(api.post("/runs", json=body, headers=too_long), 400, "INVALID_ARGUMENT")


def _garbage_bodies() -> list[bytes]:
    return [
        b"",
        b"null",
        b"[]",
        b"123",
        b'"text"',
        b"{}",
        b'{"name": 5, "experiment_id": [1], "metrics": "x", "filter": {}}',
        b'{"key": null, "value": {"a": 1}, "status": 3, "max_results": "many"}',
        b"\x00\x01\x02",
        b"{" * 2000,
    ]


def _probe_paths(run_id: str, experiment_id: str) -> Iterator[tuple[str, str]]:
    weird = ["%00", "%FF", "x" * 2000, "%2E%2E", "a%2Fb", " "]
    for ident in [run_id, experiment_id, *weird]:
        yield "POST", "/experiments"
        yield "POST", "/experiments/get-or-create"
        yield "GET", f"/experiments/{ident}"
        yield "POST", f"/experiments/{ident}/tags"
        yield "POST", "/runs"
        yield "POST", "/runs/search"
        yield "PATCH", f"/runs/{ident}"
        yield "POST", f"/runs/{ident}/log-batch"
        yield "GET", f"/runs/{ident}/metrics/history?key={ident}&max_points={ident}"
        yield "DELETE", f"/runs/{ident}/tags?key={ident}"
        yield "PUT", f"/runs/{run_id}/artifacts/{ident}"
        yield "GET", f"/runs/{run_id}/artifacts?path={ident}&recursive={ident}"


def test_client_input_never_causes_a_500(
    api: httpx.Client, run_id: str, experiment_id: str
) -> None:
    json_type = {"Content-Type": "application/json"}
    probes = list(itertools.product(_probe_paths(run_id, experiment_id), _garbage_bodies()))
    for (method, path), body in probes:
        response = api.request(method, path, content=body, headers=json_type)
        assert response.status_code < 500, (method, path, body[:40], response.text)
        if response.status_code >= 400:
            assert (
                {"code", "message"} <= set(response.json()["error"]) <= {"code", "message", "type"}
            )


@pytest.fixture(scope="module")
def small_limits_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("limits")
    args = ["--max-body-mb", "1", "--max-artifact-mb", "2"]
    with running_server(root / "db", root / "artifacts", extra_args=args) as url:
        yield url


def test_oversize_bodies_get_413(small_limits_url: str, expect_error: ExpectError) -> None:
    with httpx.Client(base_url=f"{small_limits_url}/api/v1", timeout=30) as api:
        experiment = api.post("/experiments", json={"name": uuid.uuid4().hex}).json()
        run = api.post("/runs", json={"experiment_id": experiment["experiment_id"]}).json()
        run_id = run["info"]["run_id"]
        big_json = b'{"params": [], "pad": "' + b"x" * (_MB + 10) + b'"}'
        json_type = {"Content-Type": "application/json"}
        message = expect_error(
            api.post(f"/runs/{run_id}/log-batch", content=big_json, headers=json_type),
            413,
            "PAYLOAD_TOO_LARGE",
        )
        assert str(_MB) in message

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield big_json[: _MB // 2]
            yield big_json[_MB // 2 :]

        expect_error(
            api.post(f"/runs/{run_id}/log-batch", content=chunked(), headers=json_type),
            413,
            "PAYLOAD_TOO_LARGE",
        )
        # Artifacts have their own, larger limit.
        fits = api.put(f"/runs/{run_id}/artifacts/ok.bin", content=b"x" * (_MB + _MB // 2))
        assert fits.status_code == 201
        too_big = b"x" * (2 * _MB + 1)
        expect_error(
            api.put(f"/runs/{run_id}/artifacts/big.bin", content=too_big), 413, "PAYLOAD_TOO_LARGE"
        )
        expect_error(
            api.put(f"/runs/{run_id}/artifacts/big.bin", content=iter([too_big])),
            413,
            "PAYLOAD_TOO_LARGE",
        )
        names = [f["path"] for f in api.get(f"/runs/{run_id}/artifacts").json()["files"]]
        assert names == ["ok.bin"]
        # The connection is still usable after a refusal.
        assert api.get(f"/runs/{run_id}").status_code == 200


def test_several_workers_serve(tmp_path: Path) -> None:
    with (
        running_server(
            tmp_path / "db", tmp_path / "artifacts", extra_args=["--workers", "2"]
        ) as url,
        httpx.Client(base_url=f"{url}/api/v1", timeout=30) as api,
    ):
        for _ in range(4):
            created = api.post("/experiments", json={"name": uuid.uuid4().hex})
            assert created.status_code == 201
        assert len(api.get("/experiments").json()["experiments"]) >= 4


def test_a_database_needing_migration_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    """Servers never migrate shared data by surprise: without --upgrade they refuse to start
    on an older schema (a brand-new database, holding nothing, gets the schema)."""
    from alembic import command as alembic_command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from mlsteward.storage.sql.schema import _config
    from mlsteward.testing.server_process import free_port

    store = tmp_path / "old.db"
    oldest = list(ScriptDirectory.from_config(_config()).walk_revisions())[-1].revision
    engine = create_engine(f"sqlite:///{store}")
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        alembic_command.upgrade(config, oldest)
    engine.dispose()
    command = [
        sys.executable,
        "-m",
        "mlsteward.interfaces.rest.server",
        "--port",
        str(free_port()),
        "--store-uri",
        str(store),
        "--artifacts-uri",
        str(tmp_path / "artifacts"),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert "db upgrade" in finished.stderr
    assert "Traceback" not in finished.stderr
