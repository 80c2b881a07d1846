"""Model cards (Mitchell et al., 2019) filled from what the system recorded.

Recorded facts (version, run params and metrics, environment, lineage, approvals, alias and
stage history, thresholds, evaluation) fill the card; the fields only a person can write
(intended use, factors, data descriptions, ethics, caveats...) come from the model's card
(``update_model_card``) or ``card.<field>`` tags on the model or the version (the version's
win), and each one still empty is listed as missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlsteward.domain.entities import Run
from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.registry import ModelVersion, RegisteredModel
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.gates import evaluated_metrics, is_stale, latest_decision
from mlsteward.services.registry.models import CARD_FIELDS
from mlsteward.services.registry.validation import validate_model_name, validate_version
from mlsteward.services.registry.versions import RUNS_SCHEME, parse_runs_uri

#: The manifest a logged model directory holds (see ``mlsteward.services.models.manifest``).
MANIFEST_FILE = "MLmodel.json"
CARD_TAG_PREFIX = "card."
OPTIONAL_FIELDS = frozenset({"citation"})
_KEY_PACKAGES = (
    "scikit-learn", "xgboost", "lightgbm", "torch", "onnx", "onnxruntime", "numpy", "pandas",
)  # fmt: skip


@dataclass(frozen=True)
class CardItem:
    """One line of the card; ``field`` is set for what a person fills in."""

    label: str
    value: str | None
    field: str | None = None


@dataclass(frozen=True)
class CardTable:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class CardSection:
    title: str
    items: list[CardItem] = field(default_factory=list)
    tables: list[CardTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: int
    generated_at: str
    sections: list[CardSection]
    missing: list[CardItem]

    @property
    def title(self) -> str:
        return f"Model card: {self.name} v{self.version}"


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _human_fields(model: RegisteredModel, version: ModelVersion) -> dict[str, str]:
    values = dict(model.card)
    for tags in (model.tags, version.tags):
        for key, value in tags.items():
            if key.startswith(CARD_TAG_PREFIX) and value.strip():
                values[key[len(CARD_TAG_PREFIX) :]] = value
    return values


def _person(values: dict[str, str], key: str) -> CardItem:
    return CardItem(CARD_FIELDS[key], values.get(key), key)


def _environment(ctx: ServiceContext, version: ModelVersion) -> dict[str, Any]:
    if not version.environment_digest:
        return {}
    try:
        return dict(json.loads(ctx.blobs.read_bytes(version.environment_digest)))
    except (MlstewardError, OSError, ValueError):
        return {}


def _manifest(ctx: ServiceContext, version: ModelVersion) -> dict[str, Any]:
    """The logged model's manifest (flavor, class, requirements), when the source has one."""
    if version.run_id is None or not version.source.startswith(RUNS_SCHEME):
        return {}
    try:
        _, path = parse_runs_uri(version.source)
        wanted = f"{path}/{MANIFEST_FILE}" if path else MANIFEST_FILE
        for record in ctx.stores.tracking.list_artifact_records(version.run_id, wanted):
            if record.path == wanted:
                return dict(json.loads(ctx.blobs.read_bytes(record.digest)))
    except (MlstewardError, OSError, ValueError, TypeError):
        pass
    return {}


def _run(ctx: ServiceContext, version: ModelVersion) -> Run | None:
    if version.run_id is None:
        return None
    try:
        return ctx.stores.tracking.get_run(version.run_id)
    except MlstewardError:
        return None


def _details(
    model: RegisteredModel,
    version: ModelVersion,
    run: Run | None,
    env: dict[str, Any],
    manifest: dict[str, Any],
    human: dict[str, str],
) -> CardSection:
    packages = env.get("packages") or {}
    python = (env.get("python") or {}).get("version")
    pinned = manifest.get("requirements") or []
    libs = ", ".join(pinned) or ", ".join(
        f"{p} {packages[p]}" for p in _KEY_PACKAGES if p in packages
    )
    flavor = (manifest.get("flavor") or {}).get("name") or version.tags.get("mlsteward.flavor")
    model_class = manifest.get("model_class")
    kind = f"{flavor} ({model_class})" if flavor and model_class else flavor
    items = [
        CardItem("Name", model.name),
        CardItem("Version", str(version.version)),
        CardItem("Description", version.description or model.description),
        CardItem("Registered by", f"{version.created_by}, {_when(version.creation_timestamp)}"),
        CardItem("Stage", version.current_stage.value),
        CardItem("Aliases", ", ".join(version.aliases) or "none"),
        CardItem("Model type", kind or None),
        CardItem("Source", version.source),
        CardItem("Training run", f"{run.info.run_name} ({run.info.run_id})" if run else None),
        CardItem("Code commit", version.git_commit),
        CardItem("Environment", f"Python {python}; {libs}" if python else None),
        CardItem("Environment digest", version.environment_digest),
        _person(human, "developers"),
        _person(human, "license"),
        _person(human, "contact"),
        _person(human, "citation"),
    ]
    tables = []
    if run and run.data.params:
        rows = [[k, v] for k, v in sorted(run.data.params.items())]
        tables.append(CardTable("Training parameters", ["Parameter", "Value"], rows))
    return CardSection("Model details", items, tables)


