"""Registry of drift tests: built-ins, plugins from entry points, and the default choice.

Plugins are found through the ``mlsteward.drift_tests`` entry-point group. An entry point may
name a :class:`DriftTest`, an iterable of them, or a zero-argument callable returning either. A
plugin that fails to load is recorded in :attr:`DriftTestRegistry.load_errors` rather than
breaking every drift run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from importlib import metadata

import numpy as np

from mlsteward.engines.drift.categorical_tests import CATEGORICAL_TESTS
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.embedding_tests import EMBEDDING_TESTS
from mlsteward.engines.drift.numeric_tests import NUMERIC_TESTS
from mlsteward.engines.drift.spec import ColumnKind, DriftTest

ENTRY_POINT_GROUP = "mlsteward.drift_tests"

#: Cochran's rule for the chi-square approximation: expected counts of at least 5.
MIN_EXPECTED_COUNT = 5.0


class DriftTestRegistry:
    """Name -> drift test, with lookup by column kind."""

    def __init__(self, tests: Iterable[DriftTest] = ()) -> None:
        self._tests: dict[str, DriftTest] = {}
        self.load_errors: dict[str, str] = {}
        for t in tests:
            self.register(t)

    def register(self, test: DriftTest, *, replace: bool = False) -> None:
        """Add a test; a second test with the same name is an error unless ``replace``."""
        if not isinstance(test, DriftTest):
            raise TypeError(f"expected a DriftTest, got {type(test).__name__}")
        if test.name in self._tests and not replace:
            raise ValueError(f"a drift test named {test.name!r} is already registered")
        self._tests[test.name] = test

    def get(self, name: str) -> DriftTest:
        try:
            return self._tests[name]
        except KeyError:
            known = ", ".join(sorted(self._tests))
            raise KeyError(f"unknown drift test {name!r}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tests

    def __iter__(self) -> Iterator[DriftTest]:
        return iter(self._tests.values())

    def names(self) -> list[str]:
        return sorted(self._tests)

    def for_kind(self, kind: ColumnKind) -> list[DriftTest]:
        return [t for t in self._tests.values() if kind in t.spec.kinds]

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every test advertised under ``group``; returns the names added."""
        added: list[str] = []
        for ep in metadata.entry_points(group=group):
            try:
                obj = ep.load()
                if callable(obj) and not isinstance(obj, DriftTest):
                    obj = obj()
                items = [obj] if isinstance(obj, DriftTest) else list(obj)
                for item in items:
                    self.register(item)
                    added.append(item.name)
            except Exception as exc:  # a broken plugin must not break drift runs
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
        return added


def builtin_tests() -> tuple[DriftTest, ...]:
    return NUMERIC_TESTS + CATEGORICAL_TESTS + EMBEDDING_TESTS


_default: DriftTestRegistry | None = None
_lock = threading.Lock()


def default_registry() -> DriftTestRegistry:
    """Built-in tests plus installed plugins, loaded once per process."""
    global _default
    with _lock:
        if _default is None:
            reg = DriftTestRegistry(builtin_tests())
            reg.load_entry_points()
            _default = reg
        return _default


def choose_default_test(pair: ColumnPair) -> tuple[str, str]:
    """Pick the test for a column by its kind and sample sizes; returns ``(name, reason)``."""
    kind = pair.kind
    if kind is ColumnKind.BINARY:
        levels = int(np.count_nonzero((pair.aligned.reference + pair.aligned.current) > 0))
        if levels > 2:
            return "chi_square", (
                f"binary in the reference, but the two windows hold {levels} distinct values: "
                "two-sample chi-square test on the contingency table (the Z-test needs two)"
            )
        return "z_test", "binary column: two-proportion Z-test on the share of one level"
    if kind is ColumnKind.CATEGORICAL:
        ref_counts, cur_counts = pair.categorical_counts()
        n_ref, n_cur = int(ref_counts.sum()), int(cur_counts.sum())
        totals = ref_counts + cur_counts
        expected_min = float(min(n_ref, n_cur) * totals.min() / (n_ref + n_cur))
        if expected_min >= MIN_EXPECTED_COUNT:
            return "chi_square", (
                "categorical column: two-sample chi-square test; every expected count >= 5, "
                "so its p-value is reliable"
            )
        return "jensen_shannon_categorical", (
            f"categorical column with an expected count of {expected_min:.2g} < 5 "
            "(rare categories or a small sample): chi-square p-values are unreliable there, "
            "so the Jensen–Shannon distance is used"
        )
    if kind is ColumnKind.EMBEDDING:
        return "embedding_mean_shift", (
            "embedding column: bias-corrected shift of the mean vector (cheap, works from a "
            "profile); use embedding_classifier for changes of shape"
        )
    ref, cur = pair.numeric()
    n_min = min(ref.n, cur.n)
    if not pair.is_exact:
        return "ks", (
            "numeric column, reference from a stored profile: Kolmogorov–Smirnov on the "
            "profile's bins (a lower bound of the exact statistic, so a conservative test)"
        )
    if n_min <= 10_000:
        return "ks", (
            f"numeric column, {n_min:,} values on the smaller side: two-sample "
            "Kolmogorov–Smirnov with its exact p-value (distribution-free, powerful for small "
            "samples)"
        )
    return "ks", (
        f"numeric column, {n_min:,} values on the smaller side: two-sample "
        "Kolmogorov–Smirnov with the asymptotic p-value; at this size it detects shifts of a "
        "few hundredths of a standard deviation: use learned thresholds or wasserstein for "
        "practical significance"
    )
