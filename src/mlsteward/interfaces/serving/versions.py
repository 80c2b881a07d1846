"""The model versions a data plane serves right now, swapped as one immutable snapshot.

A request takes the snapshot once and keeps the version it found even if a new plan is
applied meanwhile: the old version's batcher runs until its queue is empty, so moving an
alias fails no request.
"""

from __future__ import annotations

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

    def pick(self) -> ServedVersion:
        """The version an unversioned request goes to (by route weight)."""
        if len(self.answering) == 1:
            return self.answering[0][0]
        total = sum(w for _, w in self.answering)
        point = random.random() * total  # noqa: S311 - traffic split, not security
        for served, weight in self.answering:
            point -= weight
            if point < 0:
                return served
        return self.answering[-1][0]

    def names(self) -> set[str]:
        """The model names a URL may use: the deployment's and each served model's."""
        return {self.plan.deployment, *(name for name, _ in self.versions)}

    def find(self, name: str, version: str | None = None) -> ServedVersion:
        """The version a ``/v2/models/{name}[/versions/{version}]`` URL names, else 404."""
        if name not in self.names():
            raise NotFoundError(f"Unknown model {name!r}: this data plane serves {self._listing()}")
        if version is None:
            return self.pick()
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
