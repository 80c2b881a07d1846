"""Tampering made directly in the database, with SQL, is caught, and the first bad record
is named.

One chain of 50 records, with signed checkpoints at records 10, 25 and 40 (the last ten are
vouched for by the chain and the head row only), is snapshotted into side tables; each
trial restores it, makes one seeded random change with SQL and verifies the store. Kinds:
edits (any column of any record), deletions (any record, first and last included),
insertions (a forged record anywhere, its hash recomputed or not), reorderings (two records
swap sequence numbers), truncations of the tail through a checkpoint (the head row moved back
to match), and a whole chain recomputed after an edit (only a signature can tell).

Out of reach by design, so not tried: rewriting or extending records after the newest
checkpoint together with the head row, and deleting the checkpoints along with the tail they
cover (see ``services.audit.verification``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.audit import GENESIS_HASH, AuditRecord, record_hash
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.services.audit.verification import verify_store
from mlsteward.services.context import ServiceContext
from mlsteward.storage.audit_base import AuditQuery
from mlsteward.storage.sql.engine import normalize_sql_url

from .conftest import record_event

RECORDS = 50
CHECKPOINTS = (10, 25, 40)
TABLES = ("audit_records", "audit_head", "audit_checkpoints")
COLUMNS = (
    "seq",
    "time_ms",
    "actor",
    "actor_kind",
    "operation",
    "action",
    "resource_kind",
    "resource_name",
    "request_id",
    "change_sha256",
    "prev_hash",
    "hash",
)
CONTENT = COLUMNS[1:10]
#: Trials per kind, per dialect (230 in all).
TRIALS = {
    "edit": 80,
    "delete": 40,
    "insert": 40,
    "reorder": 30,
    "truncate": 20,
    "recompute": 20,
}


@dataclass
class Chain:
    """The untouched chain, and a connection to change its rows behind the store's back."""

    ctx: ServiceContext
    engine: Engine
    records: list[AuditRecord]

    def hash_before(self, seq: int) -> str:
        return GENESIS_HASH if seq == 1 else self.records[seq - 2].hash

    def restore(self) -> None:
        with self.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
                conn.execute(text(f"INSERT INTO {table} SELECT * FROM snap_{table}"))


@pytest.fixture
def chain(audit_ctx: ServiceContext, isolated_store_url: str) -> Iterator[Chain]:
    for i in range(1, RECORDS + 1):
        record_event(audit_ctx, i)
        if i in CHECKPOINTS:
            sign_checkpoint(audit_ctx)
    records = list(audit_ctx.stores.audit.records(AuditQuery()))
    engine = create_engine(normalize_sql_url(isolated_store_url), poolclass=NullPool)
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"CREATE TABLE snap_{table} AS SELECT * FROM {table}"))
    try:
        yield Chain(audit_ctx, engine, records)
    finally:
        engine.dispose()


def _vouched_before(seq: int) -> int:
    """The newest checkpoint before record ``seq`` (0: the chain's start)."""
    return max([c for c in CHECKPOINTS if c < seq], default=0)


# -- the changes: each makes one and returns the sequence number verification must name ----
def _changed(column: str, value: object, rng: random.Random) -> object:
    if column == "time_ms":
        return int(value) + rng.choice([-1, 1]) * rng.randint(1, 10_000)  # type: ignore[call-overload]
    if column in ("change_sha256", "prev_hash", "hash"):
        text_value = str(value)
        at = rng.randrange(len(text_value))
        flipped = "0" if text_value[at] != "0" else "1"
        return text_value[:at] + flipped + text_value[at + 1 :]
    if value is None:
        return "forged"
    text_value = str(value)
    at = rng.randrange(len(text_value))
    return text_value[:at] + ("Z" if text_value[at] != "Z" else "Y") + text_value[at + 1 :]


