"""``mlsteward runs compare``: params and last metrics of several runs side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from mlsteward.domain.entities import Run
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    MISSING,
    console,
    format_number,
    plain,
    print_json,
    styled_status,
)

DIFF_STYLE = "bold yellow"


def _same(values: Sequence[object]) -> bool:
    """All present and equal (NaN counts as equal to NaN: it was logged the same way)."""
    if any(v is None for v in values):
        return False
    first = values[0]
    if isinstance(first, float) and math.isnan(first):
        return all(isinstance(v, float) and math.isnan(v) for v in values)
    return all(v == first for v in values)


def _cell(value: str | float | None, differs: bool) -> str | Text:
    if value is None:
        return MISSING
    shown = format_number(value) if isinstance(value, float) else value
    return plain(shown, DIFF_STYLE if differs else "")


def _section(
    table: Table,
    title: str,
    rows: dict[str, list[str | float | None]],
    diff_only: bool,
) -> None:
    keys = [k for k in sorted(rows) if not (diff_only and _same(rows[k]))]
    if not keys:
        return
    table.add_section()
    table.add_row(f"[bold underline]{title}[/]", *[""] * (len(table.columns) - 1))
    for key in keys:
        differs = not _same(rows[key])
        label = plain(key, DIFF_STYLE if differs else "")
        table.add_row(label, *[_cell(v, differs) for v in rows[key]])


def _collect(found: Sequence[Run], attr: str) -> dict[str, list[str | float | None]]:
    keys = sorted({k for run in found for k in getattr(run.data, attr)})
    return {k: [getattr(run.data, attr).get(k) for run in found] for k in keys}


def compare_runs(
    ctx: typer.Context,
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.", show_default=False)],
    diff_only: Annotated[
        bool, typer.Option("--diff-only", "-d", help="Hide rows where every run agrees.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Params and last metric values of runs side by side; differing values highlighted."""
    unique = list(dict.fromkeys(run_ids))
    if len(unique) < 2:
        raise typer.BadParameter("give at least two different run ids", param_hint="RUN_IDS")
    sdk = client(ctx, tracking_uri)
    found = [sdk.get_run(run_id) for run_id in unique]
    params = _collect(found, "params")
    metrics = _collect(found, "metrics")
    if as_json:
        print_json(
            {
                "runs": [{"run_id": r.info.run_id, "run_name": r.info.run_name} for r in found],
                "params": params,
                "metrics": metrics,
                "differing_params": [k for k, v in params.items() if not _same(v)],
                "differing_metrics": [k for k, v in metrics.items() if not _same(v)],
            }
        )
        return
    table = Table(title=f"Comparing {len(found)} runs", title_justify="left")
    table.add_column("", no_wrap=True)
    for run in found:
        header = Text(run.info.run_name or run.info.run_id[:8], style="bold")
        header.append(f"\n{run.info.run_id}", style="dim cyan")
        table.add_column(header, overflow="fold")
    table.add_row("status", *[styled_status(r.info.status.value) for r in found])
    _section(table, "Params", params, diff_only)
    _section(table, "Metrics", metrics, diff_only)
    out = console()
    out.print(table)
    differing = sum(not _same(v) for v in [*params.values(), *metrics.values()])
    out.print(
        f"[{DIFF_STYLE}]{differing}[/] of {len(params) + len(metrics)} params and metrics differ."
    )


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_runs)
