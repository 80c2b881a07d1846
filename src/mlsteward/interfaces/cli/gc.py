"""``mlsteward gc``: remove artifact blobs that no record references (after failed uploads).

It works on a store and its artifact root directly, on the machine that holds them; a
server does not offer it over HTTP. A root that records other stores besides the ones named
is refused (``--also-store`` names them, ``--claim-root`` forgets them).
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.options import JsonOption
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_size,
    print_json,
    redact_uri,
)
from mlsteward.interfaces.cli.store_uri import StoreUriOption, resolve_store_uri
from mlsteward.interfaces.sdk.maintenance import DEFAULT_GRACE_S, GcReport, collect_garbage
from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_LISTED = 50


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``1h`` or ``2d`` as seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise InvalidArgumentError(
            f"Not a duration: {text!r} (use seconds or a number with s, m, h or d, e.g. 1h)"
        )
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def gc_command(
    store_uri: Annotated[str | None, StoreUriOption] = None,
    artifacts_uri: Annotated[
        str | None,
        typer.Option(
            "--artifacts-uri",
            "-a",
            help="The store's artifact root (a directory or s3://bucket/prefix). Default: "
            "$MLSTEWARD_ARTIFACTS_URI, else the artifacts folder beside a SQLite store.",
            show_default=False,
        ),
    ] = None,
    grace: Annotated[
        str,
        typer.Option(
            "--grace",
            help="Keep unreferenced blobs younger than this (an upload in progress has not "
            "recorded its files yet), e.g. 30m, 1h, 2d.",
        ),
    ] = f"{int(DEFAULT_GRACE_S // 3600)}h",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be removed.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    also_stores: Annotated[
        list[str] | None,
        typer.Option(
            "--also-store",
            help="Another store that uses the same artifact root (repeat for each): blobs "
            "any of the stores references are kept.",
            show_default=False,
        ),
    ] = None,
    claim_root: Annotated[
        bool,
        typer.Option(
            "--claim-root",
            help="Record that the stores named are the only ones using this artifact root, "
            "forgetting any others it lists (stores since deleted, or a root written before "
            "roots recorded their stores). Their blobs are then collected.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Remove artifact blobs no record references (left by failed uploads).

    Only blobs older than --grace go. An artifact root that records uploads from a store
    not named here is refused (nothing is removed): another store's blobs would look
    unreferenced to this one.
    """
    grace_s = parse_duration(grace)
    store = resolve_store_uri(store_uri)
    others = list(also_stores or [])
    artifacts = artifacts_uri or default_artifacts_uri(store)
    if not (dry_run or yes):
        named = "\n           ".join(escape(redact_uri(uri)) for uri in [store, *others])
        err_console().print(f"Store:     {named}\nArtifacts: {escape(artifacts)}", soft_wrap=True)
        if claim_root:
            err_console().print(
                "--claim-root: any other store this artifact root lists is forgotten."
            )
        typer.confirm(
            "Remove blobs in these artifacts that no record of these stores references?",
            abort=True,
            err=True,
        )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        scan = bar.add_task("Listing blobs", total=None)
        removal = bar.add_task("Removing" if not dry_run else "Checking", total=None, visible=False)

        def progress(phase: str, done: int, total: int | None) -> None:
            if phase == "scan":
                bar.update(scan, completed=done)
            else:
                bar.update(removal, completed=done, total=total, visible=True)

        report = collect_garbage(
            store,
            artifacts,
            grace_s=grace_s,
            dry_run=dry_run,
            progress=progress,
            also_store_uris=others,
            claim_root=claim_root,
        )
    if json_output:
        print_json(_as_dict(report))
    else:
        _print_report(report, grace)


def _as_dict(report: GcReport) -> dict[str, object]:
    return {
        "dry_run": report.dry_run,
        "grace_seconds": report.grace_s,
        "scanned": report.scanned,
        "kept": report.kept,
        "kept_recent": report.recent,
        "reclaimed": report.reclaimed,
        "removed": [{"digest": b.digest, "size": b.size} for b in report.removed],
        "temp_files": [{"path": path, "size": size} for path, size in report.temp_files],
        "restored": report.restored,
        "bytes_freed": report.bytes_freed,
        "stores": report.stores,
        "forgotten_stores": report.forgotten,
    }


def _print_report(report: GcReport, grace: str) -> None:
    out = console()
    verb = "Would remove" if report.dry_run else "Removed"
    for blob in report.removed[:_LISTED]:
        out.print(f"{verb.lower()} {blob.digest}  {format_size(blob.size)}")
    if len(report.removed) > _LISTED:
        out.print(f"... and {len(report.removed) - _LISTED} more (--json lists them all)")
    for path, size in report.temp_files:
        out.print(f"{verb.lower()} temp file {escape(path)}  {format_size(size)}")
    if report.restored:
        out.print(f"Put back {report.restored} blob(s) an interrupted gc had moved aside.")
    for forgotten in report.forgotten:
        verb_forget = "Would forget" if report.dry_run else "Forgot"
        out.print(f"{verb_forget} store {escape(forgotten)} (no longer listed for this root).")
    freed = "would free" if report.dry_run else "freed"
    out.print(
        f"{verb} {len(report.removed)} unreferenced blob(s) and {len(report.temp_files)} "
        f"temp file(s), {freed} {format_size(report.bytes_freed)}; kept {report.kept} of "
        f"{report.scanned} blob(s) (referenced, or newer than {escape(grace)})."
    )


def register(app: typer.Typer) -> None:
    app.command("gc")(gc_command)
