"""Class labels compared by value, whatever type they were read as: the one normalizer.

The same class reaches the engine spelled many ways: ``1`` from a Parquet int column, ``1.0``
from a CSV label column with an empty cell, ``True`` from a bool column, ``"1"`` from a CLI
``--class 1`` or a JSON key. Every path that compares labels (realized metrics, CBPE, the late
label join, a monitor's check) goes through :func:`label_value`, so they all agree:

* missing (``None``, NaN, ``pd.NA``) is missing: the row is dropped and counted;
* bools are the whole numbers ``0``/``1`` (``True`` and ``1`` are the same class), and so is
  the text ``"true"``/``"false"`` (any case);
* a whole-number float is that int (``1.0`` is ``1``); a fractional or infinite float is not a
  class label: :class:`LabelValueError` (a probability column named as the label, say);
* text that spells a whole number plainly (``"1"``, ``"-2"``, ``"1.0"``) is that int; other
  text, including ``"01"`` or ``"1e0"``, stays text (surrounding blanks removed).

Numbers sort before text, numbers by value: without named classes a binary task's positive
class (the last) is ``1`` for 0/1 labels and ``True`` for bools.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: A class label after normalizing: a whole number or text.
Label = int | str

#: Codes of rows that are not one of the classes (every class has a code >= 0).
MISSING = -1
UNKNOWN = -2

#: Reasons a row is left out (beside "label/prediction not one of the classes [...]").
MISSING_LABEL = "missing label"
MISSING_PREDICTION = "missing prediction"
MISSING_PROBABILITY = "missing probability"

_WHOLE_TEXT = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.0*)?")
_BOOL_TEXT = {"true": 1, "false": 0}


class LabelValueError(ValueError):
    """A value cannot be a class label (a fractional or infinite number)."""


def label_value(value: object, column: str | None = None) -> Label | None:
    """The canonical class label of one value (None when missing); see the module doc."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return int(bool(value))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isfinite(number) and number == round(number):
            return int(number)
        where = f"the column {column!r}" if column else "the labels"
        raise LabelValueError(
            f"{where} holds {number!r}, which is not a class label: classification labels are "
            "whole numbers, bools or text (is it a probability column?)"
        )
    text = str(value).strip()
    if _WHOLE_TEXT.fullmatch(text):
        return int(text.split(".")[0])
    return _BOOL_TEXT.get(text.lower(), text)


def sort_labels(labels: Iterable[Label]) -> list[Label]:
    """Distinct labels, numbers first by value, then text."""
    return sorted(set(labels), key=_order)


def _order(label: Label) -> tuple[int, int, str]:
    return (1, 0, label) if isinstance(label, str) else (0, label, "")


def label_text(label: Label) -> str:
    """How a label is shown and keyed in JSON: ``1``, ``"yes"``."""
    return str(label)


def class_list(classes: Iterable[object]) -> list[Label]:
    """Named classes normalized, in their order; missing or repeated classes are an error
    (``1`` and ``"1.0"`` are one class)."""
    out: list[Label] = []
    for given in classes:
        value = label_value(given)
        if value is None:
            raise LabelValueError(f"a class cannot be missing, got {given!r}")
        if value in out:
            raise LabelValueError(f"the class {given!r} is given twice (as {value!r})")
        out.append(value)
    return out


def _uniques(values: object) -> tuple[NDArray[np.int64], np.ndarray]:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def distinct_labels(*columns: object, names: Sequence[str | None] = ()) -> list[Label]:
    """The distinct labels of some columns, normalized and sorted."""
    found: set[Label] = set()
    for i, values in enumerate(columns):
        name = names[i] if i < len(names) else None
        _, uniques = _uniques(values)
        for u in uniques:
            value = label_value(u, name)
            if value is not None:
                found.add(value)
    return sort_labels(found)


def label_codes(
    values: object, classes: Sequence[object], column: str | None = None
) -> NDArray[np.int64]:
    """Each row's position in ``classes``; :data:`MISSING` for a missing value and
    :data:`UNKNOWN` for a value that is none of the classes. Both sides are normalized."""
    known = {c: i for i, c in enumerate(class_list(classes))}
    codes, uniques = _uniques(values)
    lookup = np.empty(len(uniques) + 1, dtype=np.int64)
    lookup[-1] = MISSING  # factorize's code for missing values is -1: the last slot
    for i, u in enumerate(uniques):
        value = label_value(u, column)
        lookup[i] = MISSING if value is None else known.get(value, UNKNOWN)
    return lookup[codes]


def label_column(values: pd.Series, column: str | None = None) -> pd.Series:
    """The column with every value normalized (object dtype, None for missing)."""
    codes, uniques = _uniques(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[-1] = None
    for i, u in enumerate(uniques):
        mapped[i] = label_value(u, column)
    return pd.Series(mapped[codes], index=values.index, dtype=object, name=values.name)


def class_of(mapping: Mapping[object, str], cls: object) -> str | None:
    """The value ``mapping`` holds for ``cls`` with keys compared as labels (JSON text keys
    match int classes), None when it has none."""
    wanted = label_value(cls)
    for key, value in mapping.items():
        if label_value(key) == wanted:
            return value
    return None


def count_reasons(
    reasons: Sequence[tuple[str, NDArray[np.bool_]]], rows: slice | NDArray[np.int64] = slice(None)
) -> dict[str, int]:
    """Rows counted under the first reason that applies to them (so counts add up to the
    number of dropped rows), reasons that drop nothing left out."""
    out: dict[str, int] = {}
    taken: NDArray[np.bool_] | None = None
    for reason, mask in reasons:
        part = mask[rows]
        fresh = part if taken is None else part & ~taken
        n = int(np.count_nonzero(fresh))
        if n:
            out[reason] = out.get(reason, 0) + n
        taken = part if taken is None else taken | part
    return out


def dropped_messages(dropped: Mapping[str, int]) -> list[str]:
    """``["12 rows dropped: missing label", ...]``: one message per reason."""
    return [f"{n} row{'s' if n != 1 else ''} dropped: {reason}" for reason, n in dropped.items()]


def not_a_class(what: str, classes: Sequence[Label]) -> str:
    """The reason for rows whose label (or prediction) is none of the classes."""
    return f"{what} not one of the classes [{', '.join(label_text(c) for c in classes)}]"


def infer_classes(task: str, found: Sequence[Label], what: str) -> list[Label]:
    """The classes of a task when none are named, from the distinct labels ``found`` (sorted).

    A binary task that has seen only ``0`` or only ``1`` so far still has 1 as its positive
    class; one with more than two values is an error, not metrics for a guessed positive class.
    """
    if task == "binary" and len(found) < 2 and set(found) <= {0, 1}:
        return [0, 1]
    if task == "binary" and len(found) > 2:
        shown = ", ".join(label_text(c) for c in found[:10]) + (", ..." if len(found) > 10 else "")
        raise LabelValueError(
            f"A binary task has two classes, but {what} have {len(found)}: {shown}. "
            "Give the classes (negative, positive) to score only those."
        )
    return list(found)
