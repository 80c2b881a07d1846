"""Agreement statistics against reference values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from mlsteward.engines.data import DataError, agreement_summary, cohen_kappa, fleiss_kappa


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_scikit_learn(weights):
    rng = np.random.default_rng(5)
    first = rng.integers(0, 4, 300)
    second = np.where(rng.random(300) < 0.7, first, rng.integers(0, 4, 300))
    ours = cohen_kappa(first.tolist(), second.tolist(), weights=weights)
    assert ours == pytest.approx(cohen_kappa_score(first, second, weights=weights))


def test_cohen_kappa_edge_cases():
    assert cohen_kappa(["a", "b", None], ["a", "b", "a"]) == 1.0  # unlabelled item skipped
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0
    with pytest.raises(DataError, match="no item"):
        cohen_kappa([None], ["a"])
    with pytest.raises(DataError, match="length"):
        cohen_kappa(["a"], ["a", "b"])


def test_fleiss_kappa_reference_example():
    # The classic example (Fleiss 1971, as reproduced widely): 10 items, 14 raters, 5 classes.
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    assert fleiss_kappa(counts) == pytest.approx(0.210, abs=5e-4)
    with pytest.raises(DataError, match="same number"):
        fleiss_kappa([[1, 1], [2, 1]])


def test_agreement_summary_from_label_records():
    records = []
    truth = ["cat", "dog", "cat", "bird", "dog", "cat"]
    for item, label in enumerate(truth):
        records.append((item, "ann", label))
        records.append((item, "bob", label if item != 2 else "dog"))
        records.append((item, "cyd", label))
    summary = agreement_summary(records)
    assert summary["items"] == 6 and summary["annotators"] == ["ann", "bob", "cyd"]
    assert summary["raw_agreement"] == pytest.approx(5 / 6)
    pair = next(p for p in summary["pairwise"] if p["annotators"] == ["ann", "cyd"])
    assert pair["cohen_kappa"] == 1.0
    assert 0 < summary["fleiss_kappa"] < 1 and summary["fleiss_items"] == 6
