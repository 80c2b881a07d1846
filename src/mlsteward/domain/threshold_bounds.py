"""Whether a new set of acceptance thresholds lets through anything the old set refused.

Thresholds on one metric together accept an interval of values (``auc >= 0.8`` and
``auc < 0.99`` accept [0.8, 0.99)); a metric with no threshold accepts anything, even a
missing or NaN value, which every threshold refuses. A change *loosens* a metric when the
values the new thresholds accept are not all accepted by the old ones: a bound lowered
(``>= 0.9`` to ``>= 0.8``) or raised (``<= 3`` to ``<= 4``), ``>`` relaxed to ``>=`` at the
same value, or the metric's thresholds removed. Adding a threshold, or tightening one,
loosens nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlsteward.domain.registry import AcceptanceThreshold


@dataclass(frozen=True)
class Accepted:
    """The interval of values thresholds accept; ``*_open`` excludes that end."""

    low: float = -math.inf
    low_open: bool = False
    high: float = math.inf
    high_open: bool = False

    def is_empty(self) -> bool:
        return self.low > self.high or (self.low == self.high and (self.low_open or self.high_open))

    def within(self, other: Accepted) -> bool:
        """Whether every value this interval accepts, ``other`` accepts too."""
        if self.is_empty():
            return True
        if other.is_empty():
            return False
        low_ok = self.low > other.low or (
            self.low == other.low and (self.low_open or not other.low_open)
        )
        high_ok = self.high < other.high or (
            self.high == other.high and (self.high_open or not other.high_open)
        )
        return low_ok and high_ok


def _raise_low(accepted: Accepted, value: float, is_open: bool) -> Accepted:
    if value > accepted.low or (value == accepted.low and is_open):
        return Accepted(value, is_open, accepted.high, accepted.high_open)
    return accepted


def _lower_high(accepted: Accepted, value: float, is_open: bool) -> Accepted:
    if value < accepted.high or (value == accepted.high and is_open):
        return Accepted(accepted.low, accepted.low_open, value, is_open)
    return accepted


def accepted_values(thresholds: Iterable[AcceptanceThreshold]) -> Accepted:
    """The values that meet every one of ``thresholds`` (all on the same metric)."""
    accepted = Accepted()
    for th in thresholds:
        if th.op in (">=", ">", "=="):
            accepted = _raise_low(accepted, th.value, th.op == ">")
        if th.op in ("<=", "<", "=="):
            accepted = _lower_high(accepted, th.value, th.op == "<")
    return accepted


def _describe(thresholds: Sequence[AcceptanceThreshold]) -> str:
    return " and ".join(str(th) for th in thresholds) or "no threshold"


def loosened_thresholds(
    old: Sequence[AcceptanceThreshold], new: Sequence[AcceptanceThreshold]
) -> list[str]:
    """One line per metric the change loosens (``"auc >= 0.9 -> auc >= 0.8"``); [] if none."""
    loosened = []
    for metric in dict.fromkeys(th.metric for th in old):
        before = [th for th in old if th.metric == metric]
        after = [th for th in new if th.metric == metric]
        if not after or not accepted_values(after).within(accepted_values(before)):
            loosened.append(f"{_describe(before)} -> {_describe(after)}")
    return loosened
