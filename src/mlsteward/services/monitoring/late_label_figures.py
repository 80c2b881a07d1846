"""What a late-label performance check found, as plain data: per-window coverage, realized
metrics and estimates. The table and page built from it live in their own modules, which
read this and nothing of the computation."""

from __future__ import annotations

from dataclasses import dataclass

from mlsteward.engines.drift import CBPEReport, PerformanceReport


@dataclass(frozen=True)
class LabelCoverage:
    """How many predictions of a window have a label yet."""

    window: str  # "whole" or the chunk's key
    n_predictions: int
    n_labelled: int

    @property
    def share(self) -> float:
        return self.n_labelled / self.n_predictions if self.n_predictions else 0.0


@dataclass(frozen=True)
class LateLabelFigures:
    """Realized metrics on the labelled rows, CBPE estimates when possible, label coverage."""

    task: str
    realized: PerformanceReport
    estimated: CBPEReport | None
    coverage: tuple[LabelCoverage, ...]
    messages: tuple[str, ...] = ()

    @property
    def for_report(self) -> CBPEReport | PerformanceReport:
        """What the drift report's performance section shows (estimates carry realized)."""
        return self.estimated if self.estimated is not None else self.realized
