"""``mlsteward data ...``: ingest, list, show, profile, schemas, aliases.

The group and what its commands share live in ``data_group``; derived versions (transform,
split, rebuild, lineage) are in ``data_derive``, label queues in ``data_labels``. Every rule
is the data service's; these commands parse, call the SDK and render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlsteward.interfaces.cli.data_group import (
    RefArgument,
    app,
    backend,
    schema_app,
    show_version,
    version_dict,
)
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_size,
    format_time,
    print_json,
)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.", show_default=False)],
    source: Annotated[
        str,
        typer.Argument(help="File (.csv/.tsv/.parquet/.jsonl), http(s) API or SQL URL."),
    ],
    query: Annotated[str | None, typer.Option(help="SQL to run on a SQL URL source.")] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Skip malformed rows and report them.")
    ] = False,
    schema: Annotated[
        Path | None, typer.Option(help="YAML schema to validate against.", show_default=False)
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse to register data failing --schema.")
    ] = False,
    alias: Annotated[str | None, typer.Option(help="Point this alias at the version.")] = None,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read SOURCE into a new version of NAME (the same content returns the existing one)."""
    from mlsteward.engines.data import DataSchema

    parsed = DataSchema.from_yaml(schema.read_text()) if schema else None
    options = {"on_bad_rows": "skip"} if skip_bad_rows and query is None else {}
    data = backend(ctx, tracking_uri)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn()]
    if not source.startswith(("http", "postgres", "sqlite", "mysql")):
        columns.insert(2, DownloadColumn())
    with Progress(*columns, console=err_console(), transient=True) as bar:
        task = bar.add_task(f"reading {Path(source).name}", total=None)

        def progress(p: object) -> None:
            done = getattr(p, "bytes_read", None) or getattr(p, "rows", 0)
            total = getattr(p, "total_bytes", None) or getattr(p, "total_rows", None)
            bar.update(task, completed=done, total=total)

        result = data.ingest_dataset(
            name,
            source,
            query=query,
            schema=parsed,
            strict=strict,
            progress=progress,
            options=options,
        )
    version = result.version
    if alias:
        version = data.set_dataset_alias(version.ref, alias)
    if json_output:
        info = version_dict(version)
        info["created"] = result.created
        info["bad_rows"] = [row.to_dict() for row in result.bad_rows]
        print_json(info)
        return
    show_version(version, result.created)
    for row in result.bad_rows[:20]:
        err_console().print(f"  skipped line {row.line}: {row.reason}")
    if len(result.bad_rows) > 20:
        err_console().print(f"  ... and {len(result.bad_rows) - 20} more skipped rows")


@app.command("list")
def list_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="List this dataset's versions.")] = None,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """List datasets, or the versions of NAME."""
    data = backend(ctx, tracking_uri)
    if name is None:
        names = data.list_datasets()
        if json_output:
            print_json(names)
        else:
            for item in names:
                console().print(item)
        return
    versions = data.list_dataset_versions(name)
    if json_output:
        print_json([version_dict(v) for v in versions])
        return
    table = Table("version", "kind", "rows", "size", "aliases", "created", "by", "hash")
    for v in versions:
        table.add_row(
            str(v.version),
            v.kind,
            str(v.num_rows),
            format_size(v.num_bytes),
            ", ".join(v.aliases),
            format_time(v.creation_time),
            v.created_by,
            v.content_hash[:12],
        )
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: RefArgument,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one version: size, hash, schema, aliases."""
    version = backend(ctx, tracking_uri).get_dataset_version(ref)
    if json_output:
        print_json(version_dict(version))
    else:
        show_version(version)


@app.command("alias")
def alias(
    ctx: typer.Context,
    ref: RefArgument,
    name: Annotated[str, typer.Argument(help="Alias to point at the version.")],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Point an alias (e.g. ``prod``) at a version."""
    version = backend(ctx, tracking_uri).set_dataset_alias(ref, name)
    console().print(f"{version.name}@{name} -> version {version.version}")


@app.command("profile")
def profile(
    ctx: typer.Context,
    ref: RefArgument,
    html: Annotated[
        Path | None, typer.Option(help="Write the offline HTML report here.", show_default=False)
    ] = None,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the profile stored with a version (and write its HTML report)."""
    data = backend(ctx, tracking_uri)
    stored = data.get_dataset_profile(ref)
    if html is not None:
        html.write_text(data.get_dataset_report(ref), encoding="utf-8")
    if json_output:
        print_json(stored)
        return
    table = Table("column", "type", "missing", "distinct", "mean", "min", "max")
    for var in stored.get("variables", []):
        table.add_row(
            str(var.get("name")),
            str(var.get("type", "")),
            str(var.get("missing", "")),
            str(var.get("distinct", "")),
            _short(var.get("mean")),
            _short(var.get("min")),
            _short(var.get("max")),
        )
    console().print(f"[bold]{ref}[/bold]: {stored.get('rows')} rows")
    console().print(table)
    if html is not None:
        console().print(f"HTML report written to {html}")


def _short(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)[:24]


@schema_app.command("infer")
def schema_infer(
    ctx: typer.Context,
    ref: RefArgument,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the YAML here.")
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Infer a schema the version satisfies, as YAML to edit."""
    text = backend(ctx, tracking_uri).infer_dataset_schema(ref).to_yaml()
    if output is None:
        console().print(text, markup=False, highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
        console().print(f"Schema written to {output}")


@schema_app.command("validate")
def schema_validate(
    ctx: typer.Context,
    ref: RefArgument,
    schema: Annotated[Path, typer.Argument(help="YAML schema file.")],
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Validate a version against a YAML schema; list every failure (exit 1 if any)."""
    from mlsteward.engines.data import DataSchema

    parsed = DataSchema.from_yaml(schema.read_text(encoding="utf-8"))
    report = backend(ctx, tracking_uri).validate_dataset(ref, parsed)
    if json_output:
        print_json(report.to_dict())
    else:
        table = Table("column", "check", "failing", "examples", "tolerated")
        for f in report.failures:
            table.add_row(
                f.column or "<rows>",
                f.check,
                str(f.failing),
                ", ".join(str(x) for x in f.examples[:5]),
                "yes" if f.tolerated else "",
            )
        state = "[green]passed[/green]" if report.ok else "[red]failed[/red]"
        console().print(f"{ref}: {report.rows} rows, validation {state}")
        if report.failures:
            console().print(table)
    if not report.ok:
        raise typer.Exit(1)
