"""Profiles agree with NumPy/pandas, are JSON-able, and render to a self-contained page."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.engines.data import profile_table, render_html_report


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.normal(10, 3, n)
    x[rng.random(n) < 0.1] = np.nan
    y = 2 * np.nan_to_num(x) + rng.normal(0, 1, n)
    skew = rng.lognormal(0, 1, n)
    skew[:3] = [np.inf, -np.inf, np.inf]
    counts = pa.array(rng.integers(-5, 40, n), mask=rng.random(n) < 0.05)
    words = pa.array(rng.choice(["red", "green", "blue", "a<b>"], n, p=[0.5, 0.3, 0.15, 0.05]))
    return pa.table(
        {
            "x": x,
            "y": y,
            "skew": skew,
            "counts": counts,
            "colour": words,
            "flag": pa.array(rng.random(n) > 0.25),
            "when": pa.array(
                [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=int(m)) for m in range(n)]
            ),
            "constant": np.ones(n),
            "tags": pa.array([[1, 2]] * n),
        }
    )


def variable(profile, name):
    return next(v for v in profile["variables"] if v["name"] == name)


def test_numeric_statistics_match_numpy(table):
    profile = profile_table(table, quantiles=(0.1, 0.5, 0.9), bins=10)
    x = table.column("x").to_numpy()
    present = x[~np.isnan(x)]
    stats = variable(profile, "x")
    assert stats["kind"] == "numeric"
    assert stats["count"] == len(present) and stats["missing"] == len(x) - len(present)
    assert stats["mean"] == pytest.approx(present.mean())
    assert stats["std"] == pytest.approx(present.std(ddof=1))
    assert stats["min"] == present.min() and stats["max"] == present.max()
    for q, value in stats["quantiles"].items():
        assert value == pytest.approx(np.quantile(present, float(q)))
    counts, edges = np.histogram(present, bins=10)
    assert stats["histogram"]["counts"] == counts.tolist()
    assert stats["histogram"]["edges"] == pytest.approx(edges.tolist())
    assert stats["distinct"] == len(np.unique(present))


def test_integers_infinities_and_constants(table):
    profile = profile_table(table)
    counts = variable(profile, "counts")
    values = pd.Series(table.column("counts").to_pylist()).dropna()
    assert counts["missing"] == table.column("counts").null_count
    assert counts["distinct"] == values.nunique()
    assert counts["negative"] == int((values < 0).sum()) and counts["zeros"] == (values == 0).sum()
    skew = variable(profile, "skew")
    assert skew["infinite"] == 3 and skew["max"] < np.inf
    assert skew["distinct"] == len(np.unique(table.column("skew").to_numpy()))
    constant = variable(profile, "constant")
    assert constant["std"] == 0.0 and constant["distinct"] == 1


def test_categorical_boolean_temporal_other(table):
    profile = profile_table(table, top_k=3)
    colour = variable(profile, "colour")
    expected = pd.Series(table.column("colour").to_pylist()).value_counts()
    assert colour["distinct"] == 4
    assert [t["value"] for t in colour["top"]] == expected.index[:3].tolist()
    assert [t["count"] for t in colour["top"]] == expected.iloc[:3].tolist()
    assert colour["length"]["max"] == 5
    flag = variable(profile, "flag")
    assert flag["true"] + flag["false"] == table.num_rows
    when = variable(profile, "when")
    assert when["kind"] == "temporal" and when["min"].startswith("2024-01-01T00:00")
    assert when["distinct"] == table.num_rows
    assert variable(profile, "tags")["kind"] == "other"


def test_correlation_matches_pandas_pairwise(table):
    profile = profile_table(table)
    corr = profile["correlation"]
    numeric = corr["columns"]
    assert numeric == ["x", "y", "skew", "counts", "constant"]
    frame = table.select(numeric).to_pandas().replace([np.inf, -np.inf], np.nan)
    expected = frame.corr()
    for i, a in enumerate(numeric):
        for j, b in enumerate(numeric):
            value = corr["matrix"][i][j]
            if "constant" in (a, b):
                assert value is None
            else:
                assert value == pytest.approx(expected.loc[a, b], abs=1e-9)


def test_profile_is_json_and_thread_count_does_not_change_it(table):
    one = profile_table(table, threads=1)
    two = profile_table(table, threads=2)
    assert json.dumps(one, allow_nan=False) == json.dumps(two, allow_nan=False)


def test_empty_and_all_missing_columns():
    table = pa.table(
        {
            "a": pa.array([None, None], pa.float64()),
            "b": pa.array([None, None], pa.string()),
            "c": pa.array([None, None], pa.null()),
        }
    )
    profile = profile_table(table)
    json.dumps(profile, allow_nan=False)
    assert variable(profile, "a")["mean"] is None and variable(profile, "a")["missing"] == 2
    assert variable(profile, "b")["top"] == []
    empty = profile_table(pa.table({"a": pa.array([], pa.int64())}))
    assert empty["rows"] == 0 and variable(empty, "a")["count"] == 0


def test_html_report_is_self_contained_and_escaped(table):
    html = render_html_report(profile_table(table), title="Sales <2024>")
    assert html.startswith("<!DOCTYPE html>")
    assert "Sales &lt;2024&gt;" in html
    assert "a<b>" not in html and "a&lt;b&gt;" in html
    assert html.count("<svg") >= 8
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    assert external == []
    assert "<script" not in html and "@import" not in html
