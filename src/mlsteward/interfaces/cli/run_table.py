"""The table of ``mlsteward runs list``: which columns to show and how many fit the terminal.

Rich squeezes every column when a table is too wide, which makes 32-digit run ids and metric
values unreadable. Instead each candidate column gets a priority and columns are added, most
important first, while they fit; the caller reports the ones left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from mlsteward.domain.entities import Run
from mlsteward.interfaces.cli.output import (
    MISSING,
    format_duration,
    format_number,
    format_time,
    plain,
    styled_status,
)

AUTO_METRIC_COLUMNS = 5
AUTO_PARAM_COLUMNS = 3
NAME_WIDTH = 30
_COLUMN_OVERHEAD = 3  # a border and one space of padding on each side


@dataclass(frozen=True)
class _Column:
    header: Text
    cells: list[Text]
    priority: int  # 0 is always shown; larger numbers go first when space is short
    justify: str = "left"
    max_width: int | None = None

    @property
    def width(self) -> int:
        widest = max((cell_len(c.plain) for c in self.cells), default=0)
        natural = max(cell_len(self.header.plain), widest)
        return min(natural, self.max_width) if self.max_width else natural


def metric_keys(found: Sequence[Run]) -> list[str]:
    """Keys most runs have (alphabetical among equals), at most ``AUTO_METRIC_COLUMNS``."""
    counts = Counter(k for run in found for k in run.data.metrics)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return sorted(ranked[:AUTO_METRIC_COLUMNS])


def param_keys(found: Sequence[Run]) -> list[str]:
    """Params several runs have with different values (what a sweep varies)."""
    varying = []
    for key in sorted({k for run in found for k in run.data.params}):
        values = [run.data.params[key] for run in found if key in run.data.params]
        if len(values) > 1 and len(set(values)) > 1:
            varying.append(key)
    return varying[:AUTO_PARAM_COLUMNS]


def _name(run: Run) -> Text:
    name = run.info.run_name or run.info.run_id[:8]
    return plain(f"↳ {name}" if run.info.parent_run_id else name)


def _candidates(
    found: Sequence[Run],
    experiment_names: dict[str, str],
    params: list[str],
    metrics: list[str],
    chosen: bool,
) -> list[_Column]:
    def markup(value: str) -> Text:
        return Text.from_markup(value)

    columns = [
        _Column(plain("Run ID"), [plain(r.info.run_id, "cyan") for r in found], 0),
        _Column(plain("Name"), [_name(r) for r in found], 0, max_width=NAME_WIDTH),
        _Column(plain("Status"), [markup(styled_status(r.info.status.value)) for r in found], 1),
    ]
    if len({r.info.experiment_id for r in found}) > 1:
        cells = [
            plain(experiment_names.get(r.info.experiment_id, r.info.experiment_id)) for r in found
        ]
        columns.append(_Column(plain("Experiment"), cells, 2))
    for key in params:
        cells = [
            plain(r.data.params[key]) if key in r.data.params else markup(MISSING) for r in found
        ]
        columns.append(_Column(plain(key, "magenta"), cells, 1 if chosen else 3))
    for key in metrics:
        cells = [
            plain(format_number(r.data.metrics[key])) if key in r.data.metrics else markup(MISSING)
            for r in found
        ]
        columns.append(_Column(plain(key, "green"), cells, 1 if chosen else 4, "right"))
    columns.append(
        _Column(plain("Started"), [plain(format_time(r.info.start_time)) for r in found], 5)
    )
    columns.append(
        _Column(
            plain("Duration"),
            [plain(format_duration(r.info.start_time, r.info.end_time)) for r in found],
            6,
            "right",
        )
    )
    return columns


def runs_table(
    found: Sequence[Run],
    experiment_names: dict[str, str],
    width: int,
    params: list[str] | None = None,
    metrics: list[str] | None = None,
) -> tuple[Table, list[str]]:
    """The table for ``found`` within ``width`` cells, and the headers that did not fit.

    Explicitly chosen params and metrics always fit before anything optional; otherwise the
    varying params and the most common metrics are shown as space allows, before the times.
    """
    chosen = bool(params or metrics)
    columns = _candidates(
        found,
        experiment_names,
        (params or []) if chosen else param_keys(found),
        (metrics or []) if chosen else metric_keys(found),
        chosen,
    )
    budget = width - 1
    keep: set[int] = set()
    order = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    full = False  # once one column misses, later ones wait too: a predictable choice
    for index in order:
        cost = columns[index].width + _COLUMN_OVERHEAD
        if columns[index].priority == 0 or (not full and cost <= budget):
            keep.add(index)
            budget -= cost
        else:
            full = True
    table = Table(title=f"Runs ({len(found)})", title_justify="left")
    shown = [c for i, c in enumerate(columns) if i in keep]
    for column in shown:
        table.add_column(
            column.header,
            justify="right" if column.justify == "right" else "left",
            no_wrap=True,
            max_width=column.max_width,
            overflow="ellipsis",
        )
    for row in range(len(found)):
        table.add_row(*[column.cells[row] for column in shown])
    hidden = [c.header.plain for i, c in enumerate(columns) if i not in keep]
    return table, hidden
