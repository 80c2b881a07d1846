"""``mlsteward monitor drift``: one drift report on two files, or a file against a profile."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.monitor_performance import read_table
from mlsteward.interfaces.cli.options import TrackingUriOption, client, key_values
from mlsteward.interfaces.cli.output import console, print_json

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.monitoring_files import MonitoringReport

REFERENCE_HELP = (
    "Reference: a .csv/.parquet file, or the name of a stored profile "
    "(`mlsteward monitor profile`)."
)


def drift(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help=REFERENCE_HELP, show_default=False)],
    current: Annotated[Path, typer.Argument(help="Current data: a .csv or .parquet file.")],
    chunk_size: Annotated[int | None, typer.Option(help="Chunk by rows.", min=1)] = None,
    period: Annotated[str | None, typer.Option(help="Chunk by hour/day/week/month.")] = None,
    timestamp_column: Annotated[
        str | None,
        typer.Option(help="The timestamp column: what --period cuts on; never tested."),
    ] = None,
    id_column: Annotated[
        list[str] | None,
        typer.Option(help="An identifier column, never tested (repeatable)."),
    ] = None,
    prediction_column: Annotated[
        list[str] | None,
        typer.Option(help="A column of model predictions: tested, marked as such (repeatable)."),
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="Test only these columns (repeatable).")
    ] = None,
    test: Annotated[
        list[str] | None, typer.Option(help="COLUMN=TEST: the headline test of a column.")
    ] = None,
    threshold: Annotated[
        list[str] | None, typer.Option(help="TEST=VALUE: the threshold of a test.")
    ] = None,
    learn_thresholds: Annotated[
        bool, typer.Option(help="Learn thresholds from the reference's own chunks.")
    ] = False,
    multivariate: Annotated[
        list[str] | None,
        typer.Option(help="Also pca_reconstruction and/or domain_classifier (repeatable)."),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Compare current data with a reference: every column, every chunk, when drift began."""
    import mlsteward.monitoring as mon

    if chunk_size is not None and period is not None:
        raise InvalidArgumentError("Give --chunk-size or --period, not both")
    ref: object
    if Path(reference).is_file():
        ref = read_table(Path(reference), "reference")
    else:  # a stored profile, where this command's store is
        ref = client(ctx, tracking_uri_option).monitoring().load_profile(reference)
    thresholds = {}
    for name, value in key_values(threshold, "--threshold", "TEST=VALUE").items():
        try:
            thresholds[name] = float(value)
        except ValueError:
            raise InvalidArgumentError(f"--threshold {name}={value!r} is not a number") from None
    report = mon.drift_report(
        ref,
        read_table(current, "current data"),
        chunk_by=chunk_size if chunk_size is not None else period,
        timestamp_column=timestamp_column,
        columns=column or None,
        tests=key_values(test, "--test", "COLUMN=TEST"),
        thresholds=thresholds,
        learn_thresholds=learn_thresholds,
        multivariate=multivariate or (),
        title=f"Drift of {current.name} against {Path(reference).name}",
        identifier_columns=id_column or (),
        prediction_columns=prediction_column or (),
    )
    if html is not None:
        report.save_html(html)
    if json_output:
        print_json(report.to_dict())
        return
    console().print(_columns_table(report))
    whole = report.drift.whole
    verdict = "[red]dataset drift[/red]" if whole.drifted else "[green]no dataset drift[/green]"
    began = report.drift.drift_began
    console().print(
        f"{verdict}: {whole.n_drifted} of {whole.n_columns_tested} columns drifted"
        + (f"; drift began in chunk {escape(began)}" if began else "")
    )
    isolated = report.drift.isolated_crossings
    if isolated:
        listed = "; ".join(f"{name} in {', '.join(at)}" for name, at in isolated.items())
        console().print(
            f"isolated threshold crossings (not when drift began): {escape(listed)}",
            soft_wrap=True,
        )
    for m in report.multivariate:
        state = "[red]drifted[/red]" if m.whole.drifted else "stable"
        console().print(f"multivariate {m.method}: {m.whole.value:.4g} ({state})")
    for message in report.drift.messages:
        console().print(f"[yellow]{escape(message)}[/yellow]")
    if html is not None:
        console().print(f"Wrote {escape(str(html))}")


def _columns_table(report: MonitoringReport) -> Table:
    table = Table("column", "kind", "test", "statistic", "p-value", "threshold", "verdict", "began")
    for col in report.drift.whole.columns:
        name = col.column + (f" ({col.role})" if col.role else "")
        if col.status != "ok" or not col.main_test:
            table.add_row(name, col.kind, "-", "-", "-", "-", escape(col.message or ""), "")
            continue
        t = col.test(col.main_test)
        verdict = "[red]drifted[/red]" if col.drifted else "stable"
        table.add_row(
            escape(name),
            col.kind,
            t.test,
            _fmt(t.statistic),
            _fmt(t.p_value),
            f"{_fmt(t.threshold)} {t.threshold_source}",
            verdict,
            escape(report.drift.column_drift_began.get(col.column) or "") if col.drifted else "",
        )
    return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
