"""Model versions: registration with lineage from the run, search, tags, evaluation results
and their history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress

from mlsteward.domain.entities import LifecycleStage, Run
from mlsteward.domain.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import is_valid_id
from mlsteward.domain.registry import ModelStage, ModelVersion, RegistryPage
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.domain.registry_filter import RegistryCondition, parse_registry_filter
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.models import clean_tags, create_registered_model
from mlsteward.services.registry.paging import decode_token, encode_token
from mlsteward.services.registry.validation import (
    validate_model_name,
    validate_text,
    validate_version,
)
from mlsteward.services.tracking.validation import (
    validate_artifact_path,
    validate_key,
    validate_metric_value,
)

GIT_COMMIT_TAG = "mlsteward.git.commit"
ENVIRONMENT_ARTIFACT = "_environment.json"
RUNS_SCHEME = "runs:/"


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> (run_id, path); the path may be empty (the run's root)."""
    if not uri.startswith(RUNS_SCHEME):
        raise InvalidArgumentError(f"Not a runs:/ URI: {uri!r}")
    run_id, _, path = uri[len(RUNS_SCHEME) :].lstrip("/").partition("/")
    if not is_valid_id(run_id):
        raise InvalidArgumentError(
            f"Invalid model source {uri!r}: expected runs:/<32-hex run id>/<artifact path>"
        )
    return run_id, path.strip("/")


def _run_lineage(ctx: ServiceContext, run: Run, path: str | None) -> tuple[str | None, str | None]:
    """(git commit, environment digest) of the run; checks the model path has files."""
    run_id = run.info.run_id
    if path is not None:
        clean = validate_artifact_path(path, ctx.limits, allow_root=True)
        found = any(
            not clean or r.path == clean or r.path.startswith(clean + "/")
            for r in ctx.stores.tracking.list_artifact_records(run_id, clean)
        )
        if not found:
            raise NotFoundError(
                f"Run {run_id!r} has no artifacts at {clean or '/'!r}: log the model first "
                f"(e.g. mlsteward.log_model(model, {clean or 'model'!r}))"
            )
    env = [
        r
        for r in ctx.stores.tracking.list_artifact_records(run_id, ENVIRONMENT_ARTIFACT)
        if r.path == ENVIRONMENT_ARTIFACT
    ]
    return run.data.tags.get(GIT_COMMIT_TAG), env[0].digest if env else None


def _run_dataset_inputs(ctx: ServiceContext, run_id: str) -> list[str]:
    """The dataset versions the run logged as inputs (``mlsteward.log_input``), in order."""
    inputs = ctx.stores.datasets.list_run_inputs(run_id)
    return list(dict.fromkeys(i.dataset_version_id for i in inputs))


def create_model_version(
    ctx: ServiceContext,
    name: str,
    source: str,
    run_id: str | None = None,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
    dataset_version_ids: Sequence[str] | None = None,
    create_model: bool = False,
) -> ModelVersion:
    """Register the model at ``source`` as the next version of ``name``.

    With ``create_model`` the registered model is created when missing, but only after the
    source, run and dataset ids were checked, so a refused registration leaves nothing.

    A ``runs:/<run_id>/<path>`` source must name files the run logged; the version then
    records the run, its git commit tag and the digest of its ``_environment.json``.
    Other sources (object-store URIs, paths) are taken as given, with ``run_id`` optional.
    """
    store = ctx.stores.registry
    clean_name = validate_model_name(name, ctx.limits)
    if not create_model:
        store.get_registered_model(clean_name)
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgumentError("A model version needs a source URI, e.g. runs:/<id>/model")
    path: str | None = None
    if source.startswith(RUNS_SCHEME):
        source_run, path = parse_runs_uri(source)
        if run_id is not None and run_id != source_run:
            raise InvalidArgumentError(
                f"run_id {run_id!r} does not match the run in source {source!r}"
            )
        run_id = source_run
    elif source.startswith("models:/"):
        raise InvalidArgumentError(
            "A version's source is where the model files are (runs:/..., a path or an "
            "object-store URI), not another models:/ URI"
        )
    git_commit = environment_digest = None
    if run_id is not None:
        run = ctx.stores.tracking.get_run(run_id)
        if run.info.lifecycle_stage is LifecycleStage.DELETED:
            raise InvalidArgumentError(f"Run {run_id!r} is deleted; restore it to register it")
        git_commit, environment_digest = _run_lineage(ctx, run, path)
    datasets = list(dataset_version_ids or [])
    if dataset_version_ids is None and run_id is not None:
        datasets = _run_dataset_inputs(ctx, run_id)
    if not all(isinstance(d, str) and d for d in datasets):
        raise InvalidArgumentError("dataset_version_ids must be non-empty strings")
    clean_description = validate_text("description", description)
    version_tags = clean_tags(ctx, tags)
    if create_model:
        with suppress(AlreadyExistsError):
            create_registered_model(ctx, clean_name)
    return store.create_model_version(
        clean_name,
        source=source,
        run_id=run_id,
        description=clean_description,
        tags=version_tags,
        created_by=ctx.actor,
        git_commit=git_commit,
        environment_digest=environment_digest,
        dataset_version_ids=datasets,
        now=ctx.clock(),
    )


