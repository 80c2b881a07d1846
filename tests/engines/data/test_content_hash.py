"""The content hash depends on the logical table only: not on format, layout or batching."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.engines.data import (
    DataError,
    TableHasher,
    canonicalize_table,
    content_hash,
    read_and_hash,
    read_csv,
    read_jsonl,
    read_parquet,
)


def test_same_content_from_csv_parquet_and_jsonl_hashes_alike(tmp_path, mixed_frame):
    csv_path, parquet_path, jsonl_path = (tmp_path / f"t.{ext}" for ext in ("csv", "pq", "jsonl"))
    mixed_frame.to_csv(csv_path, index=False)
    mixed_frame.to_parquet(parquet_path, index=False)
    frame = mixed_frame.copy()
    frame["when"] = frame["when"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame.to_json(jsonl_path, orient="records", lines=True)
    from_csv = read_and_hash(read_csv(csv_path))
    from_parquet = read_and_hash(read_parquet(parquet_path))
    schema = from_csv.table.schema  # JSON has no timestamp type: declare it
    from_jsonl = read_and_hash(read_jsonl(jsonl_path, schema=schema))
    assert from_csv.table.equals(from_parquet.table)
    assert from_csv.content_hash == from_parquet.content_hash == from_jsonl.content_hash


def test_hash_ignores_batch_boundaries():
    rng = np.random.default_rng(1)
    values = rng.normal(size=1000)
    values[::17] = np.nan
    table = pa.table(
        {
            "x": values,
            "s": pa.array([None if i % 11 == 0 else f"v{i % 37}" for i in range(1000)]),
            "l": pa.array([[i, i + 1] if i % 5 else None for i in range(1000)]),
            "st": pa.array([{"a": i, "b": str(i)} for i in range(1000)]),
        }
    )
    whole = content_hash(table)
    for size in (1, 7, 64, 999):
        assert content_hash(table.to_batches(max_chunksize=size)) == whole
    hasher = TableHasher()
    hasher.update(table.slice(0, 300))
    hasher.update(table.slice(300))
    assert hasher.hexdigest() == whole


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (pa.array([1, 2, None], pa.int32()), pa.array([1, 2, None], pa.int64())),
        (pa.array(["a", None, "b"]), pa.array(["a", None, "b"], pa.large_string())),
        (pa.array(["a", "a", "b"]).dictionary_encode(), pa.array(["a", "a", "b"])),
        (pa.array([1.5, None], pa.float32()), pa.array([1.5, float("nan")])),
        (
            pa.array([0, 86_400], pa.timestamp("s")),
            pa.array([0, 86_400_000_000_000], pa.timestamp("ns")),
        ),
        (
            pa.array([0, 3_600_000], pa.timestamp("ms", tz="Europe/Paris")),
            pa.array([0, 3_600_000_000], pa.timestamp("us", tz="UTC")),
        ),
        (pa.array([19_000], pa.date32()), pa.array([19_000 * 86_400_000], pa.date64())),
    ],
)
def test_physical_variants_of_one_type_hash_alike(left, right):
    assert content_hash(pa.table({"c": left})) == content_hash(pa.table({"c": right}))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.rename_columns(["a", "z"]),
        lambda t: t.select(["b", "a"]),
        lambda t: t.take([1, 0, 2]),
        lambda t: t.set_column(0, "a", pa.array([1, 2, 4])),
        lambda t: t.set_column(0, "a", pa.array([1.0, 2.0, 3.0])),
        lambda t: t.set_column(1, "b", pa.array(["x", None, ""])),
        lambda t: t.slice(0, 2),
    ],
)
def test_any_logical_change_changes_the_hash(change):
    table = pa.table({"a": [1, 2, 3], "b": ["x", "", None]})
    assert content_hash(change(table)) != content_hash(table)


def test_nanoseconds_are_not_lost():
    base = pa.array([1_000_000_000], pa.timestamp("ns"))
    moved = pa.array([1_000_000_001], pa.timestamp("ns"))
    assert content_hash(pa.table({"t": base})) != content_hash(pa.table({"t": moved}))


def test_metadata_and_nullability_do_not_matter():
    table = pa.table({"a": [1, 2]})
    annotated = table.replace_schema_metadata({"pandas": "{}"}).cast(
        pa.schema([pa.field("a", pa.int64(), nullable=False)])
    )
    assert content_hash(annotated) == content_hash(table)


def test_schema_change_mid_stream_is_refused():
    hasher = TableHasher()
    hasher.update(pa.record_batch({"a": [1]}))
    with pytest.raises(DataError, match="schema changed"):
        hasher.update(pa.record_batch({"a": ["x"]}))


def test_empty_table_has_a_stable_hash():
    empty = pa.table({"a": pa.array([], pa.int64())})
    assert content_hash(empty) == content_hash(pa.table({"a": pa.array([], pa.int32())}))
    assert content_hash(empty) != content_hash(pa.table({"b": pa.array([], pa.int64())}))


def test_canonical_form_round_trips_through_parquet_with_same_hash(mixed_frame):
    table = pa.Table.from_pandas(mixed_frame, preserve_index=False)
    canonical = canonicalize_table(table)
    buffer = io.BytesIO()
    pq.write_table(canonical, buffer)
    assert content_hash(pq.read_table(io.BytesIO(buffer.getvalue()))) == content_hash(table)


def test_pandas_frames_with_equal_content_hash_alike():
    left = pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).astype("datetime64[ns]")})
    right = pd.DataFrame({"t": [dt.datetime(2024, 1, 1)]}).astype("datetime64[s]")
    assert content_hash(pa.Table.from_pandas(left)) == content_hash(pa.Table.from_pandas(right))
