"""``mlsteward tokens ...``: API tokens for scripts, CI and services.

A token's secret is printed once, by ``create``; the platform keeps only its hash, so
``list`` shows records (name, expiry, last use), never secrets.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import ApiToken
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import MISSING, console, format_time, plain, print_json
from mlsteward.interfaces.cli.users import show_secret

app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)


def token_dict(token: ApiToken) -> dict[str, Any]:
    return dataclasses.asdict(token)


@app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", "-n", help="What the token is for (e.g. ci-nightly).")
    ] = "cli",
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", help="Whose token (admins only; default: yours).", show_default=False
        ),
    ] = None,
    expires_days: Annotated[
        float | None,
        typer.Option(
            "--expires-days",
            help="Days until it expires (default 90); 0 for never (admins and service "
            "accounts only).",
            show_default=False,
        ),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="It may only read, whatever its owner may do.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token and print its secret, this once."""
    if expires_days is not None and expires_days < 0:
        raise InvalidArgumentError("--expires-days must be 0 (never) or more")
    expires: float | None = 90.0 if expires_days is None else float(expires_days)
    if expires == 0:
        expires = None
    token, secret = (
        client(ctx, tracking_uri)
        .identity()
        .create_token(name, user=user, expires_in_days=expires, read_only=read_only)
    )
    if as_json:
        print_json({"token": token_dict(token), "secret": secret})
        return
    until = f"until {format_time(token.expires_at_ms)}" if token.expires_at_ms else "no expiry"
    mode = ", read-only" if token.read_only else ""
    console().print(
        f"Created token [bold]{escape(token.name)}[/] ([cyan]{token.token_id}[/], {until}{mode})."
    )
    show_secret(secret, "Secret:")


def _state(token: ApiToken, now_ms: int) -> str:
    if token.revoked_at_ms is not None:
        return "[red]revoked[/]"
    if not token.usable_at(now_ms):
        return "[yellow]expired[/]"
    return "[green]active[/]"


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", help="Whose tokens (admins; default: yours).", show_default=False
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Token records (never their secrets)."""
    tokens = client(ctx, tracking_uri).identity().list_tokens(user)
    if as_json:
        print_json([token_dict(token) for token in tokens])
        return
    if not tokens:
        console().print("No tokens.")
        return
    now = int(time.time() * 1000)
    table = Table(title="API tokens", title_justify="left")
    for column in ("Token ID", "Name", "State", "Mode", "Created", "Expires", "Last used"):
        table.add_column(column, no_wrap=column == "Token ID")
    for token in tokens:
        table.add_row(
            plain(token.token_id, "cyan"),
            plain(token.name, "bold"),
            _state(token, now),
            "read-only" if token.read_only else "read-write",
            format_time(token.created_at_ms),
            format_time(token.expires_at_ms) if token.expires_at_ms else "never",
            format_time(token.last_used_at_ms) if token.last_used_at_ms else MISSING,
        )
    console().print(table)


@app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (from tokens list).")],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Revoke a token (yours, or anyone's as an admin): it stops working at once."""
    token = client(ctx, tracking_uri).identity().revoke_token(token_id)
    console().print(f"Revoked token [bold]{escape(token.name)}[/] ([cyan]{token.token_id}[/]).")
