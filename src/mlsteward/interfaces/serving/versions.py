"""The model versions a data plane serves right now, swapped as one immutable snapshot.

A request takes the snapshot once and keeps the version it found even if a new plan is
applied meanwhile: the old version's batcher runs until its queue is empty, so moving an
alias fails no request.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlsteward.domain.deployments import ServingPlan
from mlsteward.domain.errors import NotFoundError
from mlsteward.engines.serving.batcher import AdaptiveBatcher
from mlsteward.engines.serving.model_runner import Answer, Job, ModelRunner


@dataclass(eq=False)
class ServedVersion:
    """One loaded, warmed model version and the batcher in front of it."""

    deployment: str
    route: str
    model_name: str
    version: int
    runtime: str
    runner: ModelRunner
    batcher: AdaptiveBatcher[Job, Answer]
    #: prometheus children, labelled once (``.labels()`` per request costs microseconds)
    instruments: dict[str, Any] = field(default_factory=dict)

    @property
    def version_label(self) -> str:
        return str(self.version)


@dataclass(frozen=True)
class Snapshot:
    """Everything routing needs, built once per plan."""

    plan: ServingPlan
    #: (model name, version) -> the version serving it
    versions: Mapping[tuple[str, int], ServedVersion]
    #: routes that answer callers (shadow copies never do), with their weights
    answering: tuple[tuple[ServedVersion, float], ...]

    #: versions that get a copy of each answered request (their answers are logged only)
    shadows: tuple[ServedVersion, ...] = ()

    def pick(self, key: str | None = None) -> ServedVersion:
        """The version an unversioned request goes to, by route weight: at random, or, given
        a sticky ``key``, by its hash, so one key keeps one route while the weights hold (and
        a key on the candidate stays there as its share grows: candidates come first)."""
        if len(self.answering) == 1:
            return self.answering[0][0]
        total = sum(w for _, w in self.answering)
        share = random.random() if key is None else key_share(key)  # noqa: S311 - not security
        point = share * total
        for served, weight in self.answering:
            point -= weight
            if point < 0:
                return served
        return self.answering[-1][0]

    def sticky(
        self, headers: Mapping[str, str], batch: Mapping[str, Any] | None = None
    ) -> str | None:
        """The request's sticky key under this plan (None: route at random)."""
        return sticky_value(self.plan.sticky_key, headers, batch or {})

    @property
    def sticky_on_input(self) -> bool:
        """Whether the sticky key is an input value (known only once the body is decoded)."""
        return bool(self.plan.sticky_key and self.plan.sticky_key.startswith("input:"))

    def names(self) -> set[str]:
        """The model names a URL may use: the deployment's and each served model's."""
        return {self.plan.deployment, *(name for name, _ in self.versions)}

    def find(self, name: str, version: str | None = None, key: str | None = None) -> ServedVersion:
        """The version a ``/v2/models/{name}[/versions/{version}]`` URL names, else 404
        (unversioned: by route weight, sticky on ``key`` when given)."""
        if name not in self.names():
            raise NotFoundError(f"Unknown model {name!r}: this data plane serves {self._listing()}")
        if version is None:
            return self.pick(key)
        for (model, number), served in self.versions.items():
            if str(number) == version and (name == model or name == self.plan.deployment):
                return served
        raise NotFoundError(
            f"Model {name!r} has no version {version!r} here: this data plane serves "
            f"{self._listing()}"
        )

    def versions_of(self, name: str) -> list[str]:
        return sorted(
            (str(v) for (model, v) in self.versions if name in (model, self.plan.deployment)),
            key=int,
        )

    def _listing(self) -> str:
        return ", ".join(f"{m} version {v}" for m, v in self.versions) or "nothing yet"


def key_share(key: str) -> float:
    """Where ``key`` falls in [0, 1): the same for every process and restart (not Python's
    salted ``hash``)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def sticky_value(
    sticky_key: str | None, headers: Mapping[str, str], batch: Mapping[str, Any]
) -> str | None:
    """The value a plan's ``sticky_key`` names in one request: ``header:NAME`` (a request
    header) or ``input:NAME`` (the first row's value of that input); None when absent."""
    if not sticky_key:
        return None
    kind, _, name = sticky_key.partition(":")
    if kind == "header":
        return headers.get(name)
    column = batch.get(name)
    if column is None or len(column) == 0:
        return None
    first = column[0]
    if getattr(first, "size", 1) != 1:  # a row of a 2-D tensor: all of its values
        return str(first.tolist())
    return str(first.item() if hasattr(first, "item") else first)
