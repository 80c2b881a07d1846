"""``mlsteward artifacts list|download``: browse and fetch a run's files."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from mlsteward.domain.entities import ArtifactEntry
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_size,
    plain,
    print_json,
)
from mlsteward.interfaces.sdk.client import Client

app = typer.Typer(help="List and download run artifacts.", no_args_is_help=True)

RunIdArgument = Annotated[str, typer.Argument(help="The run's id.", show_default=False)]


def walk_artifacts(sdk: Client, run_id: str, path: str = "") -> list[ArtifactEntry]:
    """Every file at or under ``path`` in the run (depth first, sorted), without directories.

    A ``path`` naming a file gives that file; an unknown path gives an empty list.
    """
    if path:
        parent = str(PurePosixPath(path).parent)
        siblings = sdk.list_artifacts(run_id, None if parent == "." else parent)
        match = next((e for e in siblings if e.path == path.strip("/")), None)
        if match is None:
            return []
        if not match.is_dir:
            return [match]
    files: list[ArtifactEntry] = []
    for entry in sdk.list_artifacts(run_id, path or None):
        if entry.is_dir:
            files.extend(walk_artifacts(sdk, run_id, entry.path))
        else:
            files.append(entry)
    return files


@app.command("list")
def list_artifacts(
    ctx: typer.Context,
    run_id: RunIdArgument,
    path: Annotated[
        str, typer.Option("--path", "-p", help="A directory inside the run to list.")
    ] = "",
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="List every file below, not one level.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a run's artifacts (one directory level, or every file with --recursive)."""
    sdk = client(ctx, tracking_uri)
    if recursive:
        sdk.get_run(run_id)  # a clear "No run with id" before an empty listing
        entries = walk_artifacts(sdk, run_id, path.strip("/"))
    else:
        entries = sdk.list_artifacts(run_id, path.strip("/") or None)
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    out = console()
    if not entries:
        out.print(escape(f"No artifacts{f' under {path!r}' if path else ''} in run {run_id}."))
        return
    table = Table(title=f"Artifacts of run {run_id}", title_justify="left")
    table.add_column("Path")
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("Digest", style="dim", no_wrap=True)
    for entry in entries:
        if entry.is_dir:
            table.add_row(plain(entry.path + "/", "bold blue"), "", "")
        else:
            table.add_row(plain(entry.path), format_size(entry.size), (entry.digest or "")[:12])
    out.print(table)


@app.command("download")
def download(
    ctx: typer.Context,
    run_id: RunIdArgument,
    path: Annotated[
        str,
        typer.Option("--path", "-p", help="A file or directory of the run (default: all)."),
    ] = "",
    dst: Annotated[
        Path,
        typer.Option("--dst", "-d", help="Local directory to copy into.", file_okay=False),
    ] = Path("."),
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Copy a run's artifacts to a local directory, keeping their run-relative paths."""
    sdk = client(ctx, tracking_uri)
    sdk.get_run(run_id)
    clean = path.strip("/")
    files = walk_artifacts(sdk, run_id, clean)
    if not files:
        # Let the SDK word the error (unknown path, or a run without artifacts).
        if clean:
            sdk.download_artifacts(run_id, clean, dst)
        console().print(escape(f"Run {run_id} has no artifacts to download."))
        return
    dst.mkdir(parents=True, exist_ok=True)
    total = sum(f.size or 0 for f in files)
    # One SDK call per file so the bar moves as files land; stderr keeps stdout clean.
    with Progress(
        TextColumn("[bold blue]{task.description}", justify="left"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as progress:
        task = progress.add_task("Downloading", total=total or None)
        for entry in files:
            progress.update(task, description=PurePosixPath(entry.path).name)
            sdk.download_artifacts(run_id, entry.path, dst)
            progress.advance(task, entry.size or 0)
    target = dst / clean if clean else dst
    console().print(
        f"Downloaded {len(files)} file{'s' if len(files) != 1 else ''} "
        f"({format_size(total)}) to [bold]{escape(str(target))}[/]"
    )
