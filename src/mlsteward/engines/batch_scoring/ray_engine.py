"""The Ray engine: a job's model scoring on Ray Data workers, everything else unchanged.

The driver (this process) still reads, checks, writes and logs every chunk in order (see
:class:`~mlsteward.engines.batch_scoring.runner.ChunkScorer`); only the model calls move.
Chunks go to Ray in waves of at most ``in_flight`` chunks (memory stays bounded by them):
each wave's model inputs become a Ray dataset, one block per chunk, scored by
``map_batches`` on :class:`ChunkModel`, a callable class whose workers each load the model
once (for the wave) with the loader the local engine uses. The answers come back tagged
with their chunk and are handed to the driver in chunk order, so parts, IDs, manifest and
log are the local engine's.

What a worker needs to load the model: its folder's path (a local Ray reads it in place)
and, for workers on other machines, the folder's files through Ray's object store (written
to a temporary folder there; the manifest's hashes are checked on load, as locally). Ray is
imported only when this engine runs: ``pip install 'mlsteward[ray]'``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import tempfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.batch_scoring.scoring import (
    Entry,
    Failure,
    Prepared,
    Resumed,
    Scores,
    score_input,
)
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.loading import load_model_dir

INSTALL_HINT = "pip install 'mlsteward[ray]'"
#: Chunks sent to Ray at once: each is held by the driver until its answers are written.
DEFAULT_IN_FLIGHT = 8
_CHUNK, _ROW, _SECONDS, _FAILURE = "__chunk", "__row", "__seconds", "__failure"
_OUT = "out|"
#: ``auto``, ``local``, ``ray://HOST[:PORT]`` or ``HOST:PORT`` (a cluster's GCS address).
_ADDRESS = re.compile(r"^(auto|local|ray://[A-Za-z0-9.\-]+(:\d{1,5})?|[A-Za-z0-9.\-]+:\d{1,5})$")


def check_address(address: str | None) -> str | None:
    """``address`` when it names a Ray to connect to (400 otherwise)."""
    if address is not None and (not isinstance(address, str) or not _ADDRESS.match(address)):
        raise InvalidArgumentError(
            "ray_address must be 'auto', 'local', 'ray://HOST:PORT' or 'HOST:PORT', got "
            f"{str(address)[:80]!r}"
        )
    return address


def require_ray() -> Any:
    """The ``ray`` module, or a 400 that says how to install it."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise InvalidArgumentError(f"engine 'ray' needs Ray: {INSTALL_HINT}") from None


