"""``predict_batch``: score a table with a registered model, resumably, into an output.

The order keeps failures cheap and clear: options are checked, the model version and every
input file are resolved (a missing, unreadable or unknown file is refused before anything
is written), the output's job folder is claimed with a manifest, then chunks are scored
(see ``engines.batch_scoring``). Running the same command again finds the manifest and
resumes: finished chunks are not redone. A manifest made for another model version, input
(files changed since) or settings is refused, since resuming would mix two jobs' rows,
unless ``restart`` asks to start over.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from mlsteward.domain.errors import ConflictError, InvalidArgumentError, PermissionDeniedError
from mlsteward.engines.batch_scoring import (
    OUTPUTS,
    REJECTED,
    BatchInputError,
    ChunkScorer,
    FeaturePlan,
    JobChangedError,
    JobFolder,
    Manifest,
    csv_header,
    iter_chunks,
    parquet_rows,
    prefetched,
)
from mlsteward.engines.batch_scoring.ray_engine import RayScoring, check_address, require_ray
from mlsteward.engines.batch_scoring.scoring import (
    ENGINES,
    LocalScoring,
    ScoringEngine,
)
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.services.batch_inference import finishing, sql_output
from mlsteward.services.batch_inference.locations import (
    OutputTarget,
    ResolvedInput,
    exists_as_file,
    resolve_input,
    resolve_output,
)
from mlsteward.services.batch_inference.model_version import loaded_model, resolve_version
from mlsteward.services.batch_inference.prediction_logging import BatchLog
from mlsteward.services.batch_inference.progress import ProgressCounter
from mlsteward.services.batch_inference.wire import BatchReport
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import Resource
from mlsteward.services.predictions.location import prediction_log_root
from mlsteward.storage.prediction_log import is_deployment_name, open_filesystem

DEFAULT_CHUNK_ROWS = 100_000
MAX_CHUNK_ROWS = 10_000_000
ON_BAD_ROWS = ("fail", "skip")
LOG_SUFFIX = "-batch"


@dataclass(frozen=True)
class BatchOptions:
    """How a job runs. ``keep_columns`` None keeps every input column; ``log_as`` None logs
    under ``<model name>-batch``; ``log`` False logs nothing."""

    chunk_size: int = DEFAULT_CHUNK_ROWS
    runtime: str = "auto"
    outputs: tuple[str, ...] = ("predict",)
    keep_columns: tuple[str, ...] | None = None
    on_bad_rows: str = "fail"
    log: bool = True
    log_as: str | None = None
    restart: bool = False
    #: Where the model runs: ``local`` (this process) or ``ray`` (Ray Data workers, at
    #: ``ray_address``: None starts a local Ray). Results are the same either way.
    engine: str = "local"
    ray_address: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def checked(self) -> BatchOptions:
        size = self.chunk_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_CHUNK_ROWS:
            raise InvalidArgumentError(
                f"chunk_size must be from 1 to {MAX_CHUNK_ROWS} rows: {size!r}"
            )
        if self.on_bad_rows not in ON_BAD_ROWS:
            raise InvalidArgumentError(
                f"on_bad_rows must be one of {ON_BAD_ROWS}: {self.on_bad_rows!r}"
            )
        outputs = tuple(self.outputs)
        if (
            not outputs
            or any(name not in OUTPUTS for name in outputs)
            or len(set(outputs)) != len(outputs)
        ):
            raise InvalidArgumentError(
                f"outputs must be some of {OUTPUTS}, each once: {list(outputs)!r}"
            )
        keep = self.keep_columns
        if keep is not None and any(not isinstance(c, str) or not c for c in keep):
            raise InvalidArgumentError("keep_columns must be column names")
        if self.engine not in ENGINES:
            raise InvalidArgumentError(f"engine must be one of {ENGINES}: {self.engine!r}")
        if self.ray_address is not None and self.engine != "ray":
            raise InvalidArgumentError("ray_address is for engine 'ray' only")
        check_address(self.ray_address)
        if self.log_as is not None and not is_deployment_name(self.log_as):
            raise InvalidArgumentError(
                f"log_as names the prediction log's deployment: letters, digits, '.', '_', '-', "
                f"starting with a letter or digit; got {str(self.log_as)[:80]!r}"
            )
        return self


def predict_batch(
    ctx: ServiceContext,
    model_uri: str,
    inputs: Sequence[str],
    output: str,
    options: BatchOptions | None = None,
) -> BatchReport:
    """Score ``inputs`` with the version ``model_uri`` names into ``output`` (see the module
    docstring); resumes a job the same output holds."""
    chosen = (options or BatchOptions()).checked()
    scoring = _scoring_engine(ctx, chosen)
    started = time.perf_counter()
    version = resolve_version(ctx, model_uri)
    source = resolve_input(ctx, list(inputs))
    if output.startswith("dataset:"):
        _require_create_dataset(ctx, output[len("dataset:") :])
    key = hashlib.sha256(
        json.dumps(
            [version.name, version.version, source.description, sql_output.job_key_part(output)]
        ).encode()
    ).hexdigest()[:24]
    target = resolve_output(ctx, output, key)
    if target.kind == "parquet" and exists_as_file(target.location):
        raise ConflictError(f"{target.location} is a file: a Parquet output is a folder")
    log_name = chosen.log_as or f"{version.name}{LOG_SUFFIX}"
    if chosen.log and not is_deployment_name(log_name):
        raise InvalidArgumentError(f"{log_name!r} cannot name a prediction log: pass log_as")
    with loaded_model(ctx, version, chosen.runtime) as (model, runtime):
        plan = FeaturePlan.from_signature(model.signature)
        _check_input(model, plan, source, chosen)
        fs, base = open_filesystem(target.folder)
        folder = JobFolder(fs, base)
        settings = {
            "model": f"{version.name}/{version.version}",
            "runtime": runtime,
            "input": source.fingerprint,
            "chunk_size": chosen.chunk_size,
            "outputs": list(chosen.outputs),
            "keep_columns": list(chosen.keep_columns) if chosen.keep_columns is not None else None,
            "on_bad_rows": chosen.on_bad_rows,
        }
        manifest = _claim(ctx, folder, settings, chosen.restart)
        resumed_before = set(manifest.done) & folder.finished_parts()
        log = (
            BatchLog(prediction_log_root(ctx), log_name, version.name, version.version)
            if chosen.log
            else None
        )
        scorer = ChunkScorer(
            model=model,
            plan=plan,
            folder=folder,
            manifest=manifest,
            chunk_size=chosen.chunk_size,
            outputs=chosen.outputs,
            keep_columns=chosen.keep_columns,
            skip_bad_rows=chosen.on_bad_rows == "skip",
            log=log,
            progress=ProgressCounter(source.rows),
            clock=ctx.clock,
            scoring=scoring,
        )
        try:
            chunks = iter_chunks(
                source.files,
                chosen.chunk_size,
                text_columns=plan.text_columns(),
                skip_malformed=chosen.on_bad_rows == "skip",
                done=resumed_before,
            )
            counts = scorer.run(prefetched(chunks))
        finally:
            if log is not None:
                log.close()
    output_version, rejected_location = _finish(
        ctx, target, folder, manifest, source, version, runtime, chosen
    )
    manifest.finished = True
    manifest.result = {"output_version": output_version}
    folder.write_manifest(manifest)
    duration = time.perf_counter() - started
    read_now = (
        counts.rows_scored
        + counts.rejected
        - sum(
            int(manifest.done[i].get("rejected", 0)) for i in resumed_before if i in manifest.done
        )
    )
    total_rejected = sum(int(d.get("rejected", 0)) for d in manifest.done.values())
    return BatchReport(
        job_id=manifest.job_id,
        model_name=version.name,
        model_version=version.version,
        runtime=runtime,
        engine=chosen.engine,
        input=source.description,
        output=output if target.kind == "dataset" else target.location,
        rows=sum(int(d["rows"]) for d in manifest.done.values()),
        rows_scored=counts.rows_scored,
        rows_resumed=counts.rows_resumed,
        rejected=total_rejected,
        chunks=len(manifest.done),
        chunks_resumed=counts.chunks_resumed,
        duration_s=round(duration, 3),
        rows_per_s=round(read_now / duration, 1) if duration > 0 else 0.0,
        logged_as=log_name if chosen.log else None,
        rows_logged=log.logged if log is not None else 0,
        output_version=output_version,
        rejected_location=rejected_location if total_rejected else None,
        rejected_sample=counts.rejected_sample,
    )


def _scoring_engine(ctx: ServiceContext, options: BatchOptions) -> ScoringEngine:
    """The engine the options ask for. A server runs jobs in its own process only: Ray would
    let a client make it join any cluster, and no operator option allows that yet."""
    if options.engine == "local":
        return LocalScoring()
    if ctx.outbound.restricted:
        raise PermissionDeniedError(
            "This server runs batch jobs with engine 'local' only: run engine 'ray' against "
            "the store directly (a local tracking URI), where Ray runs as you"
        )
    require_ray()
    return RayScoring(options.ray_address)


def _require_create_dataset(ctx: ServiceContext, name: str) -> None:
    """A ``dataset:`` output creates a version: the caller must be allowed to create it."""
    decision = ctx.policy.decide(
        ctx.acting, Action.CREATE, Resource(ResourceKind.DATASET, name), "batch.predict"
    )
    if not decision.allowed:
        raise PermissionDeniedError(
            decision.reason or f"{ctx.actor} may not create versions of dataset {name!r}"
        )


def _check_input(
    model: LoadedModel, plan: FeaturePlan, source: ResolvedInput, options: BatchOptions
) -> None:
    """Every file readable (Parquet footer, CSV header) and holding the kept columns, and
    the outputs asked for available, before anything is written."""
    if "predict_proba" in options.outputs and not model.has_predict_proba:
        raise InvalidArgumentError(
            f"This {model.flavor} model has no predict_proba: ask for outputs ['predict']"
        )
    files = list(source.files)
    for position, file in enumerate(files):
        if file.format == "parquet":
            rows = file.rows if file.rows is not None else parquet_rows(file)
            files[position] = type(file)(file.name, file.format, file.open, rows)
            with file.open() as handle:
                names = pq.ParquetFile(handle).schema_arrow.names
        else:
            names = csv_header(file)
        missing = [c for c in options.keep_columns or () if c not in names]
        if missing:
            raise BatchInputError(f"{file.name} has no column {missing[0]!r} to keep")
    source.files[:] = files


def _claim(
    ctx: ServiceContext, folder: JobFolder, settings: dict[str, Any], restart: bool
) -> Manifest:
    """This job's manifest in ``folder``: found (resumed), or new."""
    try:
        found = folder.read_manifest()
    except ValueError as error:
        raise ConflictError(f"{error}: pass restart to start the job over") from None
    if found is not None and not restart:
        changed = sorted(k for k in settings if found.settings.get(k) != settings[k])
        if changed:
            raise JobChangedError(
                f"{folder.base} holds a job made with other {', '.join(changed)} (the input "
                "files, the model version or the settings changed): resuming would mix two "
                "jobs' rows. Pass restart to start over, or choose another output"
            )
        return found
    if found is None and folder.holds_other_files():
        raise ConflictError(
            f"{folder.base} already holds files that are not a batch job's: choose an empty "
            "or new output folder"
        )
    if found is not None:
        folder.clear()
    manifest = Manifest(
        job_id=secrets.token_hex(16),
        salt=secrets.randbits(24),
        created_ms=ctx.clock(),
        settings=settings,
    )
    folder.write_manifest(manifest)
    return manifest


