"""``mlsteward models export-onnx``: a verified ONNX graph stored beside a logged model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, tracking_uri
from mlsteward.interfaces.cli.output import console, print_json


def _read_sample(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise InvalidArgumentError(f"No such sample file: {path}")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raise InvalidArgumentError(f"A sample is a .csv or .parquet file, got {path.name!r}")


def export_onnx_command(
    ctx: typer.Context,
    model_uri: Annotated[
        str, typer.Argument(help="runs:/<run_id>/model or models:/name@alias", show_default=False)
    ],
    sample: Annotated[
        Path | None,
        typer.Option(
            "--sample", help="CSV or Parquet rows to check parity on.", show_default=False
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target", help="Column of --sample holding true labels (for accuracy change)."
        ),
    ] = None,
    quantize: Annotated[
        bool, typer.Option("--quantize", help="Also store an int8 graph (dynamic quantization).")
    ] = False,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, help="Max absolute difference for parity.")
    ] = 1e-4,
    tracking_uri_option: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Convert a logged scikit-learn, XGBoost or LightGBM model to ONNX and verify parity."""
    import mlsteward
    from mlsteward.models import export_onnx

    frame = _read_sample(sample) if sample is not None else None
    targets = None
    if target is not None:
        if frame is None or target not in frame.columns:
            raise InvalidArgumentError(f"--target {target!r} must name a column of --sample")
        targets = frame.pop(target)
    uri = tracking_uri(ctx, tracking_uri_option)
    if uri:
        mlsteward.set_tracking_uri(uri)
    record = export_onnx(
        model_uri, sample=frame, quantize=quantize, sample_targets=targets, tolerance=tolerance
    )
    if as_json:
        print_json(record.to_dict())
        return
    table = Table(title=f"ONNX export of {model_uri}")
    table.add_column("data")
    table.add_column("rows", justify="right")
    table.add_column("max |diff|", justify="right")
    table.add_column("labels agree", justify="right")
    for check in record.parity:
        agreement = check.get("label_agreement")
        table.add_row(
            str(check.get("dataset", "")),
            str(check.get("rows", "")),
            f"{check.get('max_abs_diff', float('nan')):.3g}",
            "" if agreement is None else f"{agreement:.2%}",
        )
    out = console()
    out.print(table)
    verdict = "[green]parity holds[/]" if record.parity_ok else "[red]parity FAILED[/]"
    out.print(f"{verdict} (tolerance {record.tolerance:g}); converter {record.converter}")
    if record.quantization:
        out.print(f"int8 graph: {record.quantized_file}; {record.quantization}")
