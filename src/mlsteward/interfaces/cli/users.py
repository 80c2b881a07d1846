"""``mlsteward users ...``: accounts of people and services.

Every rule (who may create, see or change an account; what a good password is) is the
platform's; these commands parse, call the SDK and render.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.identity import User
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    MISSING,
    console,
    err_console,
    format_time,
    plain,
    print_json,
    redact_uri,
)
from mlsteward.interfaces.cli.password_input import (
    PasswordStdinOption,
    current_password,
    new_password,
)
from mlsteward.interfaces.cli.store_uri import StoreUriOption, resolve_store_uri
from mlsteward.interfaces.sdk.identity_calls import IdentityCalls
from mlsteward.interfaces.sdk.sign_in import create_admin_on_store

app = typer.Typer(help="User and service accounts.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The account's name.", show_default=False)]


def _identity(ctx: typer.Context, uri: str | None) -> IdentityCalls:
    return client(ctx, uri).identity()


def user_dict(user: User) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "name": user.name,
        "kind": str(user.kind),
        "active": user.active,
        "has_password": user.has_password,
        "email": user.email,
        "oidc_issuer": user.oidc_issuer,
        "created_at_ms": user.created_at_ms,
        "created_by": user.created_by,
    }


def _show(user: User, note: str = "") -> None:
    out = console()
    state = "active" if user.active else "[red]disabled[/]"
    out.print(f"[bold]{escape(user.name)}[/] ({user.kind}, {state}){note}")
    out.print(f"  id {user.user_id}  created {format_time(user.created_at_ms)}", end="")
    out.print(f" by {escape(user.created_by)}")
    sign_in = ["password"] if user.has_password else []
    if user.oidc_issuer:
        sign_in.append(f"identity provider {user.oidc_issuer}")
    out.print(f"  signs in with: {escape(', '.join(sign_in) or 'API tokens only')}")
    if user.email:
        out.print(f"  email {escape(user.email)}")


def show_secret(secret: str, what: str) -> None:
    """A new token's secret, the one time it is shown, with what to do about it."""
    console().print(f"[bold]{what}[/]")
    # Printed bare on its own line, so it can be copied or captured by a script.
    typer.echo(secret)
    err_console().print(
        "[yellow]Store this token now (a password manager, a CI secret): it is shown only "
        "this once and cannot be read back.[/]",
        soft_wrap=True,
    )


@app.command("create")
def create_user(
    ctx: typer.Context,
    name: NameArgument,
    service: Annotated[
        bool, typer.Option("--service", help="A service account: API tokens only, no password.")
    ] = False,
    email: Annotated[str | None, typer.Option(help="Contact address.", show_default=False)] = None,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="Give a person no password (tokens only)."),
    ] = False,
    password_stdin: PasswordStdinOption = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an account (admins only). A person's password is asked for, hidden."""
    password = None
    if not service and not no_password:
        password = new_password(password_stdin)
    user = _identity(ctx, tracking_uri).create_user(
        name, kind="service" if service else "user", password=password, email=email
    )
    if as_json:
        print_json(user_dict(user))
        return
    _show(user, " created")


@app.command("create-admin")
def create_admin(
    name: NameArgument,
    store_uri: Annotated[str | None, StoreUriOption] = None,
    with_password: Annotated[
        bool, typer.Option("--with-password", help="Also set a password (asked, hidden).")
    ] = False,
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make an admin account on the store itself (no server, no sign-in: whoever can open
    the database), and print its first API token once. For the first admin of a server, or
    to recover access."""
    password = new_password(password_stdin) if with_password or password_stdin else None
    uri = resolve_store_uri(store_uri)
    user, secret = create_admin_on_store(uri, name, password=password)
    if as_json:
        print_json({"user": user_dict(user), "token": secret})
        return
    console().print(
        f"Created admin [bold]{escape(user.name)}[/] in {escape(redact_uri(uri))}, "
        "with a server-wide admin grant."
    )
    show_secret(secret, "API token (no expiry; revoke it once you have made others):")


@app.command("list")
def list_users(
    ctx: typer.Context, tracking_uri: TrackingUriOption = None, as_json: JsonOption = False
) -> None:
    """Every account (admins only)."""
    users = _identity(ctx, tracking_uri).list_users()
    if as_json:
        print_json([user_dict(user) for user in users])
        return
    if not users:
        console().print("No accounts yet.")
        return
    table = Table(title="Users", title_justify="left")
    for column in ("Name", "Kind", "State", "Signs in with", "Email", "Created"):
        table.add_column(column)
    for user in users:
        ways = (
            "password"
            if user.has_password
            else ("identity provider" if user.oidc_issuer else "tokens")
        )
        table.add_row(
            plain(user.name, "bold"),
            str(user.kind),
            "active" if user.active else "[red]disabled[/]",
            ways,
            plain(user.email) if user.email else MISSING,
            format_time(user.created_at_ms),
        )
    console().print(table)


@app.command("show")
def show_user(
    ctx: typer.Context,
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """One account (yours, or any for an admin)."""
    user = _identity(ctx, tracking_uri).get_user(name)
    if as_json:
        print_json(user_dict(user))
        return
    _show(user)


def _set_active(ctx: typer.Context, name: str, uri: str | None, active: bool) -> None:
    user = _identity(ctx, uri).update_user(name, active=active)
    state = "enabled" if user.active else "disabled (its tokens stop working)"
    console().print(f"[bold]{escape(user.name)}[/] is {state}.")


@app.command("disable")
def disable_user(
    ctx: typer.Context, name: NameArgument, tracking_uri: TrackingUriOption = None
) -> None:
    """Stop an account from signing in; its tokens stop working at once (admins only)."""
    _set_active(ctx, name, tracking_uri, False)


@app.command("enable")
def enable_user(
    ctx: typer.Context, name: NameArgument, tracking_uri: TrackingUriOption = None
) -> None:
    """Let a disabled account sign in again (admins only)."""
    _set_active(ctx, name, tracking_uri, True)


@app.command("set-password")
def set_password(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="Whose password (default: yours).", show_default=False),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the passwords from stdin: your current one first when it is your "
            "own, then the new one.",
        ),
    ] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Set a password: your own (giving the current one), or anyone's as an admin."""
    calls = _identity(ctx, tracking_uri)
    me = calls.whoami().name
    target = name or me
    own = target.casefold() == me.casefold()
    # Changing your own password proves it is you (the platform checks it).
    current = current_password(password_stdin) if own and calls.get_user(me).has_password else None
    password = new_password(password_stdin, "New password")
    user = calls.update_user(target, password=password, current_password=current)
    console().print(f"Password of [bold]{escape(user.name)}[/] changed.")
