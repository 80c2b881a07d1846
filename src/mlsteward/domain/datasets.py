"""Datasets: immutable, content-addressed versions, their lineage, run inputs and label queues."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError

#: Dataset names and aliases: letters, digits, ``._-``; not starting with a digit for aliases
#: (``name@3`` is a version, ``name@prod`` an alias).
#: Matched whole (``fullmatch``: ``$`` alone lets a trailing newline through); public so the
#: OpenAPI document states these very expressions.
MAX_NAME_LENGTH, MAX_ALIAS_LENGTH = 200, 100
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$")
ALIAS_PATTERN = re.compile(rf"^[A-Za-z_][A-Za-z0-9._-]{{0,{MAX_ALIAS_LENGTH - 1}}}$")

#: How a version came to be.
KINDS = ("ingest", "transform", "split", "labels")


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable version of a dataset.

    ``content_hash`` is the canonical Arrow hash of the rows (the version's content id);
    ``blob_digest`` the SHA-256 of its Parquet file in the blob store. ``lineage`` records
    how it was made (source description, steps with their fitted state, split spec, code
    version); ``parents`` the versions it was derived from, in order.
    """

    dataset_version_id: str
    name: str
    version: int
    content_hash: str
    blob_digest: str
    num_rows: int
    num_bytes: int
    schema: list[tuple[str, str]]
    kind: str
    lineage: dict[str, Any]
    parents: list[str]
    profile_digest: str | None
    report_digest: str | None
    created_by: str
    creation_time: int
    description: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class DatasetInput:
    """A run used a dataset version, in a context such as ``"training"``."""

    run_id: str
    dataset_version_id: str
    context: str
    timestamp: int


@dataclass(frozen=True)
class LabelQueue:
    """Items of a dataset version waiting for labels; ``reviews`` extra labels per item."""

    queue_id: str
    name: str
    dataset_version_id: str
    label_column: str
    choices: list[str]
    reviews: int
    num_items: int
    created_by: str
    creation_time: int


@dataclass(frozen=True)
class Label:
    """One annotator's label for one item (row index) of a queue."""

    queue_id: str
    item: int
    annotator: str
    value: str
    role: str  # "primary" or "review"
    timestamp: int


def validate_dataset_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidArgumentError(
            f"Invalid dataset name {name!r}: use 1-200 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def validate_alias(alias: object) -> str:
    if not isinstance(alias, str) or not ALIAS_PATTERN.fullmatch(alias):
        raise InvalidArgumentError(
            f"Invalid alias {alias!r}: start with a letter or '_', then letters, digits, "
            "'.', '_' or '-' (digits alone would read as a version number)"
        )
    return alias


@dataclass(frozen=True)
class DatasetRef:
    """A parsed ``name``, ``name@3`` or ``name@alias``."""

    name: str
    version: int | None = None
    alias: str | None = None

    @classmethod
    def parse(cls, text: str) -> DatasetRef:
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgumentError("A dataset reference is 'name', 'name@3' or 'name@alias'")
        name, sep, rest = text.strip().partition("@")
        validate_dataset_name(name)
        if not sep:
            return cls(name)
        if rest.isdigit():
            if int(rest) < 1:
                raise InvalidArgumentError(f"Dataset versions start at 1, not {rest!r}")
            return cls(name, version=int(rest))
        return cls(name, alias=validate_alias(rest))

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@{self.version}"
        return f"{self.name}@{self.alias}" if self.alias else self.name


#: The roles a label plays in a queue: the first answer, or a review of it.
LABEL_ROLES = ("primary", "review")
#: The most review labels a queue may ask for per item.
MAX_REVIEWS = 5
