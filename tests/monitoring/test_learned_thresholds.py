"""Monitors with learned thresholds: what creation demands, and that runs use them.

The reference is a process whose level wanders a little from chunk to chunk (as real data
does); a fixed p-value threshold calls that wander drift on small windows, a threshold learned
from the reference's own chunks does not, yet a real shift is still caught.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    get_monitor,
    list_alerts,
    profile_from,
    run_monitor,
    save_profile,
)

from .conftest import frames

CHUNK = 200
N_CHUNKS = 20


def wandering(n_chunks: int, seed: int, shift: float = 0.0) -> list[pd.DataFrame]:
    """Chunks of two columns whose level moves by N(0, 0.3) per chunk: no drift, only wander."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_chunks):
        level = rng.normal(0.0, 0.3, size=2) + shift
        out.append(pd.DataFrame({f"c{i}": rng.normal(level[i], 1.0, CHUNK) for i in range(2)}))
    return out


@pytest.fixture
def chunked_profile(ctx: ServiceContext) -> str:
    reference = pd.concat(wandering(N_CHUNKS, seed=0), ignore_index=True)
    save_profile(ctx, profile_from(reference, chunk_size=CHUNK), "chunked")
    return "chunked"


def test_learned_thresholds_need_chunking_and_a_chunked_profile(
    ctx: ServiceContext, chunked_profile: str
) -> None:
    save_profile(ctx, profile_from(frames()), "whole")
    with pytest.raises(InvalidArgumentError, match=r"rebuild it with a chunk size.*--chunk-size"):
        create_monitor(
            ctx, "m", "/tmp/x.csv", "whole", chunking={"size": 100}, learn_thresholds=True
        )
    with pytest.raises(InvalidArgumentError, match="needs chunking"):
        create_monitor(ctx, "m", "/tmp/x.csv", chunked_profile, learn_thresholds=True)
    with pytest.raises(InvalidArgumentError, match="true or false"):
        create_monitor(
            ctx,
            "m",
            "/tmp/x.csv",
            chunked_profile,
            chunking={"size": 5},
            learn_thresholds="yes",  # type: ignore[arg-type]
        )
    made = create_monitor(
        ctx, "m", "/tmp/x.csv", chunked_profile, chunking={"size": CHUNK}, learn_thresholds=True
    )
    assert made.learn_thresholds and get_monitor(ctx, "m").learn_thresholds
    assert not create_monitor(ctx, "plain", "/tmp/x.csv", "whole").learn_thresholds


def _breaches_per_run(
    ctx: ServiceContext, name: str, folder: Path, parts: list[pd.DataFrame]
) -> list[int]:
    """Feed one chunk-sized file per run; count the column alerts open after each run (a
    clean run resolves them, so this is the breaches of that run)."""
    counts = []
    for i, part in enumerate(parts):
        part.to_csv(folder / f"batch-{i:02d}.csv", index=False)
        run = run_monitor(ctx, name).run
        assert run.status == "ok" and run.n_rows == CHUNK, run.message
        counts.append(len([a for a in list_alerts(ctx, name, "open") if a.check == "column_drift"]))
    return counts


def test_learned_thresholds_raise_fewer_false_alarms_and_still_catch_a_shift(
    ctx: ServiceContext, chunked_profile: str, tmp_path: Path
) -> None:
    stream = wandering(N_CHUNKS, seed=1)
    counts = {}
    for learn in (False, True):
        name = "learned" if learn else "fixed"
        folder = tmp_path / name
        folder.mkdir()
        create_monitor(
            ctx,
            name,
            str(folder / "batch-*.csv"),
            chunked_profile,
            checks=["column_drift"],
            chunking={"size": CHUNK},
            learn_thresholds=learn,
        )
        counts[name] = sum(_breaches_per_run(ctx, name, folder, stream))
    # 40 column windows without drift: the fixed p-value flags the wander often, the
    # learned bound (mean + 3 sd of out-of-sample reference chunk scores) almost never.
    assert counts["learned"] <= counts["fixed"]
    assert counts["fixed"] >= 10 and counts["learned"] <= 2, counts

    shifted = wandering(1, seed=2, shift=2.0)[0]
    shifted.to_csv(tmp_path / "learned" / "batch-99.csv", index=False)
    assert run_monitor(ctx, "learned").run.drifted
    alerts = {a.column: a for a in list_alerts(ctx, "learned", "open")}
    assert {"c0", "c1"} <= set(alerts)
    assert {alerts[c].evidence["threshold_source"] for c in ("c0", "c1")} == {"learned"}
