"""Leak-free, reproducible splits: hold-out (train/validation/test), k-fold, and by time.

Every function returns row indices (sorted NumPy int64 arrays) into the table, never copies,
and takes a ``seed``: the same table, arguments and seed always give the same split.

* ``stratify``: each split keeps the class proportions of that column (missing is a class).
* ``group``: all rows of a group (a patient, a user, a session) land in the same split, so
  nothing about a group is both trained on and evaluated.
* :func:`time_split`: everything in training is strictly before every evaluation row; rows
  at the same instant are never separated.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from mlsteward.engines.data.errors import SplitError, require_columns

DEFAULT_FRACTIONS = {"train": 0.7, "validation": 0.15, "test": 0.15}
Indices = np.ndarray


def _codes(table: pa.Table, column: str) -> np.ndarray:
    """Integer codes of a column's values (missing is its own code), stable for a table."""
    encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
    return pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)


def _check_fractions(fractions: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    names = list(fractions)
    values = np.array([float(fractions[n]) for n in names])
    if not names or (values <= 0).any() or abs(values.sum() - 1.0) > 1e-9:
        raise SplitError(f"fractions must be positive and sum to 1, got {dict(fractions)}")
    return names, values


def _allocate(total: int, fractions: np.ndarray) -> np.ndarray:
    """Split ``total`` items into counts proportional to ``fractions`` (largest remainder)."""
    exact = fractions * total
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _assign_groups(
    sizes: np.ndarray, fractions: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Split label per group: groups in random order fill the splits' row quotas in turn."""
    order = rng.permutation(len(sizes))
    bounds = np.cumsum(fractions) * sizes.sum()
    middle = np.cumsum(sizes[order]) - sizes[order] / 2.0
    labels = np.empty(len(sizes), dtype=np.int64)
    labels[order] = np.minimum(np.searchsorted(bounds, middle, side="right"), len(fractions) - 1)
    return labels


def holdout_split(
    table: pa.Table,
    *,
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    stratify: str | None = None,
    group: str | None = None,
) -> dict[str, Indices]:
    """Random split into named parts of the given row fractions.

    With ``group`` whole groups are assigned (fractions hold approximately, by rows); with
    ``group`` and ``stratify`` together, groups are stratified by their most common class.
    """
    require_columns([c for c in (stratify, group) if c], table.column_names, where="split")
    names, shares = _check_fractions(fractions)
    rng = np.random.default_rng(seed)
    n = table.num_rows
    labels = np.empty(n, dtype=np.int64)
    if group is not None:
        group_codes = _codes(table, group)
        _, group_index, sizes = np.unique(group_codes, return_inverse=True, return_counts=True)
        if len(sizes) < len(names):
            raise SplitError(f"{len(sizes)} groups cannot fill {len(names)} splits")
        group_labels = np.empty(len(sizes), dtype=np.int64)
        if stratify is None:
            group_labels = _assign_groups(sizes, shares, rng)
        else:
            classes = _codes(table, stratify)
            majority = _group_majority(group_index, classes, len(sizes))
            for value in np.unique(majority):
                members = np.flatnonzero(majority == value)
                group_labels[members] = _assign_groups(sizes[members], shares, rng)
        labels = group_labels[group_index]
    elif stratify is not None:
        classes = _codes(table, stratify)
        for value in np.unique(classes):
            members = np.flatnonzero(classes == value)
            shuffled = members[rng.permutation(len(members))]
            labels[shuffled] = np.repeat(np.arange(len(names)), _allocate(len(members), shares))
    else:
        labels[rng.permutation(n)] = np.repeat(np.arange(len(names)), _allocate(n, shares))
    return {name: np.flatnonzero(labels == i) for i, name in enumerate(names)}


def _group_majority(group_index: np.ndarray, classes: np.ndarray, groups: int) -> np.ndarray:
    """Most common class code per group (ties: smallest code)."""
    _, class_index = np.unique(classes, return_inverse=True)
    counts = np.zeros((groups, class_index.max() + 1), dtype=np.int64)
    np.add.at(counts, (group_index, class_index), 1)
    return counts.argmax(axis=1)


def kfold(
    table: pa.Table,
    *,
    k: int = 5,
    seed: int = 0,
    stratify: str | None = None,
    group: str | None = None,
) -> list[tuple[Indices, Indices]]:
    """``k`` (train, held-out) index pairs; every row is held out exactly once."""
    require_columns([c for c in (stratify, group) if c], table.column_names, where="kfold")
    if k < 2:
        raise SplitError("k must be at least 2")
    rows = np.zeros(table.num_rows)
    y = _codes(table, stratify) if stratify else None
    groups = _codes(table, group) if group else None
    splitter: Any
    if groups is not None and y is not None:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    elif groups is not None:
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    elif y is not None:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    try:
        folds = list(splitter.split(rows, y, groups))
    except ValueError as exc:
        raise SplitError(f"cannot make {k} folds: {exc}") from None
    return [(np.sort(train), np.sort(held_out)) for train, held_out in folds]


def _ticks(table: pa.Table, time: str) -> np.ndarray:
    column = table.column(time)
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("us"))
    if not (pa.types.is_timestamp(column.type) or pa.types.is_integer(column.type)):
        raise SplitError(f"time column {time!r} is {column.type}, not a timestamp")
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us")).cast(pa.int64())
    return column.to_numpy(zero_copy_only=False)


def _tick(value: Any) -> int:
    if isinstance(value, int | np.integer):
        return int(value)
    stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(stamp, dt.date) and not isinstance(stamp, dt.datetime):
        stamp = dt.datetime(stamp.year, stamp.month, stamp.day)
    return int(pa.scalar(stamp).cast(pa.timestamp("us")).cast(pa.int64()).as_py())


def time_split(
    table: pa.Table,
    *,
    time: str,
    cutoffs: Sequence[Any] | None = None,
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
) -> dict[str, Indices]:
    """Split by time: part i holds rows with ``cutoffs[i-1] <= time < cutoffs[i]``.

    Without ``cutoffs`` they are chosen so parts hold about ``fractions`` of the rows,
    moved so no instant is split. Rows with a missing time are left out of every part.
    """
    require_columns([time], table.column_names, where="time_split")
    names = list(fractions)
    ticks = _ticks(table, time)
    valid = ~np.isnan(ticks) if ticks.dtype.kind == "f" else np.ones(len(ticks), dtype=bool)
    known = ticks[valid].astype(np.int64)
    if cutoffs is None:
        names, shares = _check_fractions(fractions)
        ordered = np.sort(known)
        positions = np.cumsum(_allocate(len(ordered), shares))[:-1]
        bounds = [int(ordered[p]) if p < len(ordered) else int(ordered[-1]) + 1 for p in positions]
    else:
        bounds = [_tick(c) for c in cutoffs]
        if len(bounds) != len(names) - 1:
            raise SplitError(f"{len(names)} parts need {len(names) - 1} cutoffs, got {len(bounds)}")
    if any(b2 < b1 for b1, b2 in itertools.pairwise(bounds)):
        raise SplitError("cutoffs must be in increasing order")
    part = np.full(len(ticks), -1)
    part[valid] = np.searchsorted(np.asarray(bounds, dtype=np.int64), known, side="right")
    return {name: np.flatnonzero(part == i) for i, name in enumerate(names)}


def time_folds(table: pa.Table, *, time: str, k: int = 5) -> list[tuple[Indices, Indices]]:
    """Expanding-window folds: fold i trains on the first i+1 of k+1 time blocks and holds
    out block i+2 — always evaluating on the future of its training rows."""
    if k < 1:
        raise SplitError("k must be at least 1")
    parts = time_split(table, time=time, fractions={str(i): 1 / (k + 1) for i in range(k + 1)})
    blocks = [parts[str(i)] for i in range(k + 1)]
    return [(np.sort(np.concatenate(blocks[: i + 1])), blocks[i + 1]) for i in range(k)]


def take_split(table: pa.Table, indices: Indices) -> pa.Table:
    """The rows of ``table`` at ``indices``, in table order."""
    return table.take(pa.array(indices, type=pa.int64()))
