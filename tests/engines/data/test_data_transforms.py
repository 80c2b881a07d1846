"""Transform steps: behaviour, replay to the same hash, leak-free fitting, clear errors."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest

from mlsteward.engines.data import (
    FittedStep,
    MissingColumnError,
    Step,
    StepError,
    apply_fitted,
    available_transforms,
    content_hash,
    run_steps,
)


def run(table: pa.Table, name: str, **params) -> pa.Table:
    return run_steps(table, [Step(name, params)])[0]


@pytest.fixture
def people() -> pa.Table:
    return pa.table(
        {
            "id": [1, 2, 2, 3, 4, 5],
            "country": ["USA", " united states ", "U.S.", "France", None, "Narnia"],
            "income": [50.0, None, None, 70.0, float("nan"), 1000.0],
            "size": [1, 2, 2, None, 4, 3],
        }
    )


def test_registered_transforms():
    assert set(available_transforms()) >= {
        "cast", "clip_outliers", "drop_duplicates", "impute", "log_transform", "one_hot",
        "ratio", "rolling_aggregate", "standardize_categories", "target_encode",
        "time_since_last",
    }  # fmt: skip


def test_drop_duplicates(people):
    assert run(people, "drop_duplicates", subset=["id"])["id"].to_pylist() == [1, 2, 3, 4, 5]
    last = run(people, "drop_duplicates", subset=["id"], keep="last")
    assert last["country"].to_pylist()[1] == "U.S."
    assert run(people, "drop_duplicates", subset=["id"], keep="none")["id"].to_pylist() == [
        1, 3, 4, 5,
    ]  # fmt: skip
    assert run(people, "drop_duplicates").num_rows == 6  # whole rows differ


def test_impute_strategies(people):
    mean = run(people, "impute", columns=["income"], strategy="mean")
    assert mean["income"].to_pylist() == [50.0, 373.3333333333333, 373.3333333333333, 70.0,
                                          373.3333333333333, 1000.0]  # fmt: skip
    median = run(people, "impute", columns=["income", "size"], strategy="median")
    assert median["income"].to_pylist()[1] == 70.0 and median["size"].to_pylist()[3] == 2
    mode = run(people, "impute", columns=["size"], strategy="mode")
    assert mode["size"].to_pylist()[3] == 2
    constant = run(people, "impute", columns=["country"], strategy="constant", value="unknown")
    assert constant["country"].to_pylist()[4] == "unknown"


def test_forward_fill_by_time_per_entity_never_from_the_future():
    t = [dt.datetime(2024, 1, d) for d in (3, 1, 2, 1, 4, 2)]
    table = pa.table(
        {"who": ["a", "a", "a", "b", "b", "b"], "t": t, "v": [None, 1.0, None, None, 7.0, None]}
    )
    out = run(table, "impute", columns=["v"], strategy="ffill", time="t", by=["who"])
    # a: day1=1, day2 <- 1, day3 <- 1; b: day1 has no past value, day2 none, day4=7
    assert out["v"].to_pylist() == [1.0, 1.0, 1.0, None, 7.0, None]


def test_standardize_spellings(people):
    mapping = {"USA": "United States", "United States": "United States", "U.S.": "United States"}
    out = run(people, "standardize_categories", column="country", mapping=mapping)
    assert out["country"].to_pylist()[:4] == ["United States"] * 3 + ["France"]
    with pytest.raises(StepError, match="'France', 'Narnia'"):
        run(people, "standardize_categories", column="country", mapping=mapping, unmapped="error")
    nulled = run(
        people, "standardize_categories", column="country", mapping=mapping, unmapped="null"
    )
    assert nulled["country"].to_pylist()[3:] == [None, None, None]


def test_clip_and_cast(people):
    clipped = run(people, "clip_outliers", columns=["income"], method="bounds", upper=100.0)
    assert clipped["income"].to_pylist()[-1] == 100.0
    spread = pa.table({"v": [float(i) for i in range(1, 21)] + [1000.0]})
    clipped, fitted = run_steps(
        spread, [Step("clip_outliers", {"columns": ["v"], "method": "iqr"})]
    )
    low, high = fitted[0].state["bounds"]["v"]
    q1, q3 = np.quantile(spread["v"].to_numpy(), [0.25, 0.75])
    assert (low, high) == pytest.approx((q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)))
    assert clipped["v"].to_pylist()[-1] == high and clipped["v"].to_pylist()[0] == 1.0
    cast = run(people, "cast", types={"size": "float64", "id": "string"})
    assert cast.schema.field("size").type == pa.float64()
    with pytest.raises(StepError, match="column 'country' to int64: value 'USA'"):
        run(people, "cast", types={"country": "int64"})


def test_ratio_and_log(people):
    out = run(people, "ratio", numerator="income", denominator="size", output="per_head")
    assert out["per_head"].to_pylist()[:2] == [50.0, None]
    zero = run(
        pa.table({"a": [1.0], "b": [0]}), "ratio", numerator="a", denominator="b", output="r"
    )
    assert zero["r"].to_pylist() == [None]
    logged = run(people, "log_transform", columns=["income"], suffix="_log")
    assert logged["income_log"].to_pylist()[0] == pytest.approx(np.log1p(50.0))
    with pytest.raises(StepError, match="<= -offset"):
        run(pa.table({"x": [1.0, -3.0]}), "log_transform", columns=["x"])


def test_one_hot_fixes_categories_at_fit_time():
    train = pa.table({"c": ["a", "b", "a", "c", None]})
    out, fitted = run_steps(train, [Step("one_hot", {"column": "c", "max_categories": 2})])
    assert out.column_names == ["c=a", "c=b", "c=__other__"]
    assert out["c=a"].to_pylist() == [1, 0, 1, 0, 0]
    assert out["c=__other__"].to_pylist() == [0, 0, 0, 1, 0]
    test = apply_fitted(pa.table({"c": ["b", "zzz"]}), fitted)
    assert test.column_names == out.column_names
    assert test["c=__other__"].to_pylist() == [0, 1]


def test_target_encoding_is_out_of_fold_and_leak_free():
    rng = np.random.default_rng(0)
    n = 400
    # Each row its own category: any in-sample encoding would copy the target exactly.
    train = pa.table({"cat": [f"c{i}" for i in range(n)], "y": rng.integers(0, 2, n)})
    out, fitted = run_steps(
        train, [Step("target_encode", {"column": "cat", "target": "y", "output": "enc"})]
    )
    encoded = out["enc"].to_numpy()
    y = train["y"].to_numpy()
    assert np.corrcoef(encoded, y)[0, 1] < 0.2  # no row sees its own target
    prior = fitted[0].state["prior"]
    unseen = apply_fitted(pa.table({"cat": ["new"], "y": [1]}), fitted)
    assert unseen["enc"].to_pylist() == [pytest.approx(prior)]


def test_rolling_and_time_since_last_use_only_the_past():
    d = lambda day, hour=0: dt.datetime(2024, 1, day, hour)  # noqa: E731
    table = pa.table(
        {
            "user": ["u", "u", "v", "u", "u", "v"],
            "at": [d(1), d(2), d(1), d(2), d(5), d(3)],
            "spend": [1.0, 2.0, 10.0, 4.0, 8.0, 5.0],
        }
    )
    steps = [
        Step("rolling_aggregate", {"value": "spend", "entity": "user", "time": "at",
                                   "window": "3D", "agg": "sum", "output": "spend_3d"}),
        Step("rolling_aggregate", {"value": "spend", "entity": "user", "time": "at",
                                   "window": 2, "agg": "count", "output": "n_prev"}),
        Step("time_since_last", {"entity": "user", "time": "at", "unit": "D", "output": "gap"}),
    ]  # fmt: skip
    out, _ = run_steps(table, steps)
    # Row 3 (u, day 2) must not see row 1 (same instant) nor anything later.
    assert out["spend_3d"].to_pylist() == [None, 1.0, None, 1.0, 6.0, 10.0]
    assert out["n_prev"].to_pylist() == [0.0, 1.0, 0.0, 2.0, 2.0, 1.0]
    assert out["gap"].to_pylist() == [None, 1.0, None, 1.0, 3.0, 2.0]
    # Changing a future value never changes a past feature.
    later = table.set_column(2, "spend", pa.array([1.0, 2.0, 10.0, 4.0, 999.0, 5.0]))
    again, _ = run_steps(later, steps)
    assert again["spend_3d"].to_pylist()[:4] == out["spend_3d"].to_pylist()[:4]


def test_replaying_recorded_steps_reproduces_the_hash(people):
    steps = [
        Step("drop_duplicates", {"subset": ["id"]}),
        Step("impute", {"columns": ["income"], "strategy": "median"}),
        Step("standardize_categories", {"column": "country", "mapping": {"U.S.": "USA"}}),
        Step("one_hot", {"column": "country"}),
        Step("log_transform", {"columns": ["income"]}),
    ]
    first, fitted = run_steps(people, steps)
    recorded = json.loads(json.dumps([f.to_dict() for f in fitted]))
    replayed_steps = [FittedStep.from_dict(item).step for item in recorded]
    second, _ = run_steps(people, replayed_steps)
    assert content_hash(second) == content_hash(first)
    assert content_hash(apply_fitted(people, [FittedStep.from_dict(i) for i in recorded])) == (
        content_hash(first)
    )


def test_missing_column_and_bad_parameters_are_named(people):
    with pytest.raises(MissingColumnError) as caught:
        run_steps(people, [Step("drop_duplicates", {}), Step("impute", {"columns": ["salary"]})])
    assert "step 2 (impute)" in str(caught.value) and "'salary'" in str(caught.value)
    with pytest.raises(StepError, match="unknown step 'explode'"):
        run(people, "explode")
    with pytest.raises(StepError, match="unknown parameter"):
        run(people, "impute", columns=["income"], stratgy="mean")
    with pytest.raises(StepError, match="JSON"):
        Step("impute", {"columns": {"a", "b"}})


def test_target_encoding_handles_missing_categories():
    train = pa.table({"c": ["a", None, "a", None, "b"] * 4, "y": [1, 0, 1, 0, 1] * 4})
    _, fitted = run_steps(train, [Step("target_encode", {"column": "c", "target": "y"})])
    encoding = dict((k, v) for k, v in fitted[0].state["encoding"])
    assert encoding[None] < fitted[0].state["prior"] < encoding["a"]
    applied = apply_fitted(pa.table({"c": [None, "a", "zzz"], "y": [0, 0, 0]}), fitted)
    assert applied["c"].to_pylist()[:2] == [encoding[None], encoding["a"]]
