"""Slices of an evaluation set: one per value of a chosen column (numeric ones in quartiles)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError

#: A numeric column with more distinct values than this is cut into quartiles.
MAX_DISTINCT = 20


def slice_masks(
    frame: pd.DataFrame, columns: Sequence[str]
) -> Iterator[tuple[str, str, np.ndarray]]:
    """Yield ``(column, value label, boolean row mask)`` for each slice, in a stable order."""
    for column in columns:
        if column not in frame.columns:
            raise InvalidArgumentError(
                f"Slice column {column!r} is not in the evaluation data (columns: "
                f"{list(frame.columns)[:20]})"
            )
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique(dropna=True) > MAX_DISTINCT:
            bins: Any = pd.qcut(values, q=4, duplicates="drop")
            groups = bins.astype(str)
        else:
            groups = values.astype(str)
        groups = groups.where(values.notna(), "<missing>")
        for label in sorted(groups.unique()):
            yield column, str(label), (groups == label).to_numpy()
