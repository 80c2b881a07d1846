"""``mlsteward models card`` and ``card-fields``: render a version's card, fill what a person must.

Fields only a person can write are set on the model (``update_model_card``) or, with a
VERSION, as the version's ``card.<field>`` tag, which wins over the model's value.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.options import TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, plain
from mlsteward.interfaces.sdk.models.card_fields import model_card_fields

CARD_TAG_PREFIX = "card."

fields_app = typer.Typer(
    help="Fill the model-card fields only a person can write (intended use, license, ...).",
    no_args_is_help=True,
)


class CardFormat(StrEnum):
    markdown = "markdown"
    html = "html"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half."""
    path = path.expanduser()
    if not path.parent.is_dir():  # name the missing folder, not the temporary file
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path.parent))
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # the mode a plain open() would have given
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def card(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.", show_default=False)],
    version: Annotated[int, typer.Argument(min=1, help="Version number.", show_default=False)],
    card_format: Annotated[
        CardFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="markdown or html (one self-contained file). Default: html when --output "
            "ends in .html, else markdown.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically) instead of stdout.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Render a version's model card from what the registry recorded."""
    if card_format is None:
        is_html = output is not None and output.suffix.lower() in (".html", ".htm")
        card_format = CardFormat.html if is_html else CardFormat.markdown
    text = client(ctx, tracking_uri).render_model_card(name, version, card_format.value)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_atomically(output, text)
    console().print(
        f"Wrote the {card_format.value} card of [bold]{escape(name)}[/] version {version} "
        f"to {escape(str(output))}"
    )


def _check_field(key: str) -> str:
    # The registry validates fields set on the model; version tags take any key, so a
    # misspelt field would be silently ignored by the card without this check.
    known = model_card_fields()
    if key not in known:
        raise InvalidArgumentError(f"Unknown model-card field {key!r}; known: " + ", ".join(known))
    return key


def _split(args: list[str], tail: int, usage: str) -> tuple[str, int | None, list[str]]:
    """``NAME [VERSION] rest...`` where ``rest`` has ``tail`` items."""
    if len(args) not in (tail + 1, tail + 2):
        raise typer.BadParameter(f"expected {usage}, got {len(args)} argument(s)")
    if len(args) == tail + 1:
        return args[0], None, args[1:]
    try:
        version = int(args[1])
    except ValueError:
        raise typer.BadParameter(f"VERSION must be a number, got {args[1]!r}") from None
    if version < 1:
        raise typer.BadParameter(f"VERSION must be at least 1, got {version}")
    return args[0], version, args[2:]


@fields_app.command("set")
def set_field(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME [VERSION] FIELD VALUE",
            help="Without VERSION the model's value; with it, that version's (which wins).",
            show_default=False,
        ),
    ],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Fill a model-card field, e.g. `card-fields set fraud license "Apache-2.0"`."""
    name, version, (key, value) = _split(args, 2, "NAME [VERSION] FIELD VALUE")
    sdk = client(ctx, tracking_uri)
    if version is None:
        sdk.update_model_card(name, {key: value})
        where = f"[bold]{escape(name)}[/]"
    else:
        sdk.set_model_version_tag(name, version, CARD_TAG_PREFIX + _check_field(key), value)
        where = f"[bold]{escape(name)}[/] version {version}"
    console().print(f"Set card field {escape(key)} of {where}")


@fields_app.command("unset")
def unset_field(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(metavar="NAME [VERSION] FIELD", show_default=False),
    ],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Clear a model-card field (it is listed as missing again unless set elsewhere)."""
    name, version, (key,) = _split(args, 1, "NAME [VERSION] FIELD")
    sdk = client(ctx, tracking_uri)
    if version is None:
        sdk.update_model_card(name, {key: None})
        where = f"[bold]{escape(name)}[/]"
    else:
        sdk.delete_model_version_tag(name, version, CARD_TAG_PREFIX + _check_field(key))
        where = f"[bold]{escape(name)}[/] version {version}"
    console().print(f"Cleared card field {escape(key)} of {where}")


@fields_app.command("list")
def list_fields() -> None:
    """The fields a person fills in, and what each one is for."""
    table = Table(title="Model-card fields", title_justify="left")
    table.add_column("Field", style="bold")
    table.add_column("What it holds")
    for key, description in model_card_fields().items():
        table.add_row(plain(key), plain(description))
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``card`` and the ``card-fields`` group to ``mlsteward models``."""
    app.command("card")(card)
    app.add_typer(fields_app, name="card-fields")
