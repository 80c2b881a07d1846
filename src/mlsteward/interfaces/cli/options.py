"""Options shared by many commands, and the one place a command gets its SDK ``Client``."""

from __future__ import annotations

from typing import Annotated

import typer

from mlsteward.domain.entities import Experiment
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.interfaces.sdk.client import Client

TRACKING_URI_ENV = "MLSTEWARD_TRACKING_URI"

TrackingUriOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        "-t",
        help=(
            "Where tracking data lives: a SQLite path or URL, a postgresql:// URL or a "
            f"server's http(s):// URL. Default: ${TRACKING_URI_ENV}, else ~/.mlsteward "
            "($MLSTEWARD_HOME)."
        ),
        show_default=False,
    ),
]

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON instead of tables (for scripts)."),
]


def tracking_uri(ctx: typer.Context, uri: str | None) -> str | None:
    """The command's ``--tracking-uri``, else the one given before the command name.

    ``None`` lets the SDK decide (``$MLSTEWARD_TRACKING_URI``, else the home store).
    """
    if uri:
        return uri
    root = ctx.find_root()
    inherited = root.obj.get("tracking_uri") if isinstance(root.obj, dict) else None
    return str(inherited) if inherited else None


def client(ctx: typer.Context, uri: str | None) -> Client:
    """The SDK client every tracking command talks through (never storage directly)."""
    return Client(tracking_uri(ctx, uri))


def resolve_experiment(sdk: Client, ref: str) -> Experiment:
    """An experiment given by name or by id (names win: they are what people type)."""
    experiment = sdk.get_experiment_by_name(ref)
    if experiment is not None:
        return experiment
    try:
        return sdk.get_experiment(ref)
    except NotFoundError:
        raise NotFoundError(f"No experiment named or with id {ref!r}") from None


def key_values(values: list[str] | None, what: str, example: str = "KEY=VALUE") -> dict[str, str]:
    """``["a=1", "b=2"]`` from repeated options -> ``{"a": "1", "b": "2"}``, or a clear error."""
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InvalidArgumentError(f"{what} must look like {example}, got {item!r}")
        out[key] = value
    return out
