"""``mlsteward db upgrade``: migrate a server's database explicitly before starting it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mlsteward.interfaces.cli.output import console, redact_uri
from mlsteward.interfaces.cli.store_uri import StoreUriOption, resolve_store_uri
from mlsteward.services.admin import upgrade_store

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