def get_model_version(ctx: ServiceContext, name: str, version: int | str) -> ModelVersion:
    return ctx.stores.registry.get_model_version(
        validate_model_name(name, ctx.limits), validate_version(version)
    )


def _normalize(cond: RegistryCondition) -> RegistryCondition:
    """Stage names compare in their canonical spelling ('production' -> 'Production')."""
    if cond.field != "stage" or cond.op in ("LIKE", "ILIKE"):
        return cond
    if isinstance(cond.value, tuple):
        values = tuple(ModelStage.parse(str(v)).value for v in cond.value)
        return RegistryCondition(cond.field, cond.op, values, cond.key)
    return RegistryCondition(cond.field, cond.op, ModelStage.parse(str(cond.value)).value)


def search_model_versions(
    ctx: ServiceContext,
    filter_string: str | None = None,
    max_results: int = 1000,
    page_token: str | None = None,
) -> RegistryPage[ModelVersion]:
    """Versions matching the filter, by model name then newest version first."""
    if not 1 <= max_results <= ctx.limits.max_search_results:
        raise InvalidArgumentError(
            f"max_results must be between 1 and {ctx.limits.max_search_results}"
        )
    conditions = [
        _normalize(c) for c in parse_registry_filter(filter_string, "version", ctx.limits.filters)
    ]
    offset = decode_token("version", filter_string, page_token)
    items, more = ctx.stores.registry.search_model_versions(conditions, max_results, offset)
    token = encode_token("version", filter_string, offset + len(items)) if more else None
    return RegistryPage(items, token)


def get_latest_versions(
    ctx: ServiceContext, name: str, stages: Sequence[str] | None = None
) -> list[ModelVersion]:
    """The newest version in each stage (every stage when ``stages`` is None)."""
    wanted = {ModelStage.parse(s) for s in stages} if stages else set(ModelStage)
    clean_name = validate_model_name(name, ctx.limits)
    ctx.stores.registry.get_registered_model(clean_name)
    latest: dict[ModelStage, ModelVersion] = {}
    query = "name = '{}'".format(clean_name.replace("'", "''"))
    token: str | None = None
    while True:
        page = search_model_versions(ctx, query, 1000, token)
        for version in page.items:
            if version.current_stage in wanted:
                latest.setdefault(version.current_stage, version)
        token = page.next_page_token
        if token is None:
            break
    return sorted(latest.values(), key=lambda v: v.version)


def update_model_version(
    ctx: ServiceContext, name: str, version: int | str, description: str
) -> ModelVersion:
    return ctx.stores.registry.update_model_version(
        validate_model_name(name, ctx.limits),
        validate_version(version),
        ctx.clock(),
        description=validate_text("description", description) or "",
    )


def set_model_version_tag(
    ctx: ServiceContext, name: str, version: int | str, key: str, value: object
) -> None:
    clean = clean_tags(ctx, {key: value})
    ctx.stores.registry.set_model_version_tag(
        validate_model_name(name, ctx.limits),
        validate_version(version),
        key,
        clean[key],
        ctx.clock(),
    )


def delete_model_version_tag(ctx: ServiceContext, name: str, version: int | str, key: str) -> None:
    ctx.stores.registry.delete_model_version_tag(
        validate_model_name(name, ctx.limits),
        validate_version(version),
        validate_key("Tag", key, ctx.limits),
        ctx.clock(),
    )


def attach_evaluation(
    ctx: ServiceContext, name: str, version: int | str, metrics: Mapping[str, object]
) -> ModelVersion:
    """Attach evaluation results to a version (a metric given again is replaced).

    Gates read these before the run's metrics, so an evaluation on held-out data decides.
    Anyone may attach (the registrant's own evaluation is the usual case), but every change
    is recorded (who, when, before, after; values given again unchanged record nothing), and
    an approval given before a change no longer counts at the gates (see ``gates``).
    """
    if not isinstance(metrics, Mapping) or not metrics:
        raise InvalidArgumentError("attach_evaluation needs a non-empty dict of metric values")
    clean = {
        validate_key("Metric", key, ctx.limits): validate_metric_value(key, value)
        for key, value in metrics.items()
    }
    return ctx.stores.registry.record_evaluation(
        validate_model_name(name, ctx.limits),
        validate_version(version),
        clean,
        ctx.clock(),
        actor=ctx.actor,
    )


def evaluation_history(
    ctx: ServiceContext, name: str, version: int | str | None = None
) -> list[EvaluationChange]:
    """Every change of the version's (or every version's) evaluation, oldest first."""
    return ctx.stores.registry.list_evaluation_changes(
        validate_model_name(name, ctx.limits),
        None if version is None else validate_version(version),
    )
