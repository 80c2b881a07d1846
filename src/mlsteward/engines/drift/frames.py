"""Column access over the tabular inputs drift accepts, and column-kind inference.

Accepts a pandas DataFrame, a pyarrow Table, a mapping of column name to array-like (a 2-D
array for an embedding column), or a lazily read column source such as
``pyarrow.parquet.ParquetFile`` (anything with ``read(columns=[...])``, ``schema_arrow`` and
``metadata.num_rows``), read one column at a time. Columns are converted one at a time, so
memory stays near the input's own size (near one column's, for a column source). Conversion
problems (a numeric reference column that holds text in the current window, say) raise
:class:`ColumnTypeError` with a message meant for the report.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.engines.drift.column_roles import ColumnRoles
from mlsteward.engines.drift.samples import FloatArray
from mlsteward.engines.drift.spec import ColumnKind


class ColumnTypeError(ValueError):
    """A column cannot be read as the kind the reference says it is."""


class Frame:
    """Read-only, column-at-a-time view of a table.

    ``roles`` names identifier, timestamp and prediction columns: kind inference leaves the
    first two untested whatever their values.
    """

    def __init__(self, data: object, roles: ColumnRoles | None = None) -> None:
        # Last column read from a column source, per thread (threads test different columns).
        self._cached = threading.local()
        #: Columns kind inference leaves untested, with the reason (for the report).
        self.untested: dict[str, str] = {}
        self.roles = roles or ColumnRoles()
        # A column source (a ParquetFile) is one reader: threads take turns reading from it
        # (Arrow decodes each column with its own threads anyway).
        self._read_lock = threading.Lock()
        if isinstance(data, Frame):
            if roles is None:
                self.roles = data.roles
            self._data: Any = data._data
            self._kind: str = data._kind
            self.n_rows: int = data.n_rows
            self._read_lock = data._read_lock
            return
        if isinstance(data, pd.DataFrame):
            self._kind = "pandas"
            self.n_rows = len(data)
        elif _is_arrow_table(data):
            self._kind = "arrow"
            self.n_rows = int(data.num_rows)  # type: ignore[attr-defined]
        elif _is_column_source(data):
            self._kind = "source"
            self.n_rows = int(data.metadata.num_rows)  # type: ignore[attr-defined]
        elif isinstance(data, Mapping):
            self._kind = "mapping"
            lengths = {
                len(np.asarray(v)) if not isinstance(v, pd.Series) else len(v)
                for v in data.values()
            }
            if len(lengths) > 1:
                raise ValueError(f"columns have different lengths: {sorted(lengths)}")
            self.n_rows = lengths.pop() if lengths else 0
        else:
            raise TypeError(
                "drift input must be a pandas DataFrame, a pyarrow Table or a mapping of "
                f"arrays, got {type(data).__name__}"
            )
        self._data = data

    @property
    def columns(self) -> list[str]:
        if self._kind == "arrow":
            return list(self._data.column_names)
        if self._kind == "source":
            return list(self._data.schema_arrow.names)
        return [str(c) for c in (self._data.columns if self._kind == "pandas" else self._data)]

    def has(self, name: str) -> bool:
        return name in self.columns

    def series(self, name: str) -> pd.Series:
        """The column as a pandas Series (converted alone when the input is Arrow)."""
        if self._kind == "pandas":
            return self._data[name]
        if self._kind == "arrow":
            return self._data.column(name).to_pandas()
        if self._kind == "source":
            # Read one column at a time; keep the last one, which is usually asked for again.
            cached: tuple[str, pd.Series] | None = getattr(self._cached, "last", None)
            if cached is not None and cached[0] == name:
                return cached[1]
            with self._read_lock:
                table = self._data.read(columns=[name])
            series = table.column(0).to_pandas()
            self._cached.last = (name, series)
            return series
        value = self._data[name]
        if isinstance(value, pd.Series):
            return value
        arr = np.asarray(value)
        if arr.ndim == 2:
            return pd.Series(list(arr))
        return pd.Series(arr)

    def forget(self) -> None:
        """Drop this thread's cached column (done with it: the next read need not sit beside
        it in memory)."""
        self._cached.last = None

    def raw(self, name: str) -> Any:
        """The column without conversion where possible (a 2-D array stays 2-D)."""
        if self._kind == "mapping":
            return self._data[name]
        return self.series(name)

    def numeric(self, name: str) -> FloatArray:
        """The column as float64 with NaN for missing; raises ColumnTypeError for text."""
        s = self.series(name)
        return to_float(s, name)

    def categorical(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Integer codes per row (-1 for missing) and the category labels as strings."""
        s = self.series(name)
        if pd.api.types.is_float_dtype(s.dtype):
            # 1.0 and 1 should be one category, and match an integer reference's "1".
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            as_int = np.isfinite(v) & (v == np.round(v))
            if as_int.all() or (~np.isfinite(v) | as_int).all():
                s = pd.Series(np.where(np.isfinite(v), v, np.nan)).astype("Int64")
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return np.asarray(codes), [str(u) for u in uniques]

    def embedding(self, name: str) -> FloatArray:
        """The column as an (n, d) float matrix; rows that are missing become NaN rows."""
        raw = self.raw(name)
        if isinstance(raw, np.ndarray) and raw.ndim == 2:
            return raw.astype(np.float64, copy=False)
        values = list(raw)
        dims = {len(v) for v in values if _is_vector(v)}
        if len(dims) != 1:
            raise ColumnTypeError(
                f"column {name!r}: embedding vectors must all have one length, found "
                f"{sorted(dims) if dims else 'no vectors'}"
            )
        d = dims.pop()
        out = np.full((len(values), d), np.nan)
        for i, v in enumerate(values):
            if _is_vector(v):
                out[i] = np.asarray(v, dtype=np.float64)
        return out

    def infer_kind(self, name: str, *, identifiers: bool = True) -> ColumnKind | None:
        """Kind of a column from its dtype and values; None for columns drift does not test.

        Columns the roles name as identifiers or the timestamp are never tested. With
        ``identifiers`` (the default) columns whose values look like keys are not tested
        either: text nearly all distinct, integers all distinct (see
        :func:`integer_key_reason`); the reason goes to :attr:`untested`. Pass False when the
        user asked for the column to be tested (named a test for it).
        """
        role_reason = self.roles.untested_reason(name)
        if role_reason is not None:
            self.untested[name] = role_reason
            return None
        raw = self.raw(name)
        if isinstance(raw, np.ndarray) and raw.ndim == 2:
            return ColumnKind.EMBEDDING
        s = raw if isinstance(raw, pd.Series) else pd.Series(raw)
        dtype = s.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return ColumnKind.BINARY
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            return None
        if pd.api.types.is_numeric_dtype(dtype):
            if identifiers and pd.api.types.is_integer_dtype(dtype):
                reason = integer_key_reason(s)
                if reason is not None:
                    self.untested[name] = reason
                    return None
            return ColumnKind.NUMERIC
        first = s.dropna().head(1)
        if len(first) and _is_vector(first.iloc[0]):
            return ColumnKind.EMBEDDING
        if _looks_like_timestamps(s):
            self.untested[name] = "its values are timestamps (the time axis, not a feature)"
            return None
        n_levels = int(s.nunique(dropna=True))
        n_values = int(s.notna().sum())
        if (
            identifiers
            and n_levels > IDENTIFIER_MIN_LEVELS
            and n_levels > n_values * IDENTIFIER_SHARE
        ):
            self.untested[name] = (
                f"{n_levels:,} distinct values in {n_values:,} rows look like identifiers or "
                f"free text; {TEST_ANYWAY}"
            )
            return None
        return ColumnKind.BINARY if n_levels == 2 else ColumnKind.CATEGORICAL


