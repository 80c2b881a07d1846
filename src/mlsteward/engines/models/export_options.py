"""How to export a model directory to ONNX, checked once, and the export of a local directory.

:class:`ExportOptions` is built (and so checked) before anything is fetched or converted,
wherever the export then runs: in this process for a local directory or store, on the server
for ``http://``. :func:`export_directory` runs the export on a model directory already here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.engines.models.input_example import normalize_example
from mlsteward.engines.models.onnx_packaging import export_model_dir
from mlsteward.engines.models.onnx_record import ExportRecord
from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE

#: Errors a model or library raises on input it cannot take (NaN, wrong width, bad dtype).
_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError)


def _rows(data: Any) -> int:
    if isinstance(data, dict):
        return len(next(iter(data.values()))) if data else 0
    return len(data)


def _max_opset() -> int | None:
    try:
        from onnx.defs import onnx_opset_version
    except ImportError:  # the converter reports the missing extra itself
        return None
    return int(onnx_opset_version())


@dataclass(frozen=True, eq=False)
class ExportOptions:
    """How to export: the parity sample (and its true targets), int8, tolerance, opset.

    Checked when built, so a bad option fails before anything is fetched or converted.
    ``sample`` is normalized to what parity is measured on (a DataFrame, 2-D array or dict
    of arrays).
    """

    sample: Any = None
    sample_targets: Any = None
    quantize: bool = False
    tolerance: float = DEFAULT_TOLERANCE
    target_opset: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.quantize, bool):
            raise InvalidArgumentError(f"quantize must be true or false, got {self.quantize!r}")
        tolerance = self.tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            raise InvalidArgumentError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
        self._check_opset()
        if self.sample is None:
            if self.sample_targets is not None:
                raise InvalidArgumentError("sample_targets needs sample (the rows they label)")
            return
        sample = normalize_example(self.sample)
        rows = _rows(sample)
        if rows == 0:
            raise InvalidArgumentError("sample has no rows: pass some representative rows")
        object.__setattr__(self, "sample", sample)
        if self.sample_targets is not None:
            targets = np.asarray(self.sample_targets)
            if targets.ndim != 1 or len(targets) != rows:
                raise InvalidArgumentError(
                    f"sample_targets must be one label per sample row ({rows}), got shape "
                    f"{targets.shape}"
                )
            object.__setattr__(self, "sample_targets", targets)

    def _check_opset(self) -> None:
        opset = self.target_opset
        if opset is None:
            return
        highest = _max_opset()
        if isinstance(opset, bool) or not isinstance(opset, int) or opset < 1:
            raise InvalidArgumentError(f"target_opset must be a positive integer, got {opset!r}")
        if highest is not None and opset > highest:
            raise InvalidArgumentError(
                f"target_opset {opset} is newer than the installed onnx supports ({highest})"
            )


def export_directory(directory: Path, options: ExportOptions) -> ExportRecord:
    """Export the model in a local ``directory`` (writes ``<directory>/onnx/``).

    Errors a library raises on the caller's sample (NaN a model refuses, a wrong width) are
    reported as invalid arguments: the sample is the caller's input.
    """
    try:
        return export_model_dir(
            directory,
            sample=options.sample,
            sample_targets=options.sample_targets,
            quantize=options.quantize,
            tolerance=options.tolerance,
            target_opset=options.target_opset,
        )
    except MlstewardError:
        raise
    except _INPUT_ERRORS as error:
        if options.sample is None:
            raise
        raise InvalidArgumentError(
            f"ONNX export failed on the sample you passed: {type(error).__name__}: {error}"
        ) from error


__all__ = ["ExportOptions", "export_directory"]
