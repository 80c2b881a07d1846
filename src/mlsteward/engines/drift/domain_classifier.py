"""Domain classifier: can a model tell reference rows from current rows?

If the two samples come from one distribution no classifier beats chance, so the
cross-validated ROC AUC stays near 0.5. An AUC well above 0.5 is evidence of drift in the joint
distribution, including changes no single column shows. Predictions are out of fold (each row is
scored by a model that never saw it), so the AUC is not inflated by overfitting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats


@dataclass(frozen=True)
class DomainClassifierResult:
    """Out-of-fold ROC AUC of reference-vs-current, with a p-value against AUC = 0.5."""

    auc: float
    p_value: float
    n_reference: int
    n_current: int


def auc_from_scores(scores: NDArray[np.float64], is_positive: NDArray[np.bool_]) -> float:
    """ROC AUC via the Mann–Whitney rank sum (ties count one half)."""
    n_pos = int(is_positive.sum())
    n_neg = int(is_positive.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = stats.rankdata(scores)
    return float((ranks[is_positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _subsample(x: NDArray[np.float64], max_rows: int, rng: np.random.Generator) -> NDArray:
    if x.shape[0] <= max_rows:
        return x
    return x[rng.choice(x.shape[0], size=max_rows, replace=False)]


def domain_classifier_auc(
    reference: NDArray[np.float64],
    current: NDArray[np.float64],
    *,
    model: str = "linear",
    max_rows: int = 5_000,
    folds: int = 2,
    seed: int = 0,
) -> DomainClassifierResult:
    """Cross-validated AUC of a classifier separating ``reference`` rows from ``current`` rows.

    ``model`` is ``"linear"`` (standardized logistic regression; suits embeddings) or
    ``"trees"`` (a random forest; sees interactions in mixed tabular data). The forest runs on
    one thread: OpenMP-threaded boosting stalls badly on a busy shared machine.
    Each side is subsampled to ``max_rows`` rows to bound the cost.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    ref = _subsample(np.asarray(reference, dtype=np.float64), max_rows, rng)
    cur = _subsample(np.asarray(current, dtype=np.float64), max_rows, rng)
    if ref.shape[0] < folds or cur.shape[0] < folds:
        raise ValueError("domain classifier needs at least as many rows per side as folds")
    x = np.vstack([ref, cur])
    y = np.concatenate([np.zeros(ref.shape[0], dtype=bool), np.ones(cur.shape[0], dtype=bool)])
    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    scores = np.empty(y.size)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        if model == "linear":
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        elif model == "trees":
            clf = RandomForestClassifier(
                n_estimators=60, max_depth=8, min_samples_leaf=20, n_jobs=1, random_state=seed
            )
        else:
            raise ValueError(f"unknown domain classifier model {model!r}")
        clf.fit(x[train], y[train])
        scores[test] = clf.predict_proba(x[test])[:, 1]
    auc = auc_from_scores(scores, y)
    n1, n2 = ref.shape[0], cur.shape[0]
    se = math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))
    p = float(stats.norm.sf((auc - 0.5) / se))
    return DomainClassifierResult(auc, p, n1, n2)
