"""Drift reports on tables: the engine's results plus JSON and a self-contained HTML page.

Bad input (an empty window, a missing or all-NaN column, mismatched types, unparsable
timestamps) ends up as a message in the report; only settings that cannot mean anything (an
unknown test, a chunking without a timestamp column) raise ``InvalidArgumentError``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.drift import (
    MULTIVARIATE_METHODS,
    CBPEReport,
    Chunker,
    ColumnConfig,
    ColumnRoles,
    DriftAnalyzer,
    DriftReport,
    Frame,
    MultivariateDriftResult,
    PerformanceReport,
    ReferenceProfile,
    build_profile,
    multivariate_drift,
    to_jsonable,
)
from mlsteward.engines.rendering import render
from mlsteward.services.monitoring.report_views import (
    column_views,
    multivariate_views,
    performance_table,
    performance_views,
)

ChunkBy = Chunker | int | str | Mapping[str, Any] | None


def make_chunker(chunk_by: ChunkBy, timestamp_column: str | None = None) -> Chunker | None:
    """A chunker from a size (int), a period name ("day"), ``count:N``, or a mapping."""
    try:
        if chunk_by is None or isinstance(chunk_by, Chunker):
            return chunk_by
        if isinstance(chunk_by, bool):
            raise ValueError("chunk_by must be a size, a period or a mapping")
        if isinstance(chunk_by, int):
            return Chunker(size=chunk_by)
        if isinstance(chunk_by, str):
            if chunk_by.startswith("count:"):
                return Chunker(count=int(chunk_by.split(":", 1)[1]))
            if chunk_by.isdigit():
                return Chunker(size=int(chunk_by))
            return Chunker(period=chunk_by, timestamp_column=timestamp_column)
        spec = {k: v for k, v in dict(chunk_by).items() if v is not None}
        if timestamp_column and "timestamp_column" not in spec:
            spec["timestamp_column"] = timestamp_column
        if not spec:
            return None
        return Chunker(**spec)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Invalid chunking {chunk_by!r}: {error}") from error


def column_config(tests: Mapping[str, str | Sequence[str]] | None) -> dict[str, ColumnConfig]:
    """Per-column test overrides: a test name or a list (the first is the headline test)."""
    out = {}
    for column, chosen in (tests or {}).items():
        names = (chosen,) if isinstance(chosen, str) else tuple(chosen)
        out[column] = ColumnConfig(tests=names)
    return out


@dataclass(frozen=True)
class MonitoringReport:
    """A drift report (and optional performance) that renders to JSON and offline HTML."""

    drift: DriftReport
    performance: CBPEReport | PerformanceReport | None = None
    title: str = "Drift report"
    generated: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    )
    # a monitor's performance check: labels joined by id, per window, judged against bounds
    performance_check: Mapping[str, Any] | None = None
    # joint-distribution drift (PCA reconstruction error, domain classifier), when asked for
    multivariate: tuple[MultivariateDriftResult, ...] = ()
    # for plots only (not serialized): the reference profile and the current data
    reference_profile: ReferenceProfile | None = field(default=None, repr=False, compare=False)
    current: Any = field(default=None, repr=False, compare=False)

    @property
    def drifted(self) -> bool:
        return self.drift.whole.drifted

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.drift.whole.columns if c.drifted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generated": self.generated,
            "drift": self.drift.to_dict(),
            "performance": self.performance.to_dict() if self.performance else None,
            "performance_check": (
                dict(self.performance_check) if self.performance_check is not None else None
            ),
            "multivariate": [m.to_dict() for m in self.multivariate],
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(to_jsonable(self.to_dict()), indent=indent, allow_nan=False)

    def to_html(self) -> str:
        """One HTML page with inline CSS and SVG: no scripts, no network references."""
        frame = None
        if self.current is not None:
            try:
                frame = Frame(self.current)
            except (TypeError, ValueError):
                frame = None
        settings = dict(self.drift.settings)
        chunker = settings.get("chunker") or {}
        return render_page(
            "drift_report.html.j2",
            title=self.title,
            generated=self.generated,
            settings={"reference": "?", "reference_rows": "?", **settings},
            chunker=", ".join(f"{k}={v}" for k, v in chunker.items() if v is not None),
            whole=self.drift.whole,
            drift_began=self.drift.drift_began,
            column_onsets=self.drift.column_drift_began,
            isolated=self.drift.isolated_crossings,
            messages=self.drift.messages,
            columns=column_views(self.drift, self.reference_profile, frame),
            performance=performance_views(self.performance, self.performance_check),
            performance_check=performance_table(self.performance_check),
            multivariate=multivariate_views(self.multivariate),
        )

    def save_html(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.to_html(), encoding="utf-8")
        return target


def render_page(template: str, **values: Any) -> str:
    """Render one of the monitoring pages (``drift_report.html.j2``, ``late_labels.html.j2``)."""
    return render(template, **values)


def drift_report(
    reference: object,
    current: object,
    *,
    chunk_by: ChunkBy = None,
    timestamp_column: str | None = None,
    columns: Sequence[str] | None = None,
    tests: Mapping[str, str | Sequence[str]] | None = None,
    thresholds: Mapping[str, float] | None = None,
    learn_thresholds: bool = False,
    drift_share: float = 0.5,
    performance: CBPEReport | PerformanceReport | None = None,
    multivariate: Sequence[str] = (),
    title: str = "Drift report",
    identifier_columns: Sequence[str] = (),
    prediction_columns: Sequence[str] = (),
) -> MonitoringReport:
    """Compare ``current`` with ``reference`` (a table or a :class:`ReferenceProfile`).

    ``chunk_by`` cuts the current data (and, with ``learn_thresholds``, the reference) by
    size, count or period (``"day"`` with ``timestamp_column``) so the report shows when
    drift began. ``tests`` overrides the test per column, ``thresholds`` per test name.
    ``timestamp_column`` and ``identifier_columns`` are never tested (however they are
    chunked); ``prediction_columns`` are tested and marked as the model's predictions.
    ``multivariate`` adds joint-distribution drift: ``"pca_reconstruction"`` (bounds learned
    from the reference's chunks, so give ``chunk_by``) and/or ``"domain_classifier"``; both
    need reference rows: the reference table, or a profile that keeps a sample of them.
    """
    methods = [multivariate] if isinstance(multivariate, str) else list(multivariate)
    unknown = sorted(set(methods) - set(MULTIVARIATE_METHODS))
    if unknown:
        raise InvalidArgumentError(
            f"Unknown multivariate method(s) {unknown}; use {list(MULTIVARIATE_METHODS)}"
        )
    chunker = make_chunker(chunk_by, timestamp_column)
    if learn_thresholds and chunker is None:
        raise InvalidArgumentError("learn_thresholds needs chunk_by to cut the reference")
    roles = column_roles(
        identifier_columns,
        timestamp_column or (chunker.timestamp_column if chunker else None),
        prediction_columns,
    )
    try:
        analyzer = DriftAnalyzer(
            reference,
            columns=list(columns) if columns is not None else None,
            column_config=column_config(tests),
            thresholds=dict(thresholds or {}),
            chunker=chunker,
            learn_thresholds=learn_thresholds,
            drift_share=drift_share,
            roles=roles,
        )
    except KeyError as error:
        raise InvalidArgumentError(f"Unknown drift test {error}") from error
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Cannot use this reference: {error}") from error
    try:
        result = analyzer.run(current)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Cannot read the current data: {error}") from error
    profile = reference if isinstance(reference, ReferenceProfile) else None
    joint: tuple[MultivariateDriftResult, ...] = ()
    if methods:
        joint, notes = _multivariate(reference, current, methods, chunker, columns, roles)
        result = dataclasses.replace(result, messages=(*result.messages, *notes))
    if profile is None:
        try:
            profile = build_profile(reference, columns=columns)
        except (TypeError, ValueError):
            profile = None  # plots only: the report still has every test result
    return MonitoringReport(
        result, performance, title, multivariate=joint, reference_profile=profile, current=current
    )


def column_roles(
    identifier_columns: Sequence[str] = (),
    timestamp_column: str | None = None,
    prediction_columns: Sequence[str] = (),
) -> ColumnRoles:
    """The columns a caller named, checked: a name given twice over is an error."""
    try:
        return ColumnRoles.of(identifier_columns, timestamp_column, prediction_columns)
    except ValueError as error:
        raise InvalidArgumentError(str(error)) from error


def _multivariate(
    reference: object,
    current: object,
    methods: Sequence[str],
    chunker: Chunker | None,
    columns: Sequence[str] | None,
    roles: ColumnRoles,
) -> tuple[tuple[MultivariateDriftResult, ...], tuple[str, ...]]:
    """Joint-distribution drift against the reference's rows: the table, or the sample of
    rows a profile keeps (none kept: a message). Identifier and timestamp columns are left
    out, as they are of the per-column tests."""
    rows: object = reference
    notes: tuple[str, ...] = ()
    if isinstance(reference, ReferenceProfile):
        sample = getattr(reference, "sample", None)
        if sample is None:
            return (), ("multivariate drift needs the reference table, not a stored profile",)
        rows = sample.to_pandas()
        notes = (
            f"multivariate drift ran on a reservoir sample of {sample.num_rows:,} reference "
            "rows (the profile keeps no more)",
        )
    if roles.identifiers or roles.timestamp:
        names = list(columns) if columns is not None else Frame(rows).columns
        columns = [n for n in names if roles.untested_reason(n) is None]
    joint, more = multivariate_drift(rows, current, methods, chunker=chunker, columns=columns)
    return joint, (*notes, *more)
