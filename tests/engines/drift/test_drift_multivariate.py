"""Multivariate drift: a change of correlation that no single column shows is caught."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mlsteward.engines.drift import (
    Chunker,
    DriftAnalyzer,
    PCAReconstructionDrift,
    domain_classifier_drift,
)


def _correlated(rng: np.random.Generator, n: int, rho: float) -> pd.DataFrame:
    cov = np.array([[1.0, rho, rho], [rho, 1.0, rho], [rho, rho, 1.0]])
    x = rng.multivariate_normal(np.zeros(3), cov, size=n)
    cats = np.array(list("pqr"), dtype=object)[rng.integers(0, 3, n)]
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "k": cats})


def test_pca_reconstruction_catches_a_correlation_break_per_chunk() -> None:
    rng = np.random.default_rng(0)
    ref = _correlated(rng, 40_000, 0.9)
    cur = pd.concat([_correlated(rng, 20_000, 0.9), _correlated(rng, 20_000, 0.0)])
    cur = cur.reset_index(drop=True)
    univariate = DriftAnalyzer(ref).compare(cur.iloc[20_000:])
    assert not any(univariate.column(c).drifted for c in "abc"), "marginals are unchanged"
    pca = PCAReconstructionDrift(ref, chunker=Chunker(size=5_000))
    assert len(pca.reference_scores) == 8
    result = pca.run(cur)
    flags = [c.drifted for c in result.chunks]
    assert flags == [False] * 4 + [True] * 4
    assert result.whole.value > pca.reference_scores[0]
    json.dumps(result.to_dict(), allow_nan=False)


def test_domain_classifier_auc_near_half_without_drift_and_high_with_it() -> None:
    rng = np.random.default_rng(1)
    ref = _correlated(rng, 6_000, 0.9)
    same = domain_classifier_drift(ref, _correlated(rng, 6_000, 0.9), max_rows=2_000)
    moved = domain_classifier_drift(ref, _correlated(rng, 6_000, 0.0), max_rows=2_000)
    assert abs(same.whole.value - 0.5) < 0.04 and not same.whole.drifted
    assert moved.whole.value > 0.6 and moved.whole.drifted
    assert moved.whole.p_value is not None and moved.whole.p_value < 1e-6