#: Text columns with more distinct values than this, and than this share of their rows, are
#: identifiers or free text: every window brings new values, so a distribution test would
#: always fire and a profile would grow with the data.
IDENTIFIER_MIN_LEVELS = 100
IDENTIFIER_SHARE = 0.5
#: Integers in strictly increasing (or decreasing) order over at least this many values are a
#: key or a counter: row ids, sequence numbers, epoch times. A feature is practically never
#: stored sorted with no value repeated, so a short run of them is evidence enough.
INTEGER_KEY_MIN_SORTED = IDENTIFIER_MIN_LEVELS
#: Integers all distinct in any order over at least this many values are a key (shuffled or
#: hashed ids). Chance makes n integers drawn from a range of R values all distinct with
#: probability about exp(-n^2 / 2R): at 1,000 rows that is under 1% for a range under 100,000
#: (counts, ages, amounts in units), so only very fine-grained integer measures (amounts in
#: cents over a wide range, byte counts) are mistaken for keys in a small reference, and the
#: report says so; with 10,000 rows the range must exceed 10^8 before it happens.
INTEGER_KEY_MIN_DISTINCT = 1_000
TEST_ANYWAY = "name a test or a kind for the column to test it anyway"
_HEAD = 1_000


def integer_key_reason(s: pd.Series) -> str | None:
    """Why an integer column looks like a key (not a feature), or None when it does not.

    Keys are all distinct: in strictly monotonic order over at least
    ``INTEGER_KEY_MIN_SORTED`` values, or in any order over at least
    ``INTEGER_KEY_MIN_DISTINCT``. The usual feature is rejected by its first 1,000 values, so
    the whole column is looked at only when it might be a key.
    """
    values = s.dropna() if s.hasnans else s
    n = len(values)
    if n < INTEGER_KEY_MIN_SORTED:
        return None
    arr = values.to_numpy()
    head = arr[:_HEAD]
    for way, steps in (("increasing", np.greater), ("decreasing", np.less)):
        if steps(head[1:], head[:-1]).all() and steps(arr[1:], arr[:-1]).all():
            return (
                f"its {n:,} values are distinct integers in {way} order: a key or a counter, "
                f"not a feature; {TEST_ANYWAY}"
            )
    if n < INTEGER_KEY_MIN_DISTINCT or np.unique(head).size < head.size:
        return None
    if not values.is_unique:
        return None
    return f"its {n:,} values are all distinct integers: an identifier; {TEST_ANYWAY}"


