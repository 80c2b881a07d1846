"""Search filters at their limits work on SQLite and PostgreSQL; one step over is a 400.

Through both doors: the REST app (in-process, on the same database) and the SDK embedded on
the database. A filter at every limit at once (50 nested levels, 200 comparisons, 1000 IN
values, an 8000-character value, 100,000 characters) must stay within what both databases
accept; before the limits, a deep filter raised RecursionError (a 500) and a long chain was
refused by SQLite as "Expression tree is too large" (a 503 the SDK retried).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import mlsteward
from mlsteward.domain.errors import FilterSyntaxError, InvalidArgumentError
from mlsteward.domain.filter_limits import FilterLimits
from mlsteward.interfaces.rest.app import create_app
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.composition import close_context
from mlsteward.services.tracking import operations as ops
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.postgres import temporary_database

LIMITS = FilterLimits()
TARGET = f"r{LIMITS.max_depth - 1}"  # the run the outermost level names
_PER_LEVEL = LIMITS.max_comparisons // LIMITS.max_depth
_IN_PER_LEVEL = LIMITS.max_in_values // LIMITS.max_depth


def _level(level: int, inner: str) -> str:
    """One parenthesised level: the inner level first (the deepest SQL), then comparisons of
    every kind, joined by AND and OR in turn so no level merges into the next."""
    values = ", ".join(f"'v{level}-{j}'" for j in range(_IN_PER_LEVEL))
    pattern = "%" + "x" * (LIMITS.max_value_length - 1) if level == 0 else f"%x{level}%"
    comparisons = [
        f"params.p{level} {'IN' if level % 2 else 'NOT IN'} ({values})",
        f"metrics.m{level} > {level}.5",
        f"tags.t{level} LIKE '{pattern}'",
        f"attributes.run_name = 'r{level}'",
    ]
    assert len(comparisons) == _PER_LEVEL
    op = " OR " if level % 2 else " AND "
    return "(" + op.join(([inner] if inner else []) + comparisons) + ")"


def run_filter_at_limits() -> str:
    """True for the run named TARGET only; every limit reached exactly."""
    text = ""
    for level in range(LIMITS.max_depth):
        text = _level(level, text)
    return text + " " * (LIMITS.max_length - len(text))


def run_filters_over_limits() -> dict[str, str]:
    """One filter per limit, each one step over it (and within every other limit)."""
    at = run_filter_at_limits().rstrip()
    return {
        "at most 50 deep": f"({at})",
        "at most 200 comparisons": f"{at} OR run_name = 'x'",
        "at most 1000 values in all": at.replace("'v0-0'", "'v0-0', 'one more'", 1),
        "at most 100000 characters": run_filter_at_limits() + " ",
        "at most 8000 characters": at.replace("'%x", "'%xx", 1),
    }


def registry_filter_at_limits(field: str) -> str:
    """``name IN (1000 names) AND`` 199 more conditions: true for the model "target" only."""
    names = ", ".join(f"'n{i}'" for i in range(LIMITS.max_in_values - 1))
    others = [f"{field} != 'other-{i}'" for i in range(LIMITS.max_comparisons - 1)]
    return " AND ".join([f"name IN ({names}, 'target')", *others])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def client(store_uri: str) -> mlsteward.Client:
    """The local door: the SDK on the database, with runs in experiment "limits" and a model."""
    client = mlsteward.Client(store_uri)
    experiment_id = client.create_experiment("limits")
    for level in (0, 1, LIMITS.max_depth - 1):
        run = client.create_run(experiment_id, run_name=f"r{level}")
        client.log_param(run.info.run_id, f"p{level}", f"v{level}-0")
        client.log_metric(run.info.run_id, f"m{level}", float(level))
        client.set_tag(run.info.run_id, f"t{level}", "x")
    client.create_registered_model("target")
    client.create_registered_model("other")
    client.create_model_version("target", "file:///model")
    return client


@pytest.fixture
def app(store_uri: str, client: mlsteward.Client, tmp_path: Path) -> Iterator[FastAPI]:
    """The HTTP door on the same database (created by the client fixture)."""
    app = create_app(store_uri, str(tmp_path / "artifacts"))
    yield app
    close_context(app.state.ctx)


def _post(app: FastAPI, path: str, body: dict[str, Any]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.post(f"/api/v1{path}", json=body)

    return asyncio.run(call())


def _experiment_ids(client: mlsteward.Client) -> list[str]:
    experiment = client.get_experiment_by_name("limits")
    assert experiment is not None
    return [experiment.experiment_id]


def test_run_filter_at_every_limit_works_through_both_doors(
    client: mlsteward.Client, app: FastAPI
) -> None:
    text = run_filter_at_limits()
    assert len(text) == LIMITS.max_length
    ids = _experiment_ids(client)
    assert [r.info.run_name for r in client.search_runs(ids, text)] == [TARGET]
    response = _post(app, "/runs/search", {"experiment_ids": ids, "filter": text})
    assert response.status_code == 200, response.text
    assert [r["info"]["run_name"] for r in response.json()["runs"]] == [TARGET]


def test_run_filters_over_a_limit_are_400_through_both_doors(
    client: mlsteward.Client, app: FastAPI
) -> None:
    ids = _experiment_ids(client)
    for limit, text in run_filters_over_limits().items():
        with pytest.raises(FilterSyntaxError, match=limit):
            client.search_runs(ids, text)
        response = _post(app, "/runs/search", {"experiment_ids": ids, "filter": text})
        assert response.status_code == 400, (limit, response.text)
        assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
        assert limit in response.json()["error"]["message"]


def test_chains_that_used_to_reach_the_database_are_400(
    client: mlsteward.Client, app: FastAPI
) -> None:
    ids = _experiment_ids(client)
    deep = "(" * 400 + "metrics.a > 1" + ")" * 400
    long_chain = " OR ".join(["metrics.a > 1"] * 999)
    for text in (deep, long_chain):
        with pytest.raises(FilterSyntaxError):
            client.search_runs(ids, text)
        response = _post(app, "/runs/search", {"experiment_ids": ids, "filter": text})
        assert response.status_code == 400, response.text
    too_many_keys = {"experiment_ids": ids, "order_by": ["start_time"] * 3000}
    assert _post(app, "/runs/search", too_many_keys).status_code == 400


def test_registry_filters_at_and_over_the_limits(client: mlsteward.Client, app: FastAPI) -> None:
    models = registry_filter_at_limits("name")
    versions = registry_filter_at_limits("source")
    assert [m.name for m in client.search_registered_models(models)] == ["target"]
    assert [v.name for v in client.search_model_versions(versions)] == ["target"]
    response = _post(app, "/registered-models/search", {"filter": models})
    assert response.status_code == 200, response.text
    assert [m["name"] for m in response.json()["registered_models"]] == ["target"]
    response = _post(app, "/model-versions/search", {"filter": versions})
    assert response.status_code == 200, response.text
    assert [v["name"] for v in response.json()["model_versions"]] == ["target"]

    over = models + " AND name != 'one more'"
    with pytest.raises(FilterSyntaxError, match="at most 200 comparisons"):
        client.search_registered_models(over)
    response = _post(app, "/registered-models/search", {"filter": over})
    assert response.status_code == 400 and "at most 200" in response.text
    huge_version = "version = 99999999999999999999999"
    response = _post(app, "/model-versions/search", {"filter": huge_version})
    assert response.status_code == 400 and "out of range" in response.text


class _CountingTransport(httpx.HTTPTransport):
    """Counts the requests the SDK sends, to show a 400 is not retried."""

    def __init__(self) -> None:
        super().__init__()
        self.searches = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/runs/search"):
            self.searches += 1
        return super().handle_request(request)


@pytest.mark.server
def test_the_sdk_over_http_gets_the_400_once(server_url: str) -> None:
    """The 999-term chain used to be a 503 the SDK sent four times; now one 400."""
    transport = _CountingTransport()
    backend = HttpBackend(server_url, transport=transport)
    client = client_over(backend)
    try:
        experiment = invoke(backend.transport, ops.get_or_create_experiment, name="filter-limits")
        experiment_id = experiment.experiment_id
        long_chain = " OR ".join(["metrics.a > 1"] * 999)
        with pytest.raises(InvalidArgumentError, match="at most 200 comparisons") as caught:
            client.search_runs([experiment_id], long_chain, max_results=10)
        assert caught.value.http_status == 400
        assert transport.searches == 1
        deep = "(" * 400 + "metrics.a > 1" + ")" * 400
        with pytest.raises(InvalidArgumentError, match="at most 50 deep"):
            client.search_runs([experiment_id], deep, max_results=10)
        assert transport.searches == 2
    finally:
        backend.close()
