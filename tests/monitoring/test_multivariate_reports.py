"""Multivariate drift in reports: a broken correlation that no single column shows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.monitoring import drift_report, profile_from


def _pairs(n: int, correlation: float, seed: int) -> pd.DataFrame:
    """Two standard normal columns with the given correlation (same marginals whatever it is)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = correlation * a + np.sqrt(1.0 - correlation**2) * rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n)})


def test_broken_correlation_is_multivariate_drift_only() -> None:
    reference = _pairs(20_000, 0.9, seed=1)
    # First half as before, second half with the correlation gone: marginals unchanged.
    current = pd.concat([_pairs(4_000, 0.9, seed=2), _pairs(4_000, 0.0, seed=3)])
    report = drift_report(
        reference,
        current.reset_index(drop=True),
        chunk_by=2_000,
        multivariate=["pca_reconstruction", "domain_classifier"],
    )
    assert not report.drifted_columns  # each column alone looks the same
    pca, classifier = report.multivariate
    assert pca.method == "pca_reconstruction" and classifier.method == "domain_classifier"
    assert [c.drifted for c in pca.chunks] == [False, False, True, True]
    assert pca.whole.drifted and pca.reference_scores
    assert classifier.chunks[3].value > classifier.chunks[0].value
    assert classifier.chunks[3].drifted
    doc = json.loads(report.to_json())
    assert [m["method"] for m in doc["multivariate"]] == ["pca_reconstruction", "domain_classifier"]
    html = report.to_html()
    assert "Multivariate drift" in html and "PCA reconstruction error" in html


def test_multivariate_needs_reference_rows_and_known_methods() -> None:
    reference = _pairs(3_000, 0.9, seed=4)
    bare = profile_from(reference, sample_size=0)
    report = drift_report(bare, reference, multivariate=["pca_reconstruction"])
    assert report.multivariate == ()
    assert any("needs the reference table" in m for m in report.drift.messages)
    sampled = drift_report(profile_from(reference), reference, multivariate="pca_reconstruction")
    assert [m.method for m in sampled.multivariate] == ["pca_reconstruction"]
    assert any("reservoir sample of 3,000 reference rows" in m for m in sampled.drift.messages)
    unchunked = drift_report(reference, reference, multivariate="pca_reconstruction")
    assert not unchunked.multivariate[0].whole.drifted
    assert any("without learned bounds" in m for m in unchunked.multivariate[0].messages)
    with pytest.raises(InvalidArgumentError, match="Unknown multivariate"):
        drift_report(reference, reference, multivariate=["umap"])