class RayScoring:
    """Scores chunks on Ray (see the module docstring). ``address`` None starts a local Ray
    (or joins the one ``RAY_ADDRESS`` names); one already initialized in this process is
    used as it is. A Ray this engine started is shut down when the job ends."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        in_flight: int = DEFAULT_IN_FLIGHT,
        workers: int | None = None,
    ) -> None:
        self.address = check_address(address)
        self.in_flight = max(1, in_flight)
        self.workers = workers

    def scored(
        self, model: LoadedModel, outputs: Sequence[str], entries: Iterator[Entry]
    ) -> Generator[tuple[Entry, Scores | None], None, None]:
        ray = require_ray()
        started_here = connect(ray, self.address)
        try:
            files = ray.put(model_files(Path(model.directory)))
            worker_args = {
                "directory": str(model.directory),
                "runtime": model.runtime,
                "files": [files],  # in a list: a worker fetches the files only when needed
                "outputs": list(outputs),
            }
            wave: list[Entry] = []
            for entry in entries:
                wave.append(entry)
                to_score = sum(isinstance(e, Prepared) and e.needs_model for e in wave)
                stop = isinstance(entry, Prepared) and entry.error is not None
                if to_score >= self.in_flight or stop:
                    yield from self._wave(ray, model, outputs, wave, worker_args)
                    wave = []
            yield from self._wave(ray, model, outputs, wave, worker_args)
        finally:
            if started_here:
                ray.shutdown()

    def _wave(
        self,
        ray: Any,
        model: LoadedModel,
        outputs: Sequence[str],
        wave: list[Entry],
        worker_args: dict[str, Any],
    ) -> Iterator[tuple[Entry, Scores | None]]:
        chunks = [e for e in wave if isinstance(e, Prepared) and e.needs_model]
        answers = self._score(ray, chunks, worker_args) if chunks else {}
        for entry in wave:
            if isinstance(entry, Resumed) or entry.error is not None:
                yield entry, None
            elif entry.needs_model:
                yield entry, answers[entry.chunk.index]
            else:  # every row rejected: nothing for the model
                yield entry, score_input(model, outputs, None, 0)

    def _score(
        self, ray: Any, chunks: list[Prepared], worker_args: dict[str, Any]
    ) -> dict[int, Scores]:
        tables = [model_input_table(p.chunk.index, p.conformed.model_input) for p in chunks]
        available = int(ray.available_resources().get("CPU", 1))
        workers = self.workers or max(1, available)
        with _quiet_ray_data(ray):
            dataset = ray.data.from_arrow(tables).map_batches(
                ChunkModel,
                fn_constructor_kwargs={**worker_args, "matrix": _is_matrix(chunks[0])},
                batch_size=None,
                batch_format="pyarrow",
                concurrency=min(workers, len(tables)),
                num_cpus=1,
            )
            parts: dict[int, list[pa.Table]] = {}
            for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                for index, part in _by_chunk(batch):
                    parts.setdefault(index, []).append(part)
        return {p.chunk.index: decode_scores(parts.get(p.chunk.index, [])) for p in chunks}


def connect(ray: Any, address: str | None) -> bool:
    """Join or start Ray unless this process already did; whether this call started it."""
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {}
    if address in (None, "local"):
        options = {"include_dashboard": False, "log_to_driver": False}
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise InvalidArgumentError(
            f"Cannot connect to Ray at {address or 'a new local Ray'}: {error}"
        ) from None
    return True


def model_files(directory: Path) -> dict[str, bytes]:
    """A model folder's files by relative path, for workers that cannot read the folder."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def model_input_table(index: int, model_input: Any) -> pa.Table:
    """A chunk's model input as an Arrow table tagged with the chunk and row positions."""
    if isinstance(model_input, pd.DataFrame):
        table = pa.Table.from_pandas(model_input, preserve_index=False)
    else:
        matrix = np.asarray(model_input)
        table = pa.table({f"c{i}": matrix[:, i] for i in range(matrix.shape[1])})
    rows = table.num_rows
    table = table.append_column(_CHUNK, pa.array(np.full(rows, index, dtype=np.int64)))
    return table.append_column(_ROW, pa.array(np.arange(rows, dtype=np.int64)))


class ChunkModel:
    """Ray Data's callable class: loads the model once per worker, scores each batch of
    chunk rows with :func:`score_input` (as the local engine does) and answers the outputs,
    the time taken and any failure, tagged with the chunk."""

    def __init__(
        self,
        directory: str,
        runtime: str,
        files: list[Any],
        outputs: list[str],
        matrix: bool,
    ) -> None:
        path = Path(directory)
        if not path.is_dir():  # another machine: the folder's files come through Ray
            path = _write_model_files(files[0])
        self.model = load_model_dir(path, runtime)
        self.outputs = outputs
        self.matrix = matrix

    def __call__(self, batch: pa.Table) -> pa.Table:
        answers = []
        for index, part in _by_chunk(batch):
            features = part.drop_columns([_CHUNK, _ROW])
            if self.matrix:
                model_input: Any = np.column_stack([c.to_numpy() for c in features.columns])
            else:
                model_input = features.to_pandas()
            scores = score_input(self.model, self.outputs, model_input, part.num_rows)
            answers.append(encode_scores(index, part.column(_ROW), scores))
        return pa.concat_tables(answers, promote_options="default")


