"""``mlsteward login``, ``logout`` and ``whoami``: signing in to a tracking URI.

The token ``login`` gets (or is given) is kept in the credentials file, readable by you
only, and sent by every later command and program using the SDK for that URI. No command
prints a token it did not just create.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import Grant
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client, tracking_uri
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_time,
    print_json,
    redact_uri,
)
from mlsteward.interfaces.cli.password_input import PasswordStdinOption, current_password
from mlsteward.interfaces.sdk.credentials import TOKEN_ENV, credentials_path
from mlsteward.interfaces.sdk.identity_calls import LOGIN_TOKEN_NAME, WhoAmI
from mlsteward.interfaces.sdk.sign_in import SignedIn, sign_in, sign_in_with_token, sign_out


def _read_token() -> str:
    """The token piped on stdin (its first line), or typed at a hidden prompt."""
    if sys.stdin.isatty():
        return str(typer.prompt("Token", hide_input=True))
    line = sys.stdin.readline()
    if not line.strip():
        raise InvalidArgumentError("--with-token reads the token from stdin, and it was empty")
    return line.strip()


def login_command(
    ctx: typer.Context,
    tracking_uri_option: TrackingUriOption = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", help="Your user name (asked when not given).", show_default=False
        ),
    ] = None,
    token_name: Annotated[
        str, typer.Option("--token-name", help="A name for the token this sign-in creates.")
    ] = LOGIN_TOKEN_NAME,
    expires_days: Annotated[
        float, typer.Option("--expires-days", help="Days until that token expires.", min=0.001)
    ] = 30.0,
    with_token: Annotated[
        bool,
        typer.Option(
            "--with-token",
            help="Sign in with an existing API token read from stdin instead of a password.",
        ),
    ] = False,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Sign in to a server (or a store) and keep the token for later commands."""
    uri = tracking_uri(ctx, tracking_uri_option)
    if with_token:
        signed = sign_in_with_token(uri, _read_token())
    else:
        name = user or str(typer.prompt("User"))
        password = current_password(password_stdin, "Password")
        signed = sign_in(
            uri, name, password, token_name=token_name, expires_in_days=float(expires_days)
        )
    _report(signed)


def _report(signed: SignedIn) -> None:
    me = signed.whoami
    out = console()
    out.print(
        f"Signed in to [bold]{escape(redact_uri(signed.uri))}[/] as [bold]{escape(me.name)}[/] "
        f"({me.kind}{', read-only' if me.read_only else ''})."
    )
    if signed.token is not None:
        expiry = signed.token.expires_at_ms
        until = f"until {format_time(expiry)}" if expiry is not None else "with no expiry"
        out.print(f"Token [cyan]{signed.token.token_id}[/] is valid {until}.")
    out.print(f"Kept in {escape(str(credentials_path()))} (readable by you only).")
    if os.environ.get(TOKEN_ENV, "").strip():
        err_console().print(
            f"[yellow]Note:[/] ${TOKEN_ENV} is set and is used instead of the kept token "
            "until you unset it.",
            soft_wrap=True,
        )


def logout_command(ctx: typer.Context, tracking_uri_option: TrackingUriOption = None) -> None:
    """Revoke the kept token on the server (when it can be reached) and forget it here."""
    outcome = sign_out(tracking_uri(ctx, tracking_uri_option))
    where = escape(redact_uri(outcome.uri))
    if not outcome.forgotten:
        console().print(f"Not signed in to {where}: nothing to do.")
        return
    if outcome.revoked:
        console().print(f"Signed out of {where}: the token is revoked and forgotten.")
        return
    console().print(f"Signed out of {where}: the token is forgotten here.")
    if outcome.note:
        err_console().print(f"[yellow]Note:[/] {escape(outcome.note)}")


def whoami_command(
    ctx: typer.Context, tracking_uri_option: TrackingUriOption = None, as_json: JsonOption = False
) -> None:
    """Who you act as on the tracking URI, and the roles granted to you."""
    me = client(ctx, tracking_uri_option).identity().whoami()
    if as_json:
        print_json(whoami_dict(me))
        return
    out = console()
    flags = ", read-only" if me.read_only else ""
    out.print(f"[bold]{escape(me.name)}[/] ({me.kind}{flags})")
    if me.token_id:
        out.print(f"  token {me.token_id}")
    if not me.grants:
        out.print("  no grants")
    for grant in me.grants:
        out.print(f"  {grant.role} on {escape(grant_scope(grant))}")


def whoami_dict(me: WhoAmI) -> dict[str, Any]:
    return {
        "name": me.name,
        "kind": str(me.kind),
        "read_only": me.read_only,
        "token_id": me.token_id,
        "grants": [grant_dict(grant) for grant in me.grants],
    }


def grant_dict(grant: Grant) -> dict[str, Any]:
    return {
        "grant_id": grant.grant_id,
        "principal": grant.principal,
        "role": str(grant.role),
        "resource_kind": grant.resource_kind,
        "resource_name": grant.resource_name,
        "created_at_ms": grant.created_at_ms,
        "created_by": grant.created_by,
    }


def grant_scope(grant: Grant) -> str:
    """``the whole server`` or ``experiment 123``."""
    if grant.resource_kind is None:
        return "the whole server"
    return f"{grant.resource_kind} {grant.resource_name}"


def register(app: typer.Typer) -> None:
    app.command("login")(login_command)
    app.command("logout")(logout_command)
    app.command("whoami")(whoami_command)
