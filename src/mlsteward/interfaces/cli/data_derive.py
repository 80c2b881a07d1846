"""``mlsteward data transform|split|rebuild|lineage``: derived versions and their lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.tree import Tree

from mlsteward.interfaces.cli.data_group import RefArgument, app, backend, show_version
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption
from mlsteward.interfaces.cli.output import console, print_json


@app.command("transform")
def transform(
    ctx: typer.Context,
    ref: RefArgument,
    steps: Annotated[
        Path, typer.Option(help="YAML/JSON list of steps: - {name: impute, params: {...}}")
    ],
    output: Annotated[str, typer.Option(help="Name of the dataset to register into.")],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Apply recorded steps to a version and register the result with its lineage."""
    loaded = yaml.safe_load(steps.read_text(encoding="utf-8"))
    if not isinstance(loaded, list):
        raise typer.BadParameter("the steps file must hold a list of steps", param_hint="--steps")
    result = backend(ctx, tracking_uri).transform_dataset(ref, loaded, output)
    show_version(result.version, result.created)


@app.command("split")
def split(
    ctx: typer.Context,
    ref: RefArgument,
    method: Annotated[str, typer.Option(help="holdout, kfold or time.")] = "holdout",
    fraction: Annotated[
        list[str] | None, typer.Option(help="PART=FRACTION, e.g. train=0.8; repeat.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (holdout, kfold).")] = 0,
    stratify: Annotated[str | None, typer.Option(help="Column to stratify by.")] = None,
    group: Annotated[str | None, typer.Option(help="Column whose groups stay whole.")] = None,
    time: Annotated[str | None, typer.Option(help="Time column (time splits).")] = None,
    k: Annotated[int, typer.Option(help="Folds (kfold).")] = 5,
    prefix: Annotated[str | None, typer.Option(help="Output name prefix.")] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Split a version into linked versions <prefix>.<part>, seeded and leak-free."""
    options: dict[str, Any] = {}
    if fraction:
        options["fractions"] = {p.partition("=")[0]: float(p.partition("=")[2]) for p in fraction}
    if method in ("holdout", "kfold"):
        options.update(seed=seed, stratify=stratify, group=group)
    if method == "kfold":
        options.pop("fractions", None)
        options["k"] = k
    if method == "time":
        options["time"] = time
    parts = backend(ctx, tracking_uri).split_dataset(ref, method, prefix, options)
    for part, version in parts.items():
        console().print(f"{part}: {version.ref} ({version.num_rows} rows)")


@app.command("rebuild")
def rebuild(
    ctx: typer.Context,
    ref: RefArgument,
    source_uri: Annotated[
        str | None, typer.Option(help="Replace the recorded source URI (e.g. with a password).")
    ] = None,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Recompute a version from its sources and check every hash (exit 1 on a mismatch)."""
    overrides = {"uri": source_uri} if source_uri else None
    checks = backend(ctx, tracking_uri).rebuild_dataset(ref, overrides)
    if json_output:
        print_json(checks)
    else:
        for check in checks:
            mark = "[green]ok[/green]" if check["ok"] else "[red]MISMATCH[/red]"
            console().print(f"{mark} {check['ref']}: {check['how']}")
            if not check["ok"]:
                console().print(f"    recorded {check['expected']}\n    rebuilt  {check['actual']}")
    if not all(check["ok"] for check in checks):
        raise typer.Exit(1)


def _label(node: dict[str, Any]) -> str:
    return f"[bold]{node['ref']}[/bold] [dim]{node['rows']} rows[/dim] — {node['how']}"


def _upstream(tree: Tree, node: dict[str, Any]) -> None:
    for parent in node.get("parents", []):
        _upstream(tree.add(_label(parent)), parent)


def _downstream(tree: Tree, node: dict[str, Any]) -> None:
    for run in node.get("runs", []):
        tree.add(f"[cyan]run {run['run_id']}[/cyan] ({run['context']})")
    for model in node.get("models", []):
        tree.add(f"[magenta]model {model['name']} v{model['version']}[/magenta]")
    for child in node.get("children", []):
        _downstream(tree.add(_label(child)), child)


@app.command("lineage")
def lineage(
    ctx: typer.Context,
    ref: RefArgument,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print where a version came from and which versions, runs and models used it."""
    graph = backend(ctx, tracking_uri).dataset_lineage(ref)
    if json_output:
        print(json.dumps(graph, indent=2, default=str))
        return
    up = Tree("[bold]made from[/bold]")
    root = up.add(_label(graph["upstream"]))
    _upstream(root, graph["upstream"])
    down = Tree("[bold]used by[/bold]")
    _downstream(down.add(_label(graph["downstream"])), graph["downstream"])
    console().print(up)
    console().print(down)
