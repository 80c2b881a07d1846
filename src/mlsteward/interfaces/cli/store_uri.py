"""The ``--store-uri`` of server-side commands, defaulting to the store the SDK would use."""

from __future__ import annotations

import typer

from mlsteward.interfaces.sdk.home import home_dir
from mlsteward.interfaces.sdk.tracking_uri import get_tracking_uri

StoreUriOption = typer.Option(
    "--store-uri",
    "-s",
    help=(
        "Database: a SQLite path or URL, or a postgresql:// URL. Default: "
        "$MLSTEWARD_TRACKING_URI when it names a database, else ~/.mlsteward/mlsteward.db "
        "($MLSTEWARD_HOME)."
    ),
    show_default=False,
)


def resolve_store_uri(explicit: str | None) -> str:
    """``explicit``, else the SDK's tracking URI unless that is a server, else the home store."""
    if explicit:
        return explicit
    uri = get_tracking_uri()
    if uri.startswith(("http://", "https://")):
        return f"sqlite:///{home_dir() / 'mlsteward.db'}"
    return uri