_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _looks_like_timestamps(s: pd.Series) -> bool:
    """True when the first non-missing values are all ISO 8601 dates or timestamps as text."""
    head = s.dropna().head(20)
    if not len(head) or not all(isinstance(v, str) for v in head):
        return False
    return all(_TIMESTAMP.fullmatch(v.strip()) for v in head)


def to_float(s: pd.Series, name: str) -> FloatArray:
    """Series to float64 with NaN for missing; text that is not a number is an error."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    parsed = pd.to_numeric(s, errors="coerce")
    bad = parsed.isna() & s.notna()
    if bad.any():
        example = s[bad].iloc[0]
        raise ColumnTypeError(
            f"column {name!r}: expected numbers but found {int(bad.sum())} non-numeric "
            f"value(s), e.g. {str(example)[:40]!r} (dtype {s.dtype})"
        )
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


def _is_vector(v: object) -> bool:
    return isinstance(v, list | tuple | np.ndarray) and not isinstance(v, str)


def _is_column_source(data: object) -> bool:
    """A lazily read table such as ``pyarrow.parquet.ParquetFile``."""
    return all(hasattr(data, a) for a in ("read", "schema_arrow", "metadata"))


def _is_arrow_table(data: object) -> bool:
    mod = type(data).__module__
    return mod.startswith("pyarrow") and hasattr(data, "column_names")
