"""A log-batch is refused before parsing when it is larger than its count limits allow.

Before the budget, a 57 MiB batch of 1.8 million points was parsed in full before the
100,000-point limit refused it (the server grew by half a gigabyte), and a 2 MiB batch of
400,000 empty points grew it by more than a gigabyte while pydantic listed 1.2 million
errors. Batches at the limits, in both encodings, must still be accepted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.domain.errors import PayloadTooLargeError
from mlsteward.interfaces.rest.log_batch_budget import (
    check_log_batch_values,
    max_log_batch_bytes,
    max_log_batch_values,
)
from mlsteward.services.api import wire
from mlsteward.services.limits import Limits
from mlsteward.testing.server_process import ServerURL, running_server

from .conftest import ExpectError

LIMITS = Limits()
POINTS = LIMITS.max_metrics_per_batch
MIB = 1 << 20
JSON = {"Content-Type": "application/json"}


def _columns(n: int, key: str = "loss") -> dict[str, list[object]]:
    return {
        "keys": [key] * n,
        "values": [0.5 + i for i in range(n)],
        "timestamps": [1_700_000_000_000 + i for i in range(n)],
        "steps": list(range(n)),
    }


def _points(n: int, key: str = "loss") -> list[dict[str, object]]:
    return [
        {"key": key, "value": 0.5 + i, "timestamp": 1_700_000_000_000 + i, "step": i}
        for i in range(n)
    ]


def _huge_columns_body(points: int) -> bytes:
    """About 34 bytes a point, built without a Python object per point."""
    last = points - 1
    return (
        b'{"metrics":{"keys":['
        + b'"loss",' * last
        + b'"loss"],"values":['
        + b"0.25," * last
        + b'0.25],"timestamps":['
        + b"1700000000000," * last
        + b'1700000000000],"steps":['
        + b"1234567," * last
        + b"1234567]}}"
    )


def _widest_batch(limits: Limits, *, as_points: bool) -> dict[str, object]:
    """Every list at its count limit and every item at its longest (in characters JSON does
    not escape); values full of the characters the value count looks for, so its careful
    scan runs too."""
    key = "k" * limits.max_key_length
    point = {"key": key, "value": -2.2250738585072014e-308, "timestamp": -(2**63), "step": -(2**63)}
    n = limits.max_metrics_per_batch
    metrics: object = (
        [point] * n
        if as_points
        else {
            "keys": [key] * n,
            "values": [point["value"]] * n,
            "timestamps": [-(2**63)] * n,
            "steps": [-(2**63)] * n,
        }
    )
    return {
        "metrics": metrics,
        "params": [
            {
                "key": f"{i:0>{limits.max_key_length}}",
                "value": ",:" * (limits.max_param_value_length // 2),
            }
            for i in range(limits.max_params_per_batch)
        ],
        "tags": [
            {
                "key": f"{i:0>{limits.max_key_length}}",
                "value": ",:" * (limits.max_tag_value_length // 2),
            }
            for i in range(limits.max_tags_per_batch)
        ],
        "idempotency_key": "i" * 128,
    }


@pytest.mark.parametrize("as_points", [True, False], ids=["points", "columns"])
def test_the_widest_valid_batch_fits_both_checks(as_points: bool) -> None:
    batch = _widest_batch(LIMITS, as_points=as_points)
    for body in (json.dumps(batch).encode(), wire.dumps(batch)):  # spaced, and the SDK's
        assert len(body) <= max_log_batch_bytes(LIMITS)
        check_log_batch_values(body, LIMITS)  # does not raise


def test_the_budget_is_well_below_the_bodies_that_hurt() -> None:
    assert max_log_batch_bytes(LIMITS) < 57 * MIB
    assert len(_huge_columns_body(1_800_000)) > 57 * MIB


def test_value_counts_over_the_bound_are_refused() -> None:
    bound = max_log_batch_values(LIMITS)
    with pytest.raises(PayloadTooLargeError, match="at most 100000 metric points"):
        check_log_batch_values(_huge_columns_body(bound // 4 + 1), LIMITS)
    with pytest.raises(PayloadTooLargeError):
        check_log_batch_values(b'{"metrics": [' + b'""' * (bound + 1) + b"]}", LIMITS)
    # Separators and escaped quotes inside strings do not count.
    check_log_batch_values(
        json.dumps({"params": [{"key": "k", "value": ',:"' * bound}]}).encode(), LIMITS
    )


@pytest.mark.server
@pytest.mark.parametrize("shape", ["columns", "points"])
def test_a_batch_at_the_limits_is_accepted(api: httpx.Client, run_id: str, shape: str) -> None:
    metrics = _columns(POINTS) if shape == "columns" else _points(POINTS)
    body = {
        "metrics": metrics,
        "params": [{"key": f"p{i}", "value": "v"} for i in range(LIMITS.max_params_per_batch)],
        "tags": [{"key": f"t{i}", "value": "v"} for i in range(LIMITS.max_tags_per_batch)],
    }
    response = api.post(f"/runs/{run_id}/log-batch", json=body, timeout=120)
    assert response.status_code == 200, response.text
    history = api.get(f"/runs/{run_id}/metrics/history", params={"key": "loss"}).json()
    assert len(history["steps"]) == POINTS


@pytest.mark.server
def test_one_point_too_many_is_the_services_400(
    api: httpx.Client, run_id: str, expect_error: ExpectError
) -> None:
    response = api.post(f"/runs/{run_id}/log-batch", json={"metrics": _columns(POINTS + 1)})
    message = expect_error(response, 400, "INVALID_ARGUMENT")
    assert "at most 100000 metric points" in message


@pytest.fixture
def quiet_server(tmp_path: Path) -> Iterator[ServerURL]:
    """A server of its own, so nothing else moves its memory while it is measured."""
    with running_server(tmp_path / "db", tmp_path / "artifacts") as url:
        yield url


def _chunks(body: bytes) -> Iterator[bytes]:
    """The body in 1 MiB pieces with no Content-Length (chunked transfer encoding)."""
    for start in range(0, len(body), MIB):
        yield body[start : start + MIB]


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


@pytest.mark.server
def test_oversized_batches_are_refused_without_growing_the_server(
    quiet_server: ServerURL, expect_error: ExpectError
) -> None:
    pid = quiet_server.pid
    assert pid is not None
    with httpx.Client(base_url=f"{quiet_server}/api/v1", timeout=120) as api:
        experiment = api.post("/experiments", json={"name": uuid.uuid4().hex}).json()
        run = api.post("/runs", json={"experiment_id": experiment["experiment_id"]}).json()
        batch = f"/runs/{run['info']['run_id']}/log-batch"
        warm_up = api.post(batch, json={"metrics": _columns(1000), "params": []})
        assert warm_up.status_code == 200, warm_up.text
        before = _rss_bytes(pid)

        # 1.8 million points in 57 MiB: refused by its declared length, unread; and sent
        # without a length, refused when the budget is passed.
        huge = _huge_columns_body(1_800_000)
        message = expect_error(
            api.post(batch, content=huge, headers=JSON), 413, "PAYLOAD_TOO_LARGE"
        )
        assert f"at most {max_log_batch_bytes(LIMITS)} bytes" in message
        expect_error(api.post(batch, content=_chunks(huge), headers=JSON), 413, "PAYLOAD_TOO_LARGE")
        del huge
        # 1.4 million points in 45 MiB, within the byte budget: refused by counting, unparsed.
        many = _huge_columns_body(1_400_000)
        assert len(many) < max_log_batch_bytes(LIMITS)
        message = expect_error(
            api.post(batch, content=many, headers=JSON), 413, "PAYLOAD_TOO_LARGE"
        )
        assert "at most 100000 metric points" in message
        del many
        # 400,000 empty points in 2 MiB: one error for the first, not 1.2 million.
        empty = b'{"metrics": [' + b"{}, " * 399_999 + b"{}]}"
        message = expect_error(
            api.post(batch, content=empty, headers=JSON), 400, "INVALID_ARGUMENT"
        )
        assert "metrics[0].key: required" in message
        assert "metrics[1]" not in message

        grown = _rss_bytes(pid) - before
        assert grown < 100 * MIB, f"the server grew by {grown / MIB:.0f} MiB"
        assert httpx.get(f"{quiet_server}/healthz").status_code == 200
        assert api.get(f"/runs/{run['info']['run_id']}").status_code == 200