def _metrics_sections(
    ctx: ServiceContext, model: RegisteredModel, version: ModelVersion, human: dict[str, str]
) -> tuple[CardSection, CardSection]:
    observed = evaluated_metrics(ctx, version)
    thresholds = {th.metric: th for th in model.acceptance_thresholds}
    rows = []
    for key in sorted(observed):
        seen = observed[key]
        th = thresholds.get(key)
        status = ("met" if th.is_met_by(seen.value) else "NOT MET") if th else ""
        rows.append([key, f"{seen.value:.6g}", seen.origin, str(th) if th else "", status])
    metrics = CardSection(
        "Metrics",
        [_person(human, "metric_rationale")],
        [CardTable("Recorded metrics", ["Metric", "Value", "From", "Threshold", "Status"], rows)]
        if rows
        else [],
        [] if rows else ["No metrics were recorded for this version."],
    )
    notes = []
    for th in model.acceptance_thresholds:
        if th.metric not in observed:
            notes.append(f"Threshold {th} cannot be checked: no {th.metric!r} recorded.")
    if not version.evaluation:
        notes.append("No evaluation is attached to this version (see mlsteward.evaluate).")
    eval_rows = [[k, f"{v:.6g}"] for k, v in sorted(version.evaluation.items())]
    quantitative = CardSection(
        "Quantitative analyses",
        [],
        [CardTable("Evaluation results", ["Metric", "Value"], eval_rows)] if eval_rows else [],
        notes,
    )
    return metrics, quantitative


def _governance(ctx: ServiceContext, model: RegisteredModel, version: ModelVersion) -> CardSection:
    store = ctx.stores.registry
    approvals = store.list_approvals(model.name, version.version)
    last = latest_decision(approvals)
    state = "no decision yet" if last is None else f"{last.decision.value.lower()} by {last.actor}"
    if last is not None and is_stale(version, last):
        state += " on an earlier evaluation; re-approval needed"
    protected = ", ".join(model.protected_aliases) or "none"
    thresholds = "; ".join(map(str, model.acceptance_thresholds))
    items = [
        CardItem("Review status", state),
        CardItem("Protected aliases", protected),
        CardItem("Acceptance thresholds", thresholds or "none"),
        CardItem("Datasets", ", ".join(version.dataset_version_ids) or "none recorded"),
    ]
    tables = []
    if approvals:
        rows = [[_when(a.timestamp), a.actor, a.decision.value, a.comment] for a in approvals]
        tables.append(CardTable("Approvals", ["When", "Who", "Decision", "Comment"], rows))
    moves = [
        e
        for e in store.list_alias_events(model.name)
        if version.version in (e.from_version, e.to_version)
    ]
    if moves:
        rows = [
            [_when(e.timestamp), e.alias, e.action.value,
             f"{e.from_version or '-'} -> {e.to_version or '-'}", e.actor, e.reason or ""]
            for e in moves
        ]  # fmt: skip
        tables.append(
            CardTable("Alias history", ["When", "Alias", "Action", "Versions", "Who", "Why"], rows)
        )
    stages = store.list_stage_transitions(model.name, version.version)
    if stages:
        rows = [
            [_when(s.timestamp), f"{s.from_stage.value} -> {s.to_stage.value}", s.actor,
             s.reason or ""]
            for s in stages
        ]  # fmt: skip
        tables.append(CardTable("Stage history", ["When", "Stage", "Who", "Why"], rows))
    return CardSection("Lineage and governance", items, tables)


def build_model_card(ctx: ServiceContext, name: str, version: int | str) -> ModelCard:
    """Assemble the card of one version from the records (see the module docstring)."""
    clean_name = validate_model_name(name, ctx.limits)
    store = ctx.stores.registry
    model = store.get_registered_model(clean_name)
    mv = store.get_model_version(clean_name, validate_version(version))
    run = _run(ctx, mv)
    env = _environment(ctx, mv)
    manifest = _manifest(ctx, mv)
    human = _human_fields(model, mv)
    metrics, quantitative = _metrics_sections(ctx, model, mv, human)
    datasets = ", ".join(mv.dataset_version_ids) or None
    sections = [
        _details(model, mv, run, env, manifest, human),
        CardSection(
            "Intended use",
            [_person(human, k) for k in ("primary_uses", "primary_users", "out_of_scope_uses")],
        ),
        CardSection(
            "Factors", [_person(human, k) for k in ("relevant_factors", "evaluation_factors")]
        ),
        metrics,
        CardSection(
            "Evaluation data",
            [CardItem("Dataset versions", datasets), _person(human, "evaluation_data")],
        ),
        CardSection(
            "Training data",
            [CardItem("Dataset versions", datasets), _person(human, "training_data")],
        ),
        quantitative,
        CardSection("Ethical considerations", [_person(human, "ethical_considerations")]),
        CardSection("Caveats and recommendations", [_person(human, "caveats_and_recommendations")]),
        _governance(ctx, model, mv),
    ]
    missing = [
        item
        for section in sections
        for item in section.items
        if item.field and not item.value and item.field not in OPTIONAL_FIELDS
    ]
    return ModelCard(clean_name, mv.version, _when(ctx.clock()), sections, missing)