def _finish(
    ctx: ServiceContext,
    target: OutputTarget,
    folder: JobFolder,
    manifest: Manifest,
    source: ResolvedInput,
    version: Any,
    runtime: str,
    options: BatchOptions,
) -> tuple[str | None, str | None]:
    """Write the CSV, register the dataset version or load the SQL table; ``(version ref,
    rejected location)``."""
    indices = sorted(manifest.done)
    rejected = [i for i in indices if manifest.done[i].get("rejected")]
    rejected_location = f"{folder.base}/{REJECTED}"
    if target.kind == "csv":
        fs, path = open_filesystem(target.location)
        finishing.write_csv(fs, path, finishing.part_batches(folder, indices))
        if rejected:
            rejected_location = finishing.rejected_csv_location(path)
            finishing.write_csv(
                fs, rejected_location, finishing.part_batches(folder, rejected, True)
            )
        return None, rejected_location
    if target.kind == "dataset":
        lineage = {
            "model": {
                "name": version.name,
                "version": version.version,
                "uri": f"models:/{version.name}/{version.version}",
                "runtime": runtime,
            },
            "input": {
                "description": source.description,
                "dataset_version_id": source.dataset.dataset_version_id if source.dataset else None,
                "fingerprint": source.fingerprint,
            },
            "job_id": manifest.job_id,
            "chunk_size": options.chunk_size,
            "rejected": sum(int(manifest.done[i].get("rejected", 0)) for i in indices),
        }
        made = finishing.register_output(
            ctx, target.location, folder, manifest, lineage, source.dataset
        )
        return made.ref, rejected_location
    if target.kind == "sql":
        finishing.write_sql(target.sql, folder, manifest)
    return None, rejected_location


__all__ = ["DEFAULT_CHUNK_ROWS", "BatchOptions", "predict_batch"]
