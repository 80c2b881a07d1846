"""A seeded reservoir of reference rows, kept while a profile is built chunk by chunk.

Profiles summarize columns one at a time, which is all the univariate tests need; the
multivariate checks (PCA reconstruction error, a domain classifier) need rows. The reservoir
keeps a uniform sample of at most ``size`` rows of a stream of any length (Algorithm R: row
``t`` replaces a random slot with probability ``size / (t + 1)``), drawn from a NumPy
``Generator`` seeded by the caller, so the same seed and the same chunks give the same
sample. Memory stays at ``size`` rows plus the rows one chunk contributes.

Values are normalized as the drift tests read them: numeric columns as float64 (missing as
null), categorical and binary ones as text. Embedding columns are left out (their profiles
keep a sample of vectors of their own).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

IntArray = np.ndarray


class RowReservoir:
    """At most ``size`` rows of everything :meth:`plan` was told about, uniformly sampled."""

    def __init__(self, size: int, seed: int = 0) -> None:
        if size < 0:
            raise ValueError("a reservoir size is 0 or more")
        self.size = size
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._table: pa.Table | None = None

    def plan(self, n_rows: int) -> tuple[IntArray, IntArray]:
        """The rows of the next chunk of ``n_rows`` that enter the reservoir, and the slot
        each takes (a slot appears once: the row that would win it last).

        Call :meth:`add` next with those rows' values; the chunk counts as seen either way.
        """
        k, start = self.size, self.seen
        self.seen += n_rows
        if k == 0 or n_rows == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        fill = max(0, min(n_rows, k - start))
        rows = [np.arange(fill, dtype=np.int64)]
        slots = [np.arange(start, start + fill, dtype=np.int64)]
        if fill < n_rows:
            rest = np.arange(fill, n_rows, dtype=np.int64)
            # Row number t (0-based over the whole stream) draws a slot in [0, t].
            drawn = self._rng.integers(0, start + rest + 1)
            hit = drawn < k
            rows.append(rest[hit])
            slots.append(drawn[hit])
        all_rows, all_slots = np.concatenate(rows), np.concatenate(slots)
        # Later rows overwrite earlier ones in the same slot: keep each slot's last row.
        _, last = np.unique(all_slots[::-1], return_index=True)
        keep = np.sort(all_slots.size - 1 - last)
        return all_rows[keep], all_slots[keep]

    def add(self, slots: IntArray, values: Mapping[str, pa.Array]) -> None:
        """Put the planned rows' ``values`` (one array per column, in plan order) in their
        slots. The columns are the first call's; a column missing later is null there."""
        if slots.size == 0:
            return
        if self._table is None:
            schema = pa.schema([(name, array.type) for name, array in values.items()])
            if not len(schema):
                return  # nothing sampleable (say, embeddings only): no sample
        else:
            schema = self._table.schema
        columns = []
        for field in schema:
            array = values.get(field.name)
            if array is None:
                array = pa.nulls(slots.size, field.type)
            columns.append(array.cast(field.type))
        fresh = pa.Table.from_arrays(columns, schema=schema)
        old = self._table if self._table is not None else schema.empty_table()
        n_after = max(old.num_rows, int(slots.max()) + 1)
        order = np.arange(n_after, dtype=np.int64)
        order[slots] = old.num_rows + np.arange(slots.size, dtype=np.int64)
        self._table = pa.concat_tables([old, fresh]).take(pa.array(order))

    @property
    def table(self) -> pa.Table | None:
        """The sampled rows (None when none were kept)."""
        return self._table


def merge_samples(
    first: pa.Table, first_rows: int, second: pa.Table, second_rows: int, size: int
) -> pa.Table:
    """A sample of both populations (``first_rows`` and ``second_rows`` rows) from their
    uniform samples: how many rows come from each is drawn as from the two populations
    (hypergeometric, seeded, so a merge is repeatable)."""
    rng = np.random.default_rng(0)
    k = min(size, first.num_rows + second.num_rows)
    take_first = int(rng.hypergeometric(first_rows, second_rows, k)) if k else 0
    take_first = min(max(take_first, k - second.num_rows), first.num_rows)
    pick_a = np.sort(rng.choice(first.num_rows, take_first, replace=False))
    pick_b = np.sort(rng.choice(second.num_rows, k - take_first, replace=False))
    a = first.take(pa.array(pick_a, type=pa.int64()))
    b = second.take(pa.array(pick_b, type=pa.int64()))
    return pa.concat_tables([a, b], promote_options="default")


def sample_to_text(table: pa.Table) -> str:
    """The sample as compressed Parquet in base64 (fits the profile's JSON)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return base64.b64encode(sink.getvalue()).decode("ascii")


def sample_from_text(text: str) -> pa.Table:
    return pq.read_table(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)))
