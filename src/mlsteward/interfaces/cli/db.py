"""``mlsteward db upgrade`` migrates a server's database explicitly before starting it;
``mlsteward db check`` reads a whole SQLite store and says whether it is damaged."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mlsteward.interfaces.cli.output import console, err_console, format_size, redact_uri
from mlsteward.interfaces.cli.store_uri import StoreUriOption, resolve_store_uri
from mlsteward.interfaces.sdk.maintenance import check_store, store_file, upgrade_store

#: Findings printed one per line; the rest are counted.
_LISTED = 20

app = typer.Typer(help="Database administration.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(store_uri: Annotated[str | None, StoreUriOption] = None) -> None:
    """Apply pending schema migrations (safe to repeat; never drops data)."""
    uri = resolve_store_uri(store_uri)
    with console().status(f"Upgrading {escape(redact_uri(uri))}..."):
        revision = upgrade_store(uri)
    console().print(
        f"Database [bold]{escape(redact_uri(uri))}[/] is at schema revision [cyan]{revision}[/]"
    )


@app.command("check")
def check(store_uri: Annotated[str | None, StoreUriOption] = None) -> None:
    """Read the whole SQLite file and check it (PRAGMA quick_check); exit 1 if damaged.

    Opening a store checks only its header and schema; this reads every page (about 1 s per
    100 MB from disk), so run it on purpose: after a crash, or before starting a server.
    """
    path = store_file(resolve_store_uri(store_uri))
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"Checking {escape(path)} ({format_size(size)})", total=None)
        result = check_store(path, progress=lambda: bar.advance(task))
    if result.ok:
        console().print(
            f"[green]ok[/] {escape(result.path)} ({format_size(result.size)}): no damage found"
        )
        return
    for finding in result.findings[:_LISTED]:
        console().print(escape(finding), soft_wrap=True)
    if len(result.findings) > _LISTED:
        console().print(f"... and {len(result.findings) - _LISTED} more")
    raise result.damage()
