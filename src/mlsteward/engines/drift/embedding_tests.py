"""Drift tests for embedding columns (one fixed-length vector per row).

Two views: how far the centre of the cloud moved (cheap, works from a profile's mean and
variance), and whether a classifier can tell the clouds apart (sees changes of shape too, needs
vectors: it uses the profile's reservoir subsample when the raw reference is gone).
"""

from __future__ import annotations

import math

import numpy as np

from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.domain_classifier import domain_classifier_auc
from mlsteward.engines.drift.spec import (
    ColumnKind,
    DriftTest,
    DriftTestSpec,
    NotApplicableError,
    TestOutcome,
    ThresholdKind,
)

EMBEDDING = frozenset({ColumnKind.EMBEDDING})


def mean_shift(pair: ColumnPair) -> TestOutcome:
    """Distance between the mean vectors in units of the reference's total spread.

    ``||mu_cur - mu_ref||^2 / trace(Sigma_ref)`` has expectation ``1/n_ref + 1/n_cur`` when
    nothing moved; that sampling bias is subtracted before the square root, so an unchanged
    column scores about 0 at any sample size.
    """
    ref, cur = pair.embeddings()
    spread = float(ref.var.sum())
    delta = cur.mean - ref.mean
    raw = float(np.dot(delta, delta))
    if spread <= 0:
        return TestOutcome(0.0 if raw == 0 else math.inf, None, False, "constant reference vectors")
    corrected = max(raw / spread - (1.0 / ref.n + 1.0 / cur.n), 0.0)
    details = {"mean_distance": math.sqrt(raw), "reference_spread": math.sqrt(spread)}
    return TestOutcome(math.sqrt(corrected), None, False, None, details)


def classifier(pair: ColumnPair) -> TestOutcome:
    """Out-of-fold ROC AUC of a logistic regression separating reference from current vectors."""
    ref, cur = pair.embeddings()
    if ref.vectors is None or cur.vectors is None:
        raise NotApplicableError("domain classifier needs vectors on both sides")
    if ref.vectors.shape[0] < 10 or cur.vectors.shape[0] < 10:
        raise NotApplicableError("domain classifier needs at least 10 vectors per side")
    res = domain_classifier_auc(ref.vectors, cur.vectors, model="linear")
    approximate = not (ref.is_raw and cur.is_raw)
    note = "reference vectors from the profile's reservoir subsample" if approximate else None
    details = {"n_reference": res.n_reference, "n_current": res.n_current}
    return TestOutcome(res.auc, res.p_value, approximate, note, details)


EMBEDDING_MEAN_SHIFT = DriftTest(
    DriftTestSpec(
        "embedding_mean_shift",
        EMBEDDING,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Bias-corrected distance between mean vectors over the reference's total spread.",
    ),
    mean_shift,
)
EMBEDDING_CLASSIFIER = DriftTest(
    DriftTestSpec(
        "embedding_classifier",
        EMBEDDING,
        0.55,
        ThresholdKind.DISTANCE,
        True,
        "Out-of-fold ROC AUC of a linear classifier telling reference from current vectors.",
    ),
    classifier,
)

EMBEDDING_TESTS: tuple[DriftTest, ...] = (EMBEDDING_MEAN_SHIFT, EMBEDDING_CLASSIFIER)