def edit(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    seq, column = rng.randint(1, RECORDS), rng.choice(COLUMNS)
    if column == "seq":  # moved to a number nothing uses: a gap where it was
        value: object = 1000 + seq
    else:
        value = _changed(column, getattr(chain.records[seq - 1], column), rng)
    conn.execute(
        text(f"UPDATE audit_records SET {column} = :v WHERE seq = :s"),
        {"v": value, "s": seq},
    )
    return f"edit {column} of {seq}", seq


def delete(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    seq = rng.choice([1, RECORDS, rng.randint(1, RECORDS)])
    conn.execute(text("DELETE FROM audit_records WHERE seq = :s"), {"s": seq})
    return f"delete {seq}", seq


def _shift_up(conn: Connection, from_seq: int) -> None:
    """Make room at ``from_seq`` (two steps: no primary key clash in between)."""
    conn.execute(text("UPDATE audit_records SET seq = -(seq + 1) WHERE seq >= :s"), {"s": from_seq})
    conn.execute(text("UPDATE audit_records SET seq = -seq WHERE seq < 0"))


def insert(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    seq, recomputed = rng.randint(1, RECORDS + 1), rng.random() < 0.5
    _shift_up(conn, seq)
    template = chain.records[rng.randrange(RECORDS)]
    forged = replace(template, seq=seq, actor="mallory", prev_hash=chain.hash_before(seq))
    forged = replace(forged, hash=record_hash(forged, seq, forged.prev_hash))
    if not recomputed:
        forged = replace(forged, hash=f"{rng.getrandbits(256):064x}")
    conn.execute(
        text(f"INSERT INTO audit_records ({', '.join(COLUMNS)}) VALUES (:{', :'.join(COLUMNS)})"),
        {column: getattr(forged, column) for column in COLUMNS},
    )
    if seq <= RECORDS or not recomputed:
        # The head row follows, as a careful forger would make it (a forged record past
        # the newest checkpoint with the head moved too is beyond a chain's reach).
        last = chain.records[-1].hash if seq <= RECORDS else forged.hash
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": RECORDS + 1, "h": last}
        )
    named = seq
    if recomputed and seq in CHECKPOINTS:  # the checkpoint there no longer matches
        named = _vouched_before(seq) + 1
    elif recomputed and seq <= RECORDS:  # found only by its successor's broken link
        named = seq + 1
    return f"insert at {seq} ({'recomputed' if recomputed else 'raw'})", named


def reorder(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    first, second = sorted(rng.sample(range(1, RECORDS + 1), 2))
    conn.execute(text("UPDATE audit_records SET seq = -1 WHERE seq = :s"), {"s": first})
    conn.execute(
        text("UPDATE audit_records SET seq = :a WHERE seq = :b"), {"a": first, "b": second}
    )
    conn.execute(text("UPDATE audit_records SET seq = :b WHERE seq = -1"), {"b": second})
    return f"swap {first} and {second}", first


def truncate(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    keep = rng.randint(0, CHECKPOINTS[-1] - 1)  # the checkpoint at 40 covers what goes
    conn.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": keep})
    last = chain.records[keep - 1].hash if keep else GENESIS_HASH
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": keep, "h": last})
    return f"truncate after {keep}", keep + 1


def recompute(conn: Connection, chain: Chain, rng: random.Random) -> tuple[str, int]:
    seq, column = rng.randint(1, CHECKPOINTS[-1]), rng.choice(CONTENT)
    edited = replace(
        chain.records[seq - 1],
        **{column: _changed(column, getattr(chain.records[seq - 1], column), rng)},
    )
    prev = chain.hash_before(seq)
    for record in [edited, *chain.records[seq:]]:
        rewritten = replace(record, prev_hash=prev)
        rewritten = replace(rewritten, hash=record_hash(rewritten, record.seq, prev))
        values = {column: getattr(rewritten, column) for column in COLUMNS}
        assignments = ", ".join(f"{c} = :{c}" for c in COLUMNS[1:])
        conn.execute(text(f"UPDATE audit_records SET {assignments} WHERE seq = :seq"), values)
        prev = rewritten.hash
    conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    # Everything after the newest checkpoint still matching is suspect, up to the first
    # checkpoint that no longer does.
    return f"recompute after editing {column} of {seq}", _vouched_before(seq) + 1


KINDS: dict[str, Callable[[Connection, Chain, random.Random], tuple[str, int]]] = {
    "edit": edit,
    "delete": delete,
    "insert": insert,
    "reorder": reorder,
    "truncate": truncate,
    "recompute": recompute,
}


def test_every_tampering_is_caught_and_located(chain: Chain, isolated_store_url: str) -> None:
    baseline = verify_store(chain.ctx)
    assert (baseline.ok, baseline.checked, baseline.last_checkpoint_seq) == (True, RECORDS, 40)
    rng = random.Random(f"audit-tampering-{isolated_store_url.split(':')[0]}")
    trials = [kind for kind, count in TRIALS.items() for _ in range(count)]
    rng.shuffle(trials)
    misses = []
    for number, kind in enumerate(trials):
        chain.restore()
        if number % 40 == 0:
            assert verify_store(chain.ctx).ok, "the snapshot did not restore the chain"
        with chain.engine.begin() as conn:
            change, expected = KINDS[kind](conn, chain, rng)
        result = verify_store(chain.ctx)
        if result.ok or result.first_bad_seq != expected:
            misses.append(f"{change}: expected {expected}, got {result}")
    assert len(trials) >= 200
    assert misses == []
