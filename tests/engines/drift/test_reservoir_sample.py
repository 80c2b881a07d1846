"""The profile's reservoir sample of reference rows: uniform, seeded, bounded, streamed in
chunks, serialized with the profile, and absent from profiles stored before it existed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.engines.drift import ProfileBuilder, ReferenceProfile, build_profile
from mlsteward.engines.drift.profile import DEFAULT_SAMPLE_SIZE
from mlsteward.engines.drift.row_reservoir import RowReservoir


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.float64),
            "x": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "emb": list(rng.normal(size=(n, 3))),
        }
    )


def _stream_rows(size: int, seed: int, chunks: list[int]) -> np.ndarray:
    """Row numbers a reservoir keeps from a stream cut into ``chunks``."""
    reservoir = RowReservoir(size, seed)
    start = 0
    for n in chunks:
        rows, slots = reservoir.plan(n)
        reservoir.add(slots, {"row": pa.array(start + rows, type=pa.int64())})
        start += n
        assert reservoir.table is None or reservoir.table.num_rows <= size
    assert reservoir.table is not None
    return np.asarray(reservoir.table.column("row").to_numpy())


def test_every_row_is_equally_likely_to_be_kept() -> None:
    n, k, runs = 60, 12, 3000
    counts = np.zeros(n)
    for seed in range(runs):
        kept = _stream_rows(k, seed, [7, 20, 1, 32])
        assert kept.size == k and np.unique(kept).size == k
        counts[kept] += 1
    expected = runs * k / n  # 600 per row; binomial sd about 22
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected * (1 - k / n))
    # Early and late rows alike (no bias toward the first chunk or the last).
    assert abs(counts[:30].mean() - counts[30:].mean()) < 0.05 * expected


def test_the_sample_is_fixed_by_the_seed_and_the_rows() -> None:
    data = _table(20_000)
    one = build_profile(data)
    assert one.sample_rows == DEFAULT_SAMPLE_SIZE
    assert one.sample is not None and one.sample.column_names == ["row", "x", "colour"]
    assert build_profile(data).sample == one.sample
    other = build_profile(data, seed=1)
    assert other.sample is not None and other.sample != one.sample
    # Streamed in chunks (through the builder or build_profile's chunking): the same rows.
    builder = ProfileBuilder()
    for start in range(0, 20_000, 3_000):
        builder.update(data.iloc[start : start + 3_000])
    assert builder.build().sample == one.sample
    assert build_profile(data, chunk_size=1_000).sample == one.sample
    # The values are the reference's own rows (numbers as floats, categories as text).
    rows = one.sample.to_pandas()
    original = data.set_index("row").loc[rows["row"]]
    assert np.array_equal(original["x"].to_numpy(), rows["x"].to_numpy())
    assert list(original["colour"]) == list(rows["colour"])


def test_a_small_reference_is_kept_whole_and_size_zero_keeps_none() -> None:
    small = build_profile(_table(300), sample_size=1_000)
    assert small.sample_rows == 300
    assert sorted(small.sample.to_pandas()["row"]) == list(range(300))  # type: ignore[union-attr]
    none = build_profile(_table(300), sample_size=0)
    assert none.sample is None and none.sample_rows == 0
    assert "sample" not in none.to_dict()


def test_missing_values_stay_missing_in_the_sample() -> None:
    data = pd.DataFrame({"x": [1.0, np.nan, 3.0], "c": ["a", None, "b"]})
    sample = build_profile(data, sample_size=10).sample
    assert sample is not None
    assert sample.column("x").null_count == 1 and sample.column("c").null_count == 1


def test_the_sample_round_trips_through_json_and_old_profiles_still_load() -> None:
    profile = build_profile(_table(8_000), sample_size=500)
    text = json.dumps(profile.to_dict())
    back = ReferenceProfile.from_dict(json.loads(text))
    assert back.sample == profile.sample and back.sample_rows == 500
    # Compact: Parquet in base64, far less than the rows as JSON lists.
    as_lists = json.dumps(profile.sample.to_pydict())  # type: ignore[union-attr]
    assert len(json.dumps(profile.to_dict()["sample"])) < len(as_lists)
    old = profile.to_dict()
    del old["sample"]
    legacy = ReferenceProfile.from_dict(json.loads(json.dumps(old)))
    assert legacy.sample is None and legacy.sample_rows == 0
    broken = {**profile.to_dict(), "sample": {"rows": 1, "parquet": "bm90IHBhcnF1ZXQ="}}
    with pytest.raises(ValueError, match="unreadable profile sample"):
        ReferenceProfile.from_dict(broken)


def test_merged_profiles_sample_both_references_in_proportion() -> None:
    edges = {"x": np.linspace(-5, 15, 41), "row": np.linspace(0, 40_000, 11)}
    a = _table(3_000)
    b = _table(9_000, seed=1).assign(x=lambda d: d["x"] + 10)
    pa_, pb = (build_profile(t, edges=edges, sample_size=1_000) for t in (a, b))
    merged = pa_.merge(pb)
    assert merged.sample_rows == 1_000
    from_b = (merged.sample.column("x").to_numpy() > 5).mean()  # type: ignore[union-attr]
    assert 0.69 < from_b < 0.81  # three quarters of the rows are b's
    assert pa_.merge(build_profile(b, edges=edges, sample_size=0)).sample is None
