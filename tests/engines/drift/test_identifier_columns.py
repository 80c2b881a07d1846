"""Identifier columns: integer keys are inferred, roles are named, explicit beats inferred."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.engines.drift import (
    Chunker,
    ColumnConfig,
    ColumnKind,
    ColumnRoles,
    DriftAnalyzer,
    Frame,
    build_profile,
)


def _data(rng: np.random.Generator, n: int, first_id: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n),  # ids grow: every window is "new"
            "age": rng.integers(18, 80, n),
            "x": rng.normal(size=n),
        }
    )


def test_a_growing_integer_id_is_not_tested_and_does_not_start_drift() -> None:
    rng = np.random.default_rng(0)
    report = DriftAnalyzer(_data(rng, 5_000), chunker=Chunker(size=500)).run(
        _data(rng, 5_000, first_id=5_000)
    )
    assert [c.column for c in report.whole.columns] == ["age", "x"]
    assert any("'id' not tested" in m and "increasing order" in m for m in report.messages)
    assert report.drift_began is None and not report.whole.drifted


@pytest.mark.parametrize(
    ("values", "identifier"),
    [
        (np.arange(150), True),  # sorted, distinct: a key even in a small table
        (np.arange(150)[::-1].copy(), True),
        (np.arange(50), False),  # too few values to tell
        (np.random.default_rng(1).permutation(np.arange(10**6, 10**6 + 2_000)), True),
        (np.random.default_rng(1).permutation(500), False),  # shuffled, too few
        (np.random.default_rng(1).integers(0, 100, 5_000), False),  # a count
        (np.arange(2_000) * 0.5, False),  # floats are never identifiers
        (np.r_[np.arange(1_999), 5], False),  # one repeat: not a key
    ],
)
def test_integer_keys_are_inferred(values: np.ndarray, identifier: bool) -> None:
    frame = Frame({"v": values})
    kind = frame.infer_kind("v")
    assert (kind is None) is identifier
    if identifier:
        assert "integers" in frame.untested["v"] and "to test it anyway" in frame.untested["v"]
    else:
        assert kind is ColumnKind.NUMERIC


def test_nullable_and_arrow_integer_keys() -> None:
    ids = pd.array(np.r_[np.arange(300), [None]], dtype="Int64")
    assert Frame(pd.DataFrame({"id": ids})).infer_kind("id") is None
    table = pa.table({"id": pa.array(np.arange(300, dtype=np.int32))})
    assert Frame(table).infer_kind("id") is None
    assert Frame({"flag": np.arange(300) % 2 == 0}).infer_kind("flag") is ColumnKind.BINARY


def test_explicit_kind_or_test_beats_inference_and_a_named_identifier_beats_all() -> None:
    rng = np.random.default_rng(2)
    ref, cur = _data(rng, 2_000), _data(rng, 2_000, first_id=2_000)
    kind = DriftAnalyzer(ref, column_config={"id": ColumnConfig(kind=ColumnKind.NUMERIC)})
    assert kind.compare(cur).column("id").drifted
    test = DriftAnalyzer(ref, column_config={"id": ColumnConfig(tests=("wasserstein",))})
    assert test.compare(cur).column("id").main_test == "wasserstein"
    named = DriftAnalyzer(
        ref,
        column_config={"age": ColumnConfig(kind=ColumnKind.NUMERIC)},
        roles=ColumnRoles(identifiers=("age",)),
    )
    assert [c.column for c in named.compare(cur).columns] == ["x"]
    assert any("'age' not tested: named as an identifier" in m for m in named.reference.messages)


def test_timestamp_role_is_untested_when_chunking_by_size() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"t": np.arange(1_000, dtype=float) * 60.0, "x": rng.normal(size=1_000)})
    cur = pd.DataFrame({"t": ref["t"] + 1e6, "x": rng.normal(size=1_000)})
    report = DriftAnalyzer(ref, chunker=Chunker(size=250), roles=ColumnRoles(timestamp="t")).run(
        cur
    )
    assert [c.column for c in report.whole.columns] == ["x"]
    assert any("'t' not tested: it is the timestamp column" in m for m in report.messages)
    assert report.settings["roles"]["timestamp"] == "t"


def test_prediction_columns_are_tested_and_marked() -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"score": rng.uniform(size=2_000), "x": rng.normal(size=2_000)})
    cur = pd.DataFrame({"score": rng.uniform(size=1_000) ** 2, "x": rng.normal(size=1_000)})
    report = DriftAnalyzer(
        ref, chunker=Chunker(size=500), roles=ColumnRoles(predictions=("score",))
    ).run(cur)
    score = report.whole.column("score")
    assert score.role == "prediction" and score.drifted
    assert report.whole.column("x").role is None
    assert all(ch.result.column("score").role == "prediction" for ch in report.chunks)
    assert report.to_dict()["whole"]["columns"][0]["role"] == "prediction"


def test_roles_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="both as identifier and as prediction"):
        ColumnRoles(identifiers=("a",), predictions=("a",))
    assert ColumnRoles.of("id", None, ["p", "p"]) == ColumnRoles(("id",), None, ("p",))


def test_profiles_leave_integer_keys_out_and_named_roles_apply_to_old_profiles() -> None:
    rng = np.random.default_rng(5)
    ref, cur = _data(rng, 3_000), _data(rng, 1_000, first_id=3_000)
    profile = build_profile(ref, chunk_size=1_000)
    assert "id" not in profile.columns
    assert any("'id' not tested" in m for m in profile.messages)
    # a profile that has the column anyway (made with its kind fixed, or before this rule)
    old = build_profile(ref, kinds={"id": ColumnKind.NUMERIC})
    assert "id" in old.columns
    named = DriftAnalyzer(old, roles=ColumnRoles(identifiers=("id",))).compare(cur)
    assert [c.column for c in named.columns] == ["age", "x"]
