"""Monitors run multivariate drift against the profile's row sample (and alert on it), and
pass column roles to the drift report; profiles keep a sample of a size every door takes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import mlsteward.monitoring as mon
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.versions import register_table
from mlsteward.services.monitoring import (
    create_monitor,
    load_profile,
    profile_dataset,
    profile_from,
    run_monitor,
    save_profile,
)

from .conftest import Cli


def correlated(n: int, sign: float, seed: int) -> pd.DataFrame:
    """``x`` and ``y`` with the same marginals whatever ``sign``; their correlation flips."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "request_id": np.arange(n) + seed * 1_000_000,
            "x": x,
            "y": sign * x + 0.3 * rng.normal(size=n),
            "score": rng.random(n),
        }
    )


def _monitor(ctx: ServiceContext, tmp_path: Path, sign: float, **options: object) -> str:
    correlated(1500, sign, seed=1).to_csv(tmp_path / "now.csv", index=False)
    create_monitor(
        ctx,
        "joint",
        str(tmp_path / "now.csv"),
        "ref",
        multivariate=["domain_classifier"],
        identifier_columns=["request_id"],
        prediction_columns=["score"],
        **options,  # type: ignore[arg-type]
    )
    return "joint"


def test_a_correlation_flip_raises_a_multivariate_alert_from_the_sample(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    save_profile(ctx, profile_from(correlated(4000, 1.0, seed=0), sample_size=1000), "ref")
    monitor = _monitor(ctx, tmp_path, sign=-1.0)
    result = run_monitor(ctx, monitor)
    run = result.run
    assert run.status == "ok"
    assert "multivariate drift ran on a reservoir sample of 1,000 reference rows" in (
        run.message or ""
    )
    # The marginals did not move: only the joint check sees it.
    assert [(a.check, a.column) for a in result.opened] == [
        ("multivariate_drift", "domain_classifier")
    ]
    evidence = result.opened[0].evidence
    assert evidence["value"] > evidence["upper"] and set(evidence["columns"]) >= {"x", "y"}
    assert run.summary["multivariate"][0]["method"] == "domain_classifier"
    report = json.loads(ctx.blobs.read_bytes(run.json_digest or ""))
    roles = {c["column"]: c.get("role") for c in report["drift"]["whole"]["columns"]}
    assert roles.get("score") == "prediction" and "request_id" not in roles


def test_no_alert_when_the_joint_distribution_holds(ctx: ServiceContext, tmp_path: Path) -> None:
    save_profile(ctx, profile_from(correlated(4000, 1.0, seed=0), sample_size=1000), "ref")
    result = run_monitor(ctx, _monitor(ctx, tmp_path, sign=1.0))
    assert result.run.status == "ok" and not result.opened
    assert result.run.summary["multivariate"][0]["drifted"] is False


def test_multivariate_settings_are_checked_at_create(ctx: ServiceContext, tmp_path: Path) -> None:
    save_profile(ctx, profile_from(correlated(500, 1.0, seed=0), sample_size=0), "bare")
    save_profile(ctx, profile_from(correlated(500, 1.0, seed=0)), "ref")
    target = str(tmp_path / "now.csv")
    with pytest.raises(InvalidArgumentError, match=r"built without a sample.*--sample-size"):
        create_monitor(ctx, "m", target, "bare", multivariate=["domain_classifier"])
    with pytest.raises(InvalidArgumentError, match="Unknown multivariate method 'umap'"):
        create_monitor(ctx, "m", target, "ref", multivariate=["umap"])
    with pytest.raises(InvalidArgumentError, match="needs multivariate methods"):
        create_monitor(ctx, "m", target, "ref", checks=["multivariate_drift"])
    with pytest.raises(InvalidArgumentError, match="identifiers and predictions"):
        create_monitor(ctx, "m", target, "ref", identifier_columns=["a"], prediction_columns=["a"])
    with pytest.raises(InvalidArgumentError, match="list of column names"):
        create_monitor(ctx, "m", target, "ref", identifier_columns="request_id")
    for bad in (0, -5, 1.5, True, "30d"):
        with pytest.raises(InvalidArgumentError, match="lookback_s"):
            create_monitor(ctx, "m", target, "ref", lookback_s=bad)  # type: ignore[arg-type]
    made = create_monitor(
        ctx, "m", target, "ref", multivariate=["pca_reconstruction"], lookback_s=None
    )
    assert made.checks[-1] == "multivariate_drift" and made.lookback_s is None
    assert create_monitor(ctx, "d", target, "ref").lookback_s == 30 * 24 * 3600


@pytest.mark.parametrize("size", [-1, 1_000_001, 2.5, True])
def test_sample_sizes_outside_0_to_a_million_are_refused(size: object) -> None:
    with pytest.raises(InvalidArgumentError, match="sample_size"):
        profile_from(correlated(50, 1.0, seed=0), sample_size=size)  # type: ignore[arg-type]


def test_a_dataset_profile_keeps_the_sample_size_asked_for(ctx: ServiceContext) -> None:
    register_table(ctx, "joint", pa.Table.from_pandas(correlated(900, 1.0, seed=0)))
    record = profile_dataset(ctx, "joint@1", "small", sample_size=250)
    assert load_profile(ctx, record.name).sample_rows == 250
    none = profile_dataset(ctx, "joint@1", "none", sample_size=0)
    assert load_profile(ctx, none.name).sample is None
    with pytest.raises(InvalidArgumentError, match="sample_size"):
        profile_dataset(ctx, "joint@1", "huge", sample_size=10**7)


def test_cli_profile_sample_size_and_monitor_settings(cli: Cli, tmp_path: Path) -> None:
    correlated(800, 1.0, seed=0).to_csv(tmp_path / "ref.csv", index=False)
    made = cli("monitor", "profile", "ref", str(tmp_path / "ref.csv"), "--sample-size", "300")
    assert made.exit_code == 0, made.output
    assert "a sample of 300 rows" in made.output
    bare = cli("monitor", "profile", "bare", str(tmp_path / "ref.csv"), "--sample-size", "0")
    assert "no sample" in bare.output
    bad = cli("monitor", "profile", "x", str(tmp_path / "ref.csv"), "--sample-size", "-3")
    assert bad.exit_code != 0 and "sample_size" in bad.output
    target = str(tmp_path / "now.csv")
    refused = cli(
        "monitor", "create", "m", "--target", target, "--profile", "bare",
        "--multivariate", "domain_classifier",
    )  # fmt: skip
    assert refused.exit_code != 0 and "--sample-size" in refused.output
    created = cli(
        "monitor", "create", "m", "--target", target, "--profile", "ref",
        "--multivariate", "domain_classifier", "--id-column", "request_id",
        "--prediction-column", "score", "--lookback", "7d", "--json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    monitor = json.loads(created.output)
    assert monitor["multivariate"] == ["domain_classifier"]
    assert monitor["identifier_columns"] == ["request_id"]
    assert monitor["prediction_columns"] == ["score"]
    assert monitor["lookback_s"] == 7 * 86400
    unlimited = cli(
        "monitor", "create", "u", "--target", target, "--profile", "ref", "--lookback", "none",
        "--json",
    )  # fmt: skip
    assert json.loads(unlimited.output)["lookback_s"] is None
    wrong = cli("monitor", "create", "w", "--target", target, "--profile", "ref",
                "--lookback", "soon")  # fmt: skip
    assert wrong.exit_code != 0 and "--lookback" in wrong.output
    shown = cli("monitor", "show", "m")
    assert "multivariate: domain_classifier" in shown.output
    assert "identifier columns (not tested): request_id" in shown.output


def test_rest_takes_the_sample_size_and_the_monitor_settings(
    remote: str, api: httpx.Client, tmp_path: Path
) -> None:
    bare = mon.build_reference_profile(correlated(600, 1.0, seed=0), "rest-bare", sample_size=0)
    assert bare.sample is None
    kept = mon.build_reference_profile(correlated(600, 1.0, seed=0), "rest-ref", sample_size=200)
    assert mon.get_reference_profile("rest-ref").sample == kept.sample
    # A given profile is built already: no sample size goes with it.
    given = {"name": "p", "profile": kept.to_dict(), "sample_size": 10}
    assert api.post("/profiles", json=given).status_code == 400
    target = str(tmp_path / "now.csv")
    body = {"name": "rest-m", "target": target, "profile": "rest-ref"}
    settings = {
        "multivariate": ["domain_classifier"],
        "identifier_columns": ["request_id"],
        "prediction_columns": ["score"],
        "lookback_s": None,
    }
    created = api.post("/monitors", json={**body, **settings})
    assert created.status_code == 201, created.text
    raw = created.json()
    assert {key: raw[key] for key in settings} == settings
    assert "multivariate_drift" in raw["checks"]
    assert mon.get_monitor("rest-m").lookback_s is None
    refused = api.post(
        "/monitors", json={**body, "name": "rest-2", "profile": "rest-bare", **settings}
    )
    assert refused.status_code == 400 and "--sample-size" in refused.text
    for bad in ({"lookback_s": 0}, {"lookback_s": "30d"}, {"multivariate": ["umap"]}):
        response = api.post("/monitors", json={**body, "name": "rest-3", **bad})
        assert response.status_code in (400, 422), response.text
    mon.delete_monitor("rest-m")


def test_the_new_settings_survive_the_store(empty_url: str) -> None:
    import dataclasses

    from mlsteward.storage import open_store
    from mlsteward.testing.monitoring_conformance import make_monitor

    stores = open_store(empty_url)
    try:
        monitor = dataclasses.replace(
            make_monitor("kept"),
            multivariate=["domain_classifier"],
            identifier_columns=["request_id"],
            prediction_columns=["score"],
            lookback_s=None,
        )
        stores.monitoring.create_monitor(monitor)
        assert stores.monitoring.get_monitor("kept") == monitor
        week = dataclasses.replace(make_monitor("week"), lookback_s=7 * 86_400)
        stores.monitoring.create_monitor(week)
        assert stores.monitoring.get_monitor("week").lookback_s == 7 * 86_400
    finally:
        stores.close()
