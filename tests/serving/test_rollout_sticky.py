"""Sticky routing: a request key (a header or an input value) hashed to a route, the same in
every process, spread by the routes' weights, and kept on the candidate as its share grows."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.stats import binom

from mlsteward.domain.deployments import Batching, LogSettings, RouteTarget, ServingPlan
from mlsteward.interfaces.serving.versions import Snapshot, key_share, sticky_value


def _snapshot(canary_weight: float, sticky_key: str | None = "header:x-user") -> Snapshot:
    stable: Any = SimpleNamespace(route="stable", version=1)
    canary: Any = SimpleNamespace(route="canary", version=2)
    plan = ServingPlan(
        deployment="churn-api",
        revision=3,
        runtime="auto",
        routes=(
            RouteTarget("stable", "churn", 1, 1 - canary_weight),
            RouteTarget("canary", "churn", 2, canary_weight),
        ),
        batching=Batching(),
        log=LogSettings(),
        log_root="",
        sticky_key=sticky_key,
    )
    # As the data plane builds it: candidates first.
    answering = ((canary, canary_weight), (stable, 1 - canary_weight))
    return Snapshot(plan, {}, answering)


def test_a_key_keeps_its_route_and_keys_spread_by_weight() -> None:
    snapshot = _snapshot(0.25)
    keys = [f"user-{i}" for i in range(2000)]
    first = {key: snapshot.pick(key).version for key in keys}
    assert all(snapshot.pick(key).version == first[key] for key in keys for _ in range(3))
    on_canary = sum(version == 2 for version in first.values())
    assert binom.ppf(1e-6, 2000, 0.25) <= on_canary <= binom.ppf(1 - 1e-6, 2000, 0.25)


def test_a_key_on_the_canary_stays_there_as_its_share_grows() -> None:
    keys = [f"user-{i}" for i in range(2000)]
    before = {key for key in keys if _snapshot(0.05).pick(key).version == 2}
    after = {key for key in keys if _snapshot(0.25).pick(key).version == 2}
    assert before and before <= after
    assert all(_snapshot(1.0).pick(key).version == 2 for key in keys[:50])


def test_the_hash_is_the_same_in_another_process() -> None:
    code = "from mlsteward.interfaces.serving.versions import key_share; print(key_share('u-42'))"
    other = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert float(other) == key_share("u-42")
    assert 0.0 <= key_share("") < 1.0


def test_the_sticky_value_of_a_request() -> None:
    headers = {"x-user": "alice"}
    batch = {"customer": np.array([17, 18]), "income": np.array([1.5, 2.5])}
    assert sticky_value("header:x-user", headers, batch) == "alice"
    assert sticky_value("header:x-other", headers, batch) is None
    assert sticky_value("input:customer", headers, batch) == "17"
    assert sticky_value("input:missing", headers, batch) is None
    tensor = {"input-0": np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float32)}
    assert sticky_value("input:input-0", headers, tensor) == "[0.0, 1.0]"  # the first row
    assert sticky_value(None, headers, batch) is None
    snapshot = _snapshot(0.5, "input:customer")
    assert snapshot.sticky_on_input and snapshot.sticky(headers, batch) == "17"
    assert not _snapshot(0.5).sticky_on_input
    assert _snapshot(0.5).sticky(headers) == "alice"
