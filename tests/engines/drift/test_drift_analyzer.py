"""The analyzer end to end: choices, overrides, chunks in time, and bad input never crashing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.engines.drift import (
    Chunker,
    ColumnConfig,
    ColumnKind,
    DriftAnalyzer,
    detect_drift,
)


@pytest.fixture
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 5_000
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "cat": np.array(list("abcd"), dtype=object)[rng.integers(0, 4, n)],
            "flag": rng.integers(0, 2, n),
            "yesno": np.where(rng.random(n) < 0.4, "yes", "no"),
            "with_nan": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        }
    )


def _current(reference: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    return reference.sample(frac=1.0, random_state=seed, replace=True).reset_index(drop=True)


def test_kinds_and_default_choices_are_stated(reference: pd.DataFrame) -> None:
    result = DriftAnalyzer(reference).compare(_current(reference))
    by_name = {c.column: c for c in result.columns}
    assert by_name["num"].kind == "numeric" and by_name["num"].main_test == "ks"
    assert by_name["cat"].kind == "categorical" and by_name["cat"].main_test == "chi_square"
    assert by_name["flag"].kind == "binary" and by_name["flag"].main_test == "z_test"
    assert by_name["yesno"].kind == "binary"
    for c in result.columns:
        assert c.status == "ok", c.message
        assert c.choice_reason
    assert by_name["with_nan"].missing is not None
    assert by_name["with_nan"].missing.reference_share == pytest.approx(0.1, abs=0.02)


def test_small_expected_counts_switch_chi_square_to_jensen_shannon() -> None:
    ref = pd.DataFrame({"c": ["a"] * 200 + ["b"] * 100 + ["rare"] * 2})
    cur = pd.DataFrame({"c": ["a"] * 100 + ["b"] * 50 + ["rare"] * 1})
    c = DriftAnalyzer(ref).compare(cur).column("c")
    assert c.main_test == "jensen_shannon_categorical"
    assert "expected count" in (c.choice_reason or "")


def test_per_column_override_extra_tests_and_thresholds(reference: pd.DataFrame) -> None:
    analyzer = DriftAnalyzer(
        reference,
        column_config={
            "num": ColumnConfig(tests=("wasserstein", "psi"), thresholds={"wasserstein": 0.5})
        },
        extra_tests=("jensen_shannon",),
        thresholds={"psi": 0.3},
    )
    num = analyzer.compare(_current(reference)).column("num")
    assert num.main_test == "wasserstein"
    assert num.choice_reason == "configured for this column"
    assert [t.test for t in num.tests] == ["wasserstein", "psi", "jensen_shannon"]
    assert num.test("wasserstein").threshold == 0.5
    assert num.test("psi").threshold == 0.3
    assert num.test("jensen_shannon").threshold_source == "default"


def test_unknown_test_name_fails_fast(reference: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="unknown drift test"):
        DriftAnalyzer(reference, extra_tests=("no_such_test",))


def test_bad_input_gives_messages_and_other_columns_are_still_tested(
    reference: pd.DataFrame,
) -> None:
    cur = _current(reference).head(2_000).copy()
    cur = cur.drop(columns=["cat"])
    cur["num"] = cur["num"].astype(object)
    cur.loc[5, "num"] = "not a number"
    cur["with_nan"] = np.nan
    result = DriftAnalyzer(reference).compare(cur)
    by_name = {c.column: c for c in result.columns}
    assert by_name["cat"].status == "error"
    assert "missing from current" in (by_name["cat"].message or "")
    assert by_name["num"].status == "error"
    assert "non-numeric" in (by_name["num"].message or "")
    assert by_name["with_nan"].status == "error"
    assert "missing" in (by_name["with_nan"].message or "")
    assert by_name["with_nan"].drifted  # missing share went from 10% to 100%
    assert by_name["flag"].status == "ok"
    assert result.n_columns_tested == 2
    json.dumps(result.to_dict(), allow_nan=False)


def test_empty_window_constant_and_all_nan_reference() -> None:
    ref = pd.DataFrame(
        {"const": np.ones(100), "empty": np.full(100, np.nan), "x": np.arange(100.0)}
    )
    cur = ref.iloc[:0]
    result = DriftAnalyzer(ref).compare(cur)
    assert all(c.status == "error" for c in result.columns)
    assert "empty window" in (result.column("x").message or "")
    assert not result.drifted
    same = DriftAnalyzer(ref).compare(ref)
    assert same.column("const").status == "ok" and not same.column("const").drifted
    assert same.column("empty").status == "error"
    assert "reference has no" in (same.column("empty").message or "")


def test_new_and_vanished_categories_are_reported() -> None:
    ref = pd.DataFrame({"c": ["a", "b", "c"] * 100})
    cur = pd.DataFrame({"c": ["a", "b", "zzz"] * 100})
    c = DriftAnalyzer(ref).compare(cur).column("c")
    assert c.new_categories == ("zzz",)
    assert c.vanished_categories == ("c",)
    assert c.drifted


def test_type_mismatch_categorical_reference_numeric_current() -> None:
    ref = pd.DataFrame({"code": ["1", "2", "3"] * 50})
    cur = pd.DataFrame({"code": [1.0, 2.0, 3.0] * 50})
    c = DriftAnalyzer(ref).compare(cur).column("code")
    assert c.status == "ok" and not c.drifted


def test_time_chunks_say_when_drift_began() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=4_000)})
    days = pd.date_range("2026-03-01", periods=6, freq="D")
    ts = np.repeat(days, 1_000)
    x = rng.normal(size=6_000)
    x[4_000:] += 1.0  # drift from 5 March
    cur = pd.DataFrame({"ts": ts.astype(str), "x": x}).sample(frac=1.0, random_state=0)
    report = DriftAnalyzer(ref).run(cur, Chunker(period="day", timestamp_column="ts"))
    assert [ch.chunk.key for ch in report.chunks][:2] == ["2026-03-01", "2026-03-02"]
    assert report.drift_began == "2026-03-05T00:00:00"
    assert report.column_drift_began == {"x": "2026-03-05T00:00:00"}
    assert [ch.result.column("x").drifted for ch in report.chunks] == [False] * 4 + [True] * 2


def test_unparsable_timestamps_are_reported_not_fatal() -> None:
    ref = pd.DataFrame({"x": np.arange(100.0)})
    cur = pd.DataFrame(
        {
            "ts": ["2026-01-01 10:00", "garbage", None, "2026-01-01 11:30"] * 25,
            "x": np.arange(100.0),
        }
    )
    report = DriftAnalyzer(ref).run(cur, Chunker(period="hour", timestamp_column="ts"))
    assert len(report.chunks) == 2
    assert any("unparsable" in m for m in report.messages)
    assert any("without a timestamp" in m for m in report.messages)
    missing_ts = DriftAnalyzer(ref).run(cur, Chunker(period="day", timestamp_column="nope"))
    assert missing_ts.chunks == () and any("not found" in m for m in missing_ts.messages)


def test_size_chunks_and_dataset_share(reference: pd.DataFrame) -> None:
    cur = _current(reference)
    cur["num"] = cur["num"] + 3.0
    cur["cat"] = "a"
    report = detect_drift(reference, cur, chunker=Chunker(size=2_000), drift_share=0.4)
    assert [c.chunk.n_rows for c in report.chunks] == [2_000, 2_000, 1_000]
    assert report.chunks[-1].chunk.partial
    assert report.whole.n_drifted >= 2
    assert report.whole.share_drifted == pytest.approx(
        report.whole.n_drifted / report.whole.n_columns_tested
    )
    assert report.whole.drifted
    assert report.first_drifted_chunk == 0
    doc = report.to_dict()
    json.dumps(doc, allow_nan=False)
    assert doc["chunks"][0]["result"]["columns"][0]["tests"][0]["test"] == "ks"


def test_arrow_and_mapping_inputs(reference: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(reference, preserve_index=False)
    a = DriftAnalyzer(table).compare(table)
    assert a.n_columns_tested == 5 and not a.drifted
    m = DriftAnalyzer({"x": np.arange(50.0)}).compare({"x": np.arange(50.0) + 100})
    assert m.column("x").drifted


def test_parquet_file_is_read_one_column_at_a_time(reference: pd.DataFrame, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(reference, preserve_index=False), tmp_path / "r.parquet")
    source = pq.ParquetFile(tmp_path / "r.parquet")
    from_file = DriftAnalyzer(source).compare(source)
    in_memory = DriftAnalyzer(reference).compare(reference)
    assert from_file.to_dict() == in_memory.to_dict()


def test_stream_of_tables_against_a_profile(reference: pd.DataFrame) -> None:
    from mlsteward.engines.drift import build_profile

    profile = build_profile(reference)
    analyzer = DriftAnalyzer(profile)
    chunks = [_current(reference, seed=s).head(1_000) for s in range(3)]
    results = list(analyzer.run_stream(chunks))
    assert [r.chunk.key for r in results] == ["[0:1000]", "[1000:2000]", "[2000:3000]"]
    num = results[0].result.column("num")
    assert num.test("ks").approximate
    assert "profile" in (num.test("ks").note or "")


def test_embedding_column_kind_inferred() -> None:
    rng = np.random.default_rng(4)
    ref = {"emb": rng.normal(size=(500, 6))}
    cur = {"emb": rng.normal(loc=0.5, size=(400, 6))}
    res = DriftAnalyzer(ref, extra_tests=("embedding_classifier",)).compare(cur)
    e = res.column("emb")
    assert e.kind == ColumnKind.EMBEDDING.value
    assert e.main_test == "embedding_mean_shift" and e.drifted
    assert e.test("embedding_classifier").drifted


def test_threads_give_the_same_report(reference: pd.DataFrame) -> None:
    cur = _current(reference)
    options = {"chunker": Chunker(size=1_000), "learn_thresholds": True}
    one = DriftAnalyzer(reference, n_jobs=1, **options).run(cur)  # type: ignore[arg-type]
    two = DriftAnalyzer(reference, n_jobs=2, **options).run(cur)  # type: ignore[arg-type]
    assert one.to_dict() == two.to_dict()
    assert one.learned_thresholds


def test_chunk_results_equal_testing_each_chunk_alone() -> None:
    """The shared sort-and-merge path for chunks gives what testing each chunk alone gives."""
    rng = np.random.default_rng(21)
    ref = pd.DataFrame({"x": rng.normal(size=20_000), "t": rng.integers(0, 50, 20_000) * 1.0})
    x = rng.normal(0.1, 1.0, 9_000)
    x[::97] = np.nan
    cur = pd.DataFrame({"x": x, "t": rng.integers(0, 52, 9_000) * 1.0})
    analyzer = DriftAnalyzer(ref, extra_tests=("wasserstein", "anderson_darling", "psi"))
    report = analyzer.run(cur, Chunker(size=2_000))
    for ch in report.chunks:
        rows = slice(ch.chunk.index * 2_000, ch.chunk.index * 2_000 + ch.chunk.n_rows)
        alone = analyzer.compare(cur.iloc[rows])
        for name in ("x", "t"):
            a, b = ch.result.column(name), alone.column(name)
            for ta, tb in zip(a.tests, b.tests, strict=True):
                assert ta.statistic == pytest.approx(tb.statistic, rel=1e-9, abs=1e-12)
                if tb.p_value is None:
                    assert ta.p_value is None
                else:
                    assert ta.p_value == pytest.approx(tb.p_value, rel=1e-9, abs=1e-12)
            assert a.current == b.current
