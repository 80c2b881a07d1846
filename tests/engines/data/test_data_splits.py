"""Splits are reproducible, cover every row once, and never leak groups or the future."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from mlsteward.engines.data import (
    MissingColumnError,
    SplitError,
    holdout_split,
    kfold,
    take_split,
    time_folds,
    time_split,
)


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(11)
    n = 3000
    patients = rng.integers(0, 300, n)
    label = np.where(rng.random(n) < 0.1, "rare", "common")
    start = dt.datetime(2024, 1, 1)
    return pa.table(
        {
            "patient": patients,
            "label": label,
            "at": pa.array([start + dt.timedelta(hours=int(h)) for h in rng.integers(0, 2000, n)]),
            "x": rng.normal(size=n),
        }
    )


def assert_partition(parts, n):
    joined = np.concatenate(list(parts))
    assert len(joined) == n and len(np.unique(joined)) == n


def test_holdout_is_seeded_and_covers_every_row(table):
    first = holdout_split(table, seed=1)
    assert first.keys() == {"train", "validation", "test"}
    assert_partition(first.values(), table.num_rows)
    assert [len(v) for v in first.values()] == [2100, 450, 450]
    again = holdout_split(table, seed=1)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    other = holdout_split(table, seed=2)
    assert not np.array_equal(first["test"], other["test"])


def test_stratified_holdout_keeps_class_shares(table):
    parts = holdout_split(table, stratify="label", seed=0)
    labels = np.array(table["label"].to_pylist())
    overall = (labels == "rare").mean()
    for indices in parts.values():
        assert (labels[indices] == "rare").mean() == pytest.approx(overall, abs=0.005)


@pytest.mark.parametrize("stratify", [None, "label"])
def test_group_holdout_never_shares_a_group(table, stratify):
    parts = holdout_split(table, group="patient", stratify=stratify, seed=3)
    assert_partition(parts.values(), table.num_rows)
    patients = table["patient"].to_numpy()
    groups = [set(patients[idx]) for idx in parts.values()]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    assert len(parts["train"]) / table.num_rows == pytest.approx(0.7, abs=0.05)


@pytest.mark.parametrize(("stratify", "group"), [(None, None), ("label", None), (None, "patient"),
                                                 ("label", "patient")])  # fmt: skip
def test_kfold_holds_each_row_out_once(table, stratify, group):
    folds = kfold(table, k=5, seed=0, stratify=stratify, group=group)
    assert_partition([held for _, held in folds], table.num_rows)
    patients = table["patient"].to_numpy()
    for train, held in folds:
        assert len(np.intersect1d(train, held)) == 0
        assert len(train) + len(held) == table.num_rows
        if group:
            assert not set(patients[train]) & set(patients[held])
    again = kfold(table, k=5, seed=0, stratify=stratify, group=group)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_time_split_puts_nothing_after_the_cutoff_in_training(table):
    parts = time_split(table, time="at", cutoffs=["2024-02-01", "2024-02-20"])
    times = np.array(table["at"].to_pylist())
    assert times[parts["train"]].max() < dt.datetime(2024, 2, 1)
    assert times[parts["validation"]].min() >= dt.datetime(2024, 2, 1)
    assert times[parts["test"]].min() >= dt.datetime(2024, 2, 20)
    by_share = time_split(table, time="at")
    assert times[by_share["train"]].max() < times[by_share["validation"]].min()
    assert times[by_share["validation"]].max() < times[by_share["test"]].min()
    assert_partition(by_share.values(), table.num_rows)


def test_time_folds_always_evaluate_on_the_future(table):
    times = table["at"].cast(pa.int64()).to_numpy()
    for train, held in time_folds(table, time="at", k=4):
        assert times[train].max() < times[held].min()


def test_take_split_and_errors(table):
    parts = holdout_split(table, fractions={"a": 0.5, "b": 0.5})
    assert take_split(table, parts["a"]).num_rows == 1500
    with pytest.raises(SplitError, match="sum to 1"):
        holdout_split(table, fractions={"a": 0.5, "b": 0.6})
    with pytest.raises(MissingColumnError, match="'clinic'"):
        holdout_split(table, group="clinic")
    with pytest.raises(SplitError, match="cutoffs"):
        time_split(table, time="at", cutoffs=["2024-03-01", "2024-02-01"])
