"""The datasets' storage contract, checked by ``mlsteward.testing.dataset_conformance``.

* Every method is atomic: it applies completely or raises and changes nothing.
* Version numbers are 1, 2, 3, ... per dataset without gaps; creating a version whose
  ``content_hash`` the dataset already has returns that version instead (``created`` False),
  under the dataset's lock, so concurrent registrations of the same content agree.
* Versions are immutable; only aliases move.
* Missing datasets, versions, aliases or queues raise ``NotFoundError``.

Stores hold no business rules; those live in ``mlsteward.services.data``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.storage.capabilities import StoreCapabilities


@dataclass(frozen=True)
class NewDatasetVersion:
    """Everything a store needs to record a version (it assigns id, number and time)."""

    content_hash: str
    blob_digest: str
    num_rows: int
    num_bytes: int
    schema: Sequence[tuple[str, str]]
    kind: str
    lineage: Mapping[str, Any]
    parents: Sequence[str]
    profile_digest: str | None
    report_digest: str | None
    description: str | None = None


class DatasetStore(abc.ABC):
    """Abstract persistence for dataset versions, run inputs and label queues."""

    capabilities: StoreCapabilities

    @abc.abstractmethod
    def create_dataset_version(
        self, name: str, spec: NewDatasetVersion, created_by: str, now: int
    ) -> tuple[DatasetVersion, bool]:
        """The dataset's next version (created True), or its version with the same content."""

    @abc.abstractmethod
    def get_dataset_version(self, name: str, version: int) -> DatasetVersion: ...

    @abc.abstractmethod
    def get_dataset_version_by_id(self, dataset_version_id: str) -> DatasetVersion: ...

    @abc.abstractmethod
    def find_dataset_version(self, name: str, content_hash: str) -> DatasetVersion | None:
        """The version of ``name`` holding exactly this content, if any (no error if absent)."""

    @abc.abstractmethod
    def latest_dataset_version(self, name: str) -> DatasetVersion: ...

    @abc.abstractmethod
    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        """Every version of ``name``, oldest first."""

    @abc.abstractmethod
    def list_datasets(self) -> list[str]: ...

    @abc.abstractmethod
    def list_dataset_children(self, dataset_version_id: str) -> list[DatasetVersion]:
        """Versions that list ``dataset_version_id`` among their parents."""

    # -- aliases ---------------------------------------------------------------------------
    @abc.abstractmethod
    def set_dataset_alias(self, name: str, alias: str, version: int) -> None: ...

    @abc.abstractmethod
    def delete_dataset_alias(self, name: str, alias: str) -> None: ...

    @abc.abstractmethod
    def get_dataset_alias(self, name: str, alias: str) -> int:
        """The version the alias points at."""

    # -- run inputs ------------------------------------------------------------------------
    @abc.abstractmethod
    def log_dataset_input(self, item: DatasetInput) -> None:
        """Link a run to a version; logging the same link again is a no-op."""

    @abc.abstractmethod
    def list_run_inputs(self, run_id: str) -> list[DatasetInput]: ...

    @abc.abstractmethod
    def list_dataset_version_inputs(self, dataset_version_id: str) -> list[DatasetInput]: ...

    @abc.abstractmethod
    def list_models_using(
        self, dataset_version_id: str, run_ids: Sequence[str]
    ) -> list[tuple[str, int]]:
        """(model name, version) of model versions that list the dataset or come from a run."""

    # -- label queues ----------------------------------------------------------------------
    @abc.abstractmethod
    def create_label_queue(self, queue: LabelQueue) -> LabelQueue:
        """Raises AlreadyExistsError when the name is taken."""

    @abc.abstractmethod
    def get_label_queue(self, name: str) -> LabelQueue: ...

    @abc.abstractmethod
    def add_label(self, label: Label) -> None:
        """Raises AlreadyExistsError when the annotator already labelled the item in that role."""

    @abc.abstractmethod
    def list_labels(self, queue_id: str) -> list[Label]:
        """Every label of the queue, by item then time."""

    # -- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (one sharing its database with the other
        stores of a bundle holds nothing: the bundle closes the database)."""
