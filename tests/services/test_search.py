"""Search through the service: validation, experiment scoping and opaque page tokens."""

from __future__ import annotations

import base64
import json

import pytest

from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import experiments, logging, runs, search


@pytest.fixture
def seven_runs(ctx: ServiceContext, experiment_id: str) -> list[str]:
    ids = []
    for i in range(7):
        run_id = runs.create_run(
            ctx, experiment_id, run_name=f"r{i}", start_time=1000 + i
        ).info.run_id
        logging.log_batch(ctx, run_id, metrics=[Metric("m", float(i), 1, 0)])
        ids.append(run_id)
    return ids


def test_page_tokens_walk_every_run_once(
    ctx: ServiceContext, experiment_id: str, seven_runs: list[str]
) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = search.search_runs(
            ctx, [experiment_id], "metrics.m >= 0", ["metrics.m"], max_results=3, page_token=token
        )
        seen.extend(r.info.run_id for r in page.runs)
        pages += 1
        token = page.next_page_token
        if token is None:
            break
    assert seen == seven_runs and pages == 3


def test_tokens_belong_to_their_search(
    ctx: ServiceContext, experiment_id: str, seven_runs: list[str]
) -> None:
    page = search.search_runs(ctx, [experiment_id], "metrics.m >= 0", max_results=2)
    assert page.next_page_token is not None
    with pytest.raises(InvalidArgumentError, match="different search"):
        search.search_runs(
            ctx, [experiment_id], "metrics.m >= 1", max_results=2, page_token=page.next_page_token
        )
    forged = base64.urlsafe_b64encode(json.dumps({"offset": -5, "query": "x"}).encode()).decode()
    for bad in ("not-a-token", "", "e30=", forged):
        if not bad:
            continue
        with pytest.raises(InvalidArgumentError, match="page_token"):
            search.search_runs(ctx, [experiment_id], "metrics.m >= 0", page_token=bad)


@pytest.mark.parametrize("max_results", [0, -1, 50_001, "10", 2.5])
def test_bad_max_results(ctx: ServiceContext, experiment_id: str, max_results: object) -> None:
    with pytest.raises(InvalidArgumentError, match="max_results"):
        search.search_runs(ctx, [experiment_id], max_results=max_results)  # type: ignore[arg-type]


def test_bad_view_type_and_unknown_experiment(ctx: ServiceContext, experiment_id: str) -> None:
    with pytest.raises(InvalidArgumentError, match="run_view_type"):
        search.search_runs(ctx, [experiment_id], run_view_type="everything")
    missing = new_id()
    with pytest.raises(NotFoundError, match=missing):
        search.search_runs(ctx, [experiment_id, missing])


@pytest.mark.parametrize(
    ("filter_string", "fragment"),
    [
        ("metrics.m > ", "position 12"),
        ("params.lr < '1'", "strings"),
        ("metrics.m LIKE 'x%'", "numeric"),
        ("tags.t = 'a' AND AND", "position 17"),
    ],
)
def test_malformed_filters(
    ctx: ServiceContext, experiment_id: str, filter_string: str, fragment: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        search.search_runs(ctx, [experiment_id], filter_string)


def test_bad_order_by(ctx: ServiceContext, experiment_id: str) -> None:
    with pytest.raises(InvalidArgumentError):
        search.search_runs(ctx, [experiment_id], order_by=["metrics.m SIDEWAYS"])


def test_default_scope_is_every_active_experiment(
    ctx: ServiceContext, experiment_id: str, seven_runs: list[str]
) -> None:
    other = experiments.create_experiment(ctx, "other").experiment_id
    extra = runs.create_run(ctx, other).info.run_id
    found = {r.info.run_id for r in search.search_runs(ctx).runs}
    assert found == {*seven_runs, extra}
    experiments.delete_experiment(ctx, other)
    assert {r.info.run_id for r in search.search_runs(ctx).runs} == set(seven_runs)


def test_view_types(ctx: ServiceContext, experiment_id: str, seven_runs: list[str]) -> None:
    runs.delete_run(ctx, seven_runs[0])
    deleted = search.search_runs(ctx, [experiment_id], run_view_type="deleted_only").runs
    assert [r.info.run_id for r in deleted] == [seven_runs[0]]
    assert len(search.search_runs(ctx, [experiment_id]).runs) == 6
    assert len(search.search_runs(ctx, [experiment_id], run_view_type="all").runs) == 7
