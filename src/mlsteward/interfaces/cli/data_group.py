"""The ``mlsteward data`` command group and what its command modules share.

``data``, ``data_derive`` and ``data_labels`` each add their commands to :data:`app`; the
CLI's root imports all three, so none of them needs to import another.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlsteward.domain.datasets import DatasetVersion
from mlsteward.interfaces.cli.options import client
from mlsteward.interfaces.cli.output import console, format_size
from mlsteward.interfaces.sdk.data_calls import DatasetCalls

app = typer.Typer(
    help="Dataset versions: ingest, profile, validate, transform, split, lineage, labels.",
    no_args_is_help=True,
)
schema_app = typer.Typer(help="Infer a schema as YAML, validate a version against one.")
app.add_typer(schema_app, name="schema")

RefArgument = Annotated[
    str, typer.Argument(help="name@version, name@alias or name (latest).", show_default=False)
]


def backend(ctx: typer.Context, uri: str | None) -> DatasetCalls:
    return client(ctx, uri).datasets()


def version_dict(v: DatasetVersion) -> dict[str, object]:
    return {
        "ref": v.ref,
        "id": v.dataset_version_id,
        "kind": v.kind,
        "rows": v.num_rows,
        "bytes": v.num_bytes,
        "content_hash": v.content_hash,
        "schema": [list(pair) for pair in v.schema],
        "aliases": v.aliases,
        "parents": v.parents,
        "lineage": v.lineage,
        "created_by": v.created_by,
        "creation_time": v.creation_time,
    }


def show_version(v: DatasetVersion, created: bool | None = None) -> None:
    note = "" if created is None else (" (new)" if created else " (same content: existing)")
    out = console()
    out.print(f"[bold]{v.ref}[/bold]{note}  {v.num_rows} rows, {format_size(v.num_bytes)}")
    out.print(f"  id {v.dataset_version_id}  hash {v.content_hash[:16]}…  kind {v.kind}")
    if v.aliases:
        out.print(f"  aliases: {', '.join(v.aliases)}")
    out.print("  columns: " + ", ".join(f"{n} ({t})" for n, t in v.schema))
