"""Inter-annotator agreement: Cohen's kappa for two annotators, Fleiss' kappa for more.

Kappa compares observed agreement with the agreement expected by chance from how often each
label is used: 1 is perfect agreement, 0 is chance level, negative is worse than chance.
Items a pair did not both label are skipped (Cohen); Fleiss needs the same number of labels
per item (items with fewer are skipped and counted in the summary).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from mlsteward.engines.data.errors import DataError


def _index(labels: Iterable[Hashable]) -> dict[Hashable, int]:
    return {label: i for i, label in enumerate(sorted(set(labels), key=repr))}


def cohen_kappa(
    first: Sequence[Hashable | None],
    second: Sequence[Hashable | None],
    *,
    weights: str | None = None,
) -> float:
    """Cohen's kappa of two annotators' labels for the same items (None: not labelled).

    ``weights`` ``"linear"`` or ``"quadratic"`` give partial credit for near misses on
    ordered labels (sorted order); None treats every disagreement alike.
    """
    if len(first) != len(second):
        raise DataError(f"label lists differ in length: {len(first)} and {len(second)}")
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    if not pairs:
        raise DataError("no item was labelled by both annotators")
    index = _index([a for a, _ in pairs] + [b for _, b in pairs])
    k = len(index)
    if k == 1:
        return 1.0
    observed = np.zeros((k, k))
    for a, b in pairs:
        observed[index[a], index[b]] += 1
    observed /= len(pairs)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    grid = np.abs(np.subtract.outer(np.arange(k), np.arange(k))).astype(float)
    if weights is None:
        penalty = (grid > 0).astype(float)
    elif weights == "linear":
        penalty = grid / (k - 1)
    elif weights == "quadratic":
        penalty = (grid / (k - 1)) ** 2
    else:
        raise DataError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    chance = float((penalty * expected).sum())
    if chance == 0.0:
        return 1.0
    return 1.0 - float((penalty * observed).sum()) / chance


def fleiss_kappa(counts: np.ndarray | Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from an items x categories matrix of how many annotators chose each.

    Every row must sum to the same number of annotators (at least 2).
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise DataError("counts must be a non-empty items x categories matrix")
    raters = table.sum(axis=1)
    if not np.allclose(raters, raters[0]) or raters[0] < 2:
        raise DataError("every item needs the same number (>= 2) of labels for Fleiss' kappa")
    n = raters[0]
    per_item = ((table * table).sum(axis=1) - n) / (n * (n - 1))
    observed = float(per_item.mean())
    shares = table.sum(axis=0) / table.sum()
    chance = float((shares * shares).sum())
    if chance == 1.0:
        return 1.0
    return (observed - chance) / (1.0 - chance)


def agreement_summary(annotations: Iterable[tuple[Hashable, str, Hashable]]) -> dict[str, Any]:
    """Agreement statistics from (item, annotator, label) triples (a labelling queue's export).

    Returns raw agreement, Cohen's kappa for every annotator pair with shared items, their
    mean, and Fleiss' kappa over items with the most common number of labels (when there
    are at least three annotators).
    """
    by_item: dict[Hashable, dict[str, Hashable]] = defaultdict(dict)
    for item, annotator, label in annotations:
        by_item[item][annotator] = label
    annotators = sorted({a for labels in by_item.values() for a in labels})
    pairwise = []
    for a, b in combinations(annotators, 2):
        shared = [labels for labels in by_item.values() if a in labels and b in labels]
        if shared:
            kappa = cohen_kappa([s[a] for s in shared], [s[b] for s in shared])
            pairwise.append({"annotators": [a, b], "items": len(shared), "cohen_kappa": kappa})
    multi = [labels for labels in by_item.values() if len(labels) >= 2]
    agreeing = sum(1 for labels in multi if len(set(labels.values())) == 1)
    summary: dict[str, Any] = {
        "items": len(by_item),
        "annotators": annotators,
        "items_with_several_labels": len(multi),
        "raw_agreement": agreeing / len(multi) if multi else None,
        "pairwise": pairwise,
        "mean_cohen_kappa": (
            float(np.mean([p["cohen_kappa"] for p in pairwise])) if pairwise else None
        ),
        "fleiss_kappa": None,
        "fleiss_items": 0,
    }
    if len(annotators) >= 3 and multi:
        sizes = [len(labels) for labels in multi]
        common = max(set(sizes), key=lambda s: (sizes.count(s), s))
        chosen = [labels for labels in multi if len(labels) == common]
        index = _index(label for labels in chosen for label in labels.values())
        counts = np.zeros((len(chosen), len(index)))
        for row, labels in enumerate(chosen):
            for label in labels.values():
                counts[row, index[label]] += 1
        summary["fleiss_kappa"] = fleiss_kappa(counts)
        summary["fleiss_items"] = len(chosen)
    return summary