def encode_scores(index: int, rows: pa.ChunkedArray, scores: Scores) -> pa.Table:
    """Scores as a table: one row per input row, ``out|NAME|DTYPE|COLUMN`` per output
    column (``-`` for a 1-D output), the seconds spread over the rows, and the failure."""
    count = len(rows)
    columns: dict[str, Any] = {
        _CHUNK: pa.array(np.full(count, index, dtype=np.int64)),
        _ROW: rows,
        _SECONDS: pa.array(np.full(count, scores.seconds / max(count, 1))),
    }
    failure = scores.failure
    if failure is not None:
        text = json.dumps({**failure.__dict__, "shape": list(failure.shape)})
        columns[_FAILURE] = pa.array([text] * count, pa.string())
        return pa.table(columns)
    columns[_FAILURE] = pa.nulls(count, pa.string())
    for name, array in scores.answers.items():
        dtype = array.dtype.str
        if array.ndim == 1:
            columns[f"{_OUT}{name}|{dtype}|-"] = pa.array(array)
        else:
            for i in range(array.shape[1]):
                columns[f"{_OUT}{name}|{dtype}|{i}"] = pa.array(np.ascontiguousarray(array[:, i]))
    return pa.table(columns)


def decode_scores(parts: list[pa.Table]) -> Scores:
    """A chunk's scores from its answered parts (in row order), as the local engine's."""
    if not parts:
        return Scores({}, 0.0, Failure("raised", detail="RuntimeError: no answer from Ray"))
    parts = sorted(parts, key=lambda part: part.column(_ROW)[0].as_py())
    table = pa.concat_tables(parts, promote_options="default")
    seconds = float(np.sum(table.column(_SECONDS).to_numpy()))
    failures = [text for text in table.column(_FAILURE).to_pylist() if text is not None]
    if failures:
        raw = json.loads(failures[0])
        failure = Failure(
            str(raw["kind"]),
            detail=str(raw["detail"]),
            output=str(raw["output"]),
            shape=tuple(int(n) for n in raw["shape"]),
            rows=int(raw["rows"]),
        )
        return Scores({}, seconds, failure)
    grouped: dict[str, list[tuple[str, str, np.ndarray]]] = {}
    for column_name in table.column_names:
        if column_name.startswith(_OUT):
            name, dtype, position = column_name[len(_OUT) :].rsplit("|", 2)
            values = table.column(column_name).to_numpy(zero_copy_only=False)
            grouped.setdefault(name, []).append((position, dtype, values))
    answers: dict[str, np.ndarray] = {}
    for name, columns in grouped.items():
        dtype = np.dtype(columns[0][1])
        if columns[0][0] == "-":
            answers[name] = columns[0][2].astype(dtype, copy=False)
        else:
            ordered = sorted(columns, key=lambda column: int(column[0]))
            answers[name] = np.column_stack([c[2] for c in ordered]).astype(dtype, copy=False)
    return Scores(answers, seconds)


def _by_chunk(batch: pa.Table) -> Iterator[tuple[int, pa.Table]]:
    """The runs of rows of one chunk in ``batch`` (a block holds one chunk, or a part)."""
    indices = batch.column(_CHUNK).to_numpy()
    if not len(indices):
        return
    edges = np.flatnonzero(np.diff(indices)) + 1
    starts = [0, *edges.tolist()]
    stops = [*edges.tolist(), len(indices)]
    for start, stop in zip(starts, stops, strict=True):
        yield int(indices[start]), batch.slice(start, stop - start)


def _is_matrix(prepared: Prepared) -> bool:
    return not isinstance(prepared.conformed.model_input, pd.DataFrame)


def _write_model_files(files: Any) -> Path:
    import ray

    contents = ray.get(files) if isinstance(files, ray.ObjectRef) else files
    folder = Path(tempfile.mkdtemp(prefix="mlsteward-ray-model-"))
    for relative, content in dict(contents).items():
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"model file {relative!r} lies outside the model folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


@contextlib.contextmanager
def _quiet_ray_data(ray: Any) -> Iterator[None]:
    """No Ray Data progress bars on the terminal while a job runs (the CLI has its own)."""
    context = ray.data.DataContext.get_current()
    before = getattr(context, "enable_progress_bars", None)
    context.enable_progress_bars = False
    try:
        yield
    finally:
        if before is not None:
            context.enable_progress_bars = before
