"""The audit storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`AuditStoreConformance` in a test module and provide the ``store_harness``
fixture of :mod:`mlsteward.testing.store_conformance`. The audit log is one chain per
database, so unlike the other suites this one needs an empty store for every test: give it
the ``isolated_store_harness`` of :mod:`mlsteward.testing.backends`::

    import pytest

    from mlsteward.testing.audit_conformance import AuditStoreConformance

    class TestMyAudit(AuditStoreConformance):
        @pytest.fixture
        def store_harness(self, isolated_store_harness):
            return isolated_store_harness
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Iterator

import pytest

from mlsteward.domain.audit import (
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEntry,
    AuditRecord,
    record_hash,
)
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import Role
from mlsteward.domain.ids import new_id
from mlsteward.storage.audit_base import AuditQuery, AuditStore
from mlsteward.storage.bundle import Stores
from mlsteward.testing.identity_conformance import make_grant
from mlsteward.testing.store_conformance import StoreHarness

#: A time in milliseconds beyond 32 bits, as every stored time is.
T0 = 1_700_000_000_000
#: Concurrent appenders (each with stores of its own) x records each.
APPENDERS = 4
APPENDS_EACH = 50


def make_entry(
    *,
    time_ms: int = T0,
    actor: str = "alice",
    actor_kind: str = "user",
    operation: str = "tracking.create_experiment",
    action: str = "create",
    resource_kind: str = "experiment",
    resource_name: str | None = "churn",
    request_id: str | None = None,
) -> AuditEntry:
    """An entry the way the recorder would build one."""
    return AuditEntry(
        time_ms=time_ms,
        actor=actor,
        actor_kind=actor_kind,
        operation=operation,
        action=action,
        resource_kind=resource_kind,
        resource_name=resource_name,
        request_id=request_id if request_id is not None else new_id(),
        change_sha256=(new_id() + new_id())[:64],
    )


def make_checkpoint(record: AuditRecord, signature: str = "ab" * 64) -> AuditCheckpoint:
    return AuditCheckpoint(
        seq=record.seq,
        head_hash=record.hash,
        time_ms=record.time_ms + 1,
        key_id="c" * 64,
        signature=signature,
    )


def assert_unbroken(records: list[AuditRecord], start_seq: int = 0) -> None:
    """``records`` are ``start_seq + 1 ...`` in order, each chained to the one before and
    hashed as :func:`record_hash` says."""
    assert [r.seq for r in records] == list(range(start_seq + 1, start_seq + 1 + len(records)))
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash, f"record {after.seq} is not chained to {before.seq}"
    for record in records:
        assert record.hash == record_hash(record, record.seq, record.prev_hash)


class AuditStoreConformance:
    """``AuditStore`` primitives; needs a ``store_harness`` fixture giving an empty store to
    every test (see the module docstring)."""

    @pytest.fixture
    def stores(self, store_harness: StoreHarness) -> Iterator[Stores]:
        opened = store_harness.open()
        try:
            if opened.audit.head() != (0, GENESIS_HASH):
                pytest.fail(
                    "The audit suite needs an empty store for every test: pass the "
                    "isolated_store_harness fixture as store_harness"
                )
            yield opened
        finally:
            opened.close()

    @pytest.fixture
    def store(self, stores: Stores) -> AuditStore:
        return stores.audit

    def append(self, store: AuditStore, count: int, **fields: object) -> list[AuditRecord]:
        return [store.append(make_entry(**fields)) for _ in range(count)]  # type: ignore[arg-type]

    # -- the chain -------------------------------------------------------------------------
    def test_an_empty_log(self, store: AuditStore) -> None:
        assert store.head() == (0, GENESIS_HASH)
        assert list(store.records(AuditQuery())) == []
        assert store.checkpoints() == []
        assert store.pruned_through() == 0

    def test_appending_chains_each_record_to_the_one_before(self, store: AuditStore) -> None:
        entry = make_entry()
        first = store.append(entry)
        assert first == entry.chained(1, GENESIS_HASH)
        more = self.append(store, 4)
        records = [first, *more]
        assert_unbroken(records)
        assert store.head() == (5, records[-1].hash)
        assert list(store.records(AuditQuery())) == records

    def test_every_field_round_trips(self, store: AuditStore) -> None:
        written = [
            store.append(make_entry(actor="Zoë 🙂", resource_name=None, request_id="")),
            store.append(
                make_entry(time_ms=2**62, actor_kind="service", resource_name="r" * 1_000)
            ),
        ]
        assert list(store.records(AuditQuery())) == written
        assert written[0].resource_name is None and written[0].request_id == ""
        assert written[1].actor_kind == "service"

    # -- reading ---------------------------------------------------------------------------
    def test_records_filter_by_every_field_given(self, store: AuditStore) -> None:
        a1 = store.append(make_entry(time_ms=T0, actor="alice", resource_name="churn"))
        b1 = store.append(
            make_entry(
                time_ms=T0 + 10,
                actor="bob",
                operation="registry.create_model",
                resource_kind="registered_model",
                resource_name="churn",
            )
        )
        a2 = store.append(
            make_entry(time_ms=T0 + 20, actor="alice", operation="tracking.delete_experiment")
        )
        b2 = store.append(make_entry(time_ms=T0 + 30, actor="bob", resource_name="fraud"))
        everything = [a1, b1, a2, b2]

        def read(**query: object) -> list[AuditRecord]:
            return list(store.records(AuditQuery(**query)))  # type: ignore[arg-type]

        assert read() == everything
        assert read(after_seq=2) == [a2, b2]
        assert read(through_seq=2) == [a1, b1]
        assert read(after_seq=1, through_seq=3) == [b1, a2]
        assert read(actor="alice") == [a1, a2]
        assert read(actor="ALICE") == []
        assert read(resource_kind="registered_model") == [b1]
        assert read(resource_name="churn") == [a1, b1, a2]
        assert read(resource_kind="experiment", resource_name="churn") == [a1, a2]
        assert read(operation="tracking.delete_experiment") == [a2]
        assert read(since_ms=T0 + 10) == [b1, a2, b2]  # inclusive
        assert read(until_ms=T0 + 20) == [a1, b1]  # exclusive
        assert read(since_ms=T0 + 10, until_ms=T0 + 30) == [b1, a2]
        assert read(limit=2) == [a1, b1]
        assert read(actor="bob", limit=1) == [b1]
        assert read(actor="bob", after_seq=b1.seq, limit=1) == [b2]
        assert read(actor="carol") == []
        assert read(after_seq=4) == []

    def test_records_stream_in_sequence_order(self, stores: Stores) -> None:
        store = stores.audit
        with stores.unit_of_work():  # one transaction for the lot
            written = self.append(store, 1_200)
        stream = store.records(AuditQuery())
        assert next(stream) == written[0]  # a stream, read as it is consumed
        rest = list(stream)
        assert len(rest) == 1_199
        assert_unbroken([written[0], *rest])
        assert rest == written[1:]

    # -- concurrency and transactions --------------------------------------------------------
    def test_concurrent_appenders_make_one_unbroken_chain(
        self, store: AuditStore, store_harness: StoreHarness
    ) -> None:
        failures: list[BaseException] = []
        start = threading.Barrier(APPENDERS)

        def appender(number: int) -> None:
            own = store_harness.open()  # a writer of its own, as another process would be
            try:
                start.wait()
                for i in range(APPENDS_EACH):
                    entry = make_entry(actor=f"writer-{number}", time_ms=T0 + i)
                    if i % 2:  # as the dispatcher does: inside the unit of the change
                        with own.unit_of_work():
                            own.audit.append(entry)
                    else:
                        own.audit.append(entry)
            except BaseException as error:  # reported below, with the chain's state
                failures.append(error)
            finally:
                own.close()

        threads = [threading.Thread(target=appender, args=(n,)) for n in range(APPENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        records = list(store.records(AuditQuery()))
        total = APPENDERS * APPENDS_EACH
        assert len(records) == total
        assert_unbroken(records)
        assert records[0].prev_hash == GENESIS_HASH
        assert store.head() == (total, records[-1].hash)
        for number in range(APPENDERS):
            assert len(list(store.records(AuditQuery(actor=f"writer-{number}")))) == APPENDS_EACH

    def test_a_record_rolls_back_with_the_change_it_records(self, stores: Stores) -> None:
        store = stores.audit
        kept = store.append(make_entry())
        principal = f"p-{new_id()[:8]}"

        class Boom(Exception):
            pass

        with pytest.raises(Boom), stores.unit_of_work():
            stores.identity.add_grant(make_grant(principal, Role.ADMIN))
            inside = store.append(make_entry(operation="identity.create_grant"))
            assert inside.seq == 2
            assert store.head() == (2, inside.hash)  # seen inside the unit
            raise Boom
        assert store.head() == (1, kept.hash)
        assert list(store.records(AuditQuery())) == [kept]
        assert stores.identity.list_grants(principal=principal) == []
        again = store.append(make_entry())
        assert again.seq == 2 and again.prev_hash == kept.hash

    def test_a_record_commits_with_the_change_it_records(self, stores: Stores) -> None:
        principal = f"p-{new_id()[:8]}"
        with stores.unit_of_work():
            grant = stores.identity.add_grant(make_grant(principal, Role.VIEWER))
            record = stores.audit.append(make_entry(operation="identity.create_grant"))
        assert stores.identity.list_grants(principal=principal) == [grant]
        assert list(stores.audit.records(AuditQuery())) == [record]

    # -- checkpoints -----------------------------------------------------------------------
    def test_checkpoints_are_kept_once_per_sequence_number(self, store: AuditStore) -> None:
        records = self.append(store, 3)
        third = make_checkpoint(records[2])
        first = make_checkpoint(records[0])
        assert store.add_checkpoint(third) == third
        assert store.add_checkpoint(first) == first
        repeat = dataclasses.replace(third, signature="ef" * 64, time_ms=third.time_ms + 5)
        assert store.add_checkpoint(repeat) == third  # the first one stands
        assert store.checkpoints() == [first, third]

    # -- retention ---------------------------------------------------------------------------
    def test_pruning_drops_the_oldest_records_and_keeps_the_head(self, store: AuditStore) -> None:
        records = self.append(store, 5)
        store.add_checkpoint(make_checkpoint(records[2]))
        assert store.prune(3) == 3
        assert store.pruned_through() == 3
        assert list(store.records(AuditQuery())) == records[3:]
        assert store.head() == (5, records[-1].hash)
        assert store.checkpoints() == [make_checkpoint(records[2])]
        assert store.prune(2) == 0  # already gone
        assert store.pruned_through() == 3  # never moves back

    def test_pruning_everything_leaves_the_head_to_chain_on(self, store: AuditStore) -> None:
        records = self.append(store, 4)
        assert store.prune(4) == 4
        assert list(store.records(AuditQuery())) == []
        assert store.head() == (4, records[-1].hash)
        assert store.pruned_through() == 4
        after = store.append(make_entry())
        assert (after.seq, after.prev_hash) == (5, records[-1].hash)
        assert list(store.records(AuditQuery())) == [after]

    def test_pruning_beyond_the_head_is_refused(self, store: AuditStore) -> None:
        records = self.append(store, 2)
        with pytest.raises(InvalidArgumentError):
            store.prune(3)
        with pytest.raises(InvalidArgumentError):
            store.prune(-1)
        assert store.pruned_through() == 0
        assert list(store.records(AuditQuery())) == records
        assert store.prune(0) == 0
