"""When drift began: the start of the run of drifted chunks that the drift is still in.

A test crosses its threshold now and then by chance, so "the first chunk in which anything
crossed" names a false alarm as often as a real start. The onset is instead the start of the
last run of drifted chunks: the run that ends at the last drifted chunk (the end of the window,
when the drift persists). Crossings before that run are *isolated*: reported, not the onset.

A run survives a single missed chunk (a drifted chunk, one chunk not flagged, a drifted chunk
again) when the chunk before the miss is itself preceded by a drifted chunk: a modest shift is
not caught in every chunk, and one miss should not move the onset past weeks of drift. A lone
crossing followed by a miss does not start a run (a chance alarm just before the real start
would otherwise be taken for it), and two misses in a row always end one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mlsteward.engines.drift.results import ChunkDriftResult, DatasetDriftResult


def onset(flags: Sequence[bool]) -> int | None:
    """Index of the chunk the last run of drifted chunks starts at; None when none drifted.

    ``flags[i]`` says whether chunk ``i`` drifted. Walking back from the last drifted chunk,
    the run extends over drifted chunks and over single misses that have two drifted chunks
    right before them (see the module docstring).
    """
    last = next((i for i in range(len(flags) - 1, -1, -1) if flags[i]), None)
    if last is None:
        return None
    start = last
    while start > 0:
        if flags[start - 1]:
            start -= 1
        elif start >= 3 and flags[start - 2] and flags[start - 3]:
            start -= 3  # bridge one miss: the two drifted chunks before it join the run
        else:
            break
    return start


def isolated(flags: Sequence[bool], began: int | None) -> list[int]:
    """Drifted chunks that are not part of the run starting at ``began`` (all, when None)."""
    stop = len(flags) if began is None else began
    return [i for i in range(stop) if flags[i]]


@dataclass(frozen=True)
class Onsets:
    """When drift began in a window's chunks, for the dataset and per column."""

    chunk: int | None = None  # index of the chunk the dataset's drift began in
    label: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    isolated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


def chunk_label(chunk: ChunkDriftResult) -> str:
    """How reports name a chunk: its start time, else its key."""
    return chunk.chunk.start or chunk.chunk.key


def find_onsets(whole: DatasetDriftResult, chunks: Sequence[ChunkDriftResult]) -> Onsets:
    """Onsets by :func:`onset`: the dataset's over the chunks' dataset verdicts, each column's
    over its own chunk verdicts (only for columns that drifted over the whole window; the
    crossings of the others are all isolated).

    When the whole window did not drift, the dataset's onset is given only for a run that
    lasts to the window's last chunk (drift that is starting now); an earlier run that
    ended is a passing change, not when a drift began. When no chunk drifted at the dataset
    level yet the whole window did (each chunk has too few rows to show what the whole
    window shows), the dataset's onset is the earliest onset of the columns that drifted
    over the whole window, and a message says so.
    """
    if not chunks:
        return Onsets()
    labels = [chunk_label(ch) for ch in chunks]
    columns: dict[str, str] = {}
    column_index: dict[str, int] = {}
    isolated_at: dict[str, tuple[str, ...]] = {}
    verdicts = [{c.column: c.drifted for c in ch.result.columns} for ch in chunks]
    for col in whole.columns:
        flags = [v.get(col.column, False) for v in verdicts]
        began = onset(flags) if col.drifted else None
        if began is not None:
            columns[col.column] = labels[began]
            column_index[col.column] = began
        lone = isolated(flags, began)
        if lone:
            isolated_at[col.column] = tuple(labels[i] for i in lone)
    dataset = [ch.result.drifted for ch in chunks]
    first = onset(dataset)
    if not whole.drifted and not dataset[-1]:
        first = None
    messages: tuple[str, ...] = ()
    if first is None and whole.drifted and column_index:
        first = min(column_index.values())
        messages = (
            "no chunk drifted at the dataset level (in each, under "
            f"{whole.drift_share_threshold:.0%} of the columns drifted) though the whole "
            "window did: drift began is the earliest onset among the columns that drifted",
        )
    return Onsets(
        first, labels[first] if first is not None else None, columns, isolated_at, messages
    )
