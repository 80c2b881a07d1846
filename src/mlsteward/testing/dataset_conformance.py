"""The datasets' storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`DatasetStoreConformance` in a test module and provide the ``store_harness``
fixture of :mod:`mlsteward.testing.store_conformance` (a harness whose ``open`` gives the
stores of a migrated database; this suite uses its ``datasets``). Tests name their datasets
uniquely, so one database may serve a whole session::

    from mlsteward.testing.dataset_conformance import DatasetStoreConformance

    class TestMyDatasets(DatasetStoreConformance):
        pass
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlsteward.domain.datasets import DatasetInput, Label, LabelQueue
from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.storage.datasets_base import DatasetStore, NewDatasetVersion
from mlsteward.testing.store_conformance import StoreHarness

#: Concurrent writers (each with its own store) x versions each.
WRITERS = 4
VERSIONS_EACH = 5


def _spec(content: str, parents: list[str] | None = None) -> NewDatasetVersion:
    return NewDatasetVersion(
        content_hash=content,
        blob_digest="b" * 64,
        num_rows=3,
        num_bytes=10,
        schema=[("a", "int64")],
        kind="ingest" if not parents else "transform",
        lineage={"source": {"kind": "csv", "uri": "/x.csv"}},
        parents=parents or [],
        profile_digest=None,
        report_digest=None,
    )


def _name() -> str:
    return f"ds-{new_id()[:10]}"


class DatasetStoreConformance:
    """``DatasetStore`` primitives; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[DatasetStore]:
        opened = store_harness.open()
        try:
            yield opened.datasets
        finally:
            opened.close()

    def test_versions_number_per_dataset_and_same_content_returns_existing(
        self, store: DatasetStore
    ) -> None:
        name = _name()
        one, created_one = store.create_dataset_version(name, _spec("h1"), "alice", 1)
        two, created_two = store.create_dataset_version(name, _spec("h2"), "bob", 2)
        again, created_again = store.create_dataset_version(name, _spec("h1"), "carol", 3)
        assert (one.version, two.version) == (1, 2)
        assert created_one and created_two and not created_again
        assert again == one
        assert store.find_dataset_version(name, "h2") == two
        assert store.find_dataset_version(name, "nope") is None
        assert store.latest_dataset_version(name).version == 2
        assert [v.version for v in store.list_dataset_versions(name)] == [1, 2]
        other, created = store.create_dataset_version(_name(), _spec("h1"), "alice", 4)
        assert created and other.version == 1
        assert name in store.list_datasets()

    def test_parents_children_and_lookup_by_id(self, store: DatasetStore) -> None:
        parent, _ = store.create_dataset_version(_name(), _spec("p"), "alice", 1)
        child, _ = store.create_dataset_version(
            _name(), _spec("c", [parent.dataset_version_id]), "alice", 2
        )
        assert child.parents == [parent.dataset_version_id]
        assert store.get_dataset_version_by_id(child.dataset_version_id) == child
        children = store.list_dataset_children(parent.dataset_version_id)
        assert [c.dataset_version_id for c in children] == [child.dataset_version_id]
        assert child.lineage["source"]["uri"] == "/x.csv"

    def test_aliases_move_and_missing_things_raise(self, store: DatasetStore) -> None:
        name = _name()
        store.create_dataset_version(name, _spec("1"), "alice", 1)
        store.create_dataset_version(name, _spec("2"), "alice", 2)
        store.set_dataset_alias(name, "prod", 1)
        assert store.get_dataset_alias(name, "prod") == 1
        assert store.get_dataset_version(name, 1).aliases == ["prod"]
        store.set_dataset_alias(name, "prod", 2)
        assert store.get_dataset_alias(name, "prod") == 2
        with pytest.raises(NotFoundError):
            store.set_dataset_alias(name, "prod", 9)
        store.delete_dataset_alias(name, "prod")
        with pytest.raises(NotFoundError):
            store.get_dataset_alias(name, "prod")
        with pytest.raises(NotFoundError):
            store.get_dataset_version(name, 3)
        with pytest.raises(NotFoundError):
            store.latest_dataset_version(_name())
        with pytest.raises(NotFoundError):
            store.get_dataset_version_by_id(new_id())

    def test_run_inputs_are_idempotent(self, store: DatasetStore) -> None:
        version, _ = store.create_dataset_version(_name(), _spec("x"), "alice", 1)
        run = new_id()
        item = DatasetInput(run, version.dataset_version_id, "training", 5)
        store.log_dataset_input(item)
        store.log_dataset_input(item)
        assert store.list_run_inputs(run) == [item]
        assert store.list_dataset_version_inputs(version.dataset_version_id) == [item]

    def test_label_queue_and_one_label_per_annotator_role(self, store: DatasetStore) -> None:
        version, _ = store.create_dataset_version(_name(), _spec("q"), "alice", 1)
        queue = LabelQueue(
            new_id(), _name(), version.dataset_version_id, "label", ["a"], 1, 3, "x", 1
        )
        assert store.create_label_queue(queue) == queue
        with pytest.raises(AlreadyExistsError):
            store.create_label_queue(queue)
        store.add_label(Label(queue.queue_id, 0, "alice", "a", "primary", 1))
        store.add_label(Label(queue.queue_id, 0, "bob", "a", "review", 2))
        with pytest.raises(AlreadyExistsError):
            store.add_label(Label(queue.queue_id, 0, "alice", "b", "primary", 3))
        assert [x.annotator for x in store.list_labels(queue.queue_id)] == ["alice", "bob"]

    def test_concurrent_writers_number_without_gaps_and_agree_on_content(
        self, store_harness: StoreHarness
    ) -> None:
        name = _name()
        bundles = [store_harness.open() for _ in range(WRITERS)]
        stores = [opened.datasets for opened in bundles]

        def write(index: int) -> list[int]:
            made = []
            for j in range(VERSIONS_EACH):
                version, _ = stores[index].create_dataset_version(
                    name, _spec(f"w{index}-{j}"), "alice", 1
                )
                made.append(version.version)
            # Everyone also registers one shared content: all must get the same version.
            shared, _ = stores[index].create_dataset_version(name, _spec("shared"), "bob", 2)
            return [*made, -shared.version]

        try:
            with ThreadPoolExecutor(WRITERS) as pool:
                results = list(pool.map(write, range(WRITERS)))
        finally:
            for opened in bundles:
                opened.close()
        numbers = sorted(n for r in results for n in r if n > 0)
        shared = {-n for r in results for n in r if n < 0}
        assert len(shared) == 1
        assert sorted([*numbers, *shared]) == list(range(1, WRITERS * VERSIONS_EACH + 2))
