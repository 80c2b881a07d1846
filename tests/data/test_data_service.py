"""Data service rules on SQLite and PostgreSQL: ingest, dedup, bad input, derive, lineage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlsteward.domain.errors import ConflictError, InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.engines.data import (
    DataSchema,
    MalformedRowError,
    MissingColumnError,
    SourceError,
    StepError,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import derive, labeling, lineage, quality, rebuild, versions
from mlsteward.services.data.register import ValidationFailedError
from mlsteward.services.tracking import experiments, runs


def _name() -> str:
    return f"ds-{new_id()[:10]}"


def _blob_count(ctx: ServiceContext) -> int:
    root = Path(ctx.blobs.root)
    return sum(1 for p in root.rglob("*") if p.is_file() and "tmp" not in p.parts)


def test_ingest_load_alias_and_same_content_is_stored_once(
    ctx: ServiceContext, csv_file: Path
) -> None:
    name = _name()
    first = versions.ingest(ctx, name, csv_file)
    blobs = _blob_count(ctx)
    again = versions.ingest(ctx, name, csv_file)
    assert first.created and not again.created
    assert again.version == first.version
    assert _blob_count(ctx) == blobs
    version = first.version
    assert (version.version, version.num_rows, version.created_by) == (1, 60, "alice")
    assert version.lineage["source"]["kind"] == "csv"
    table = versions.load_table(ctx, f"{name}@1")
    assert table.num_rows == 60 and table.column_names[0] == "id"
    versions.set_alias(ctx, f"{name}@1", "prod")
    by_alias = versions.get_version(ctx, f"{name}@prod")
    assert by_alias.dataset_version_id == version.dataset_version_id
    assert versions.get_version(ctx, name).version == 1
    profile = versions.get_profile(ctx, f"{name}@prod")
    assert profile["rows"] == 60 and {v["name"] for v in profile["variables"]} >= {"age"}
    assert "<html" in versions.get_report_html(ctx, name).lower()
    with pytest.raises(InvalidArgumentError):
        versions.set_alias(ctx, f"{name}@1", "latest")


def test_malformed_csv_fails_with_line_number_or_skips_with_report(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    name = _name()
    with pytest.raises(MalformedRowError, match="3"):
        versions.ingest(ctx, name, bad)
    with pytest.raises(NotFoundError):
        versions.get_version(ctx, name)
    skipped = versions.ingest(ctx, name, bad, on_bad_rows="skip")
    assert skipped.version.num_rows == 2
    assert [row.line for row in skipped.bad_rows] == [3]
    assert skipped.version.lineage["bad_row_count"] == 1


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"", SourceError), (b"a,b\n\xff\xfe,1\n", SourceError)],
    ids=["empty", "undecodable"],
)
def test_bad_files_register_nothing(
    ctx: ServiceContext, tmp_path: Path, content: bytes, error: type[Exception]
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    name = _name()
    with pytest.raises(error):
        versions.ingest(ctx, name, path)
    with pytest.raises(NotFoundError):
        versions.get_version(ctx, name)


def test_unknown_extension_and_missing_file_are_clear(ctx: ServiceContext, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="extension"):
        (tmp_path / "x.xlsx").write_text("x")
        versions.ingest(ctx, _name(), tmp_path / "x.xlsx")
    with pytest.raises(InvalidArgumentError, match="No file"):
        versions.ingest(ctx, _name(), tmp_path / "missing.csv")


def test_strict_refuses_a_version_failing_its_schema(ctx: ServiceContext, csv_file: Path) -> None:
    name = _name()
    versions.ingest(ctx, name, csv_file)
    schema = quality.infer_version_schema(ctx, name)
    assert quality.validate_version(ctx, name, schema).ok
    schema.column("age").max = 30
    schema.column("country").allowed = ["US"]
    report = quality.validate_version(ctx, name, schema)
    assert {f.column for f in report.failures} == {"age", "country"}
    text = schema.to_yaml()
    other = _name()
    with pytest.raises(ValidationFailedError) as raised:
        versions.ingest(ctx, other, csv_file, schema=DataSchema.from_yaml(text), strict=True)
    assert len([f for f in raised.value.report.failures if not f.tolerated]) == 2
    with pytest.raises(NotFoundError):
        versions.get_version(ctx, other)


def test_transform_records_lineage_and_rebuild_reproduces_hashes(
    ctx: ServiceContext, csv_file: Path
) -> None:
    name = _name()
    versions.ingest(ctx, name, csv_file)
    steps = [
        {"name": "clip_outliers", "params": {"columns": ["income"], "lower": 0.05, "upper": 0.95}},
        {"name": "log_transform", "params": {"columns": ["income"]}},
    ]
    out = _name()
    made = derive.transform(ctx, f"{name}@1", steps, out).version
    assert made.kind == "transform" and len(made.parents) == 1
    assert [s["name"] for s in made.lineage["steps"]] == ["clip_outliers", "log_transform"]
    assert made.lineage["code"]["mlsteward"]
    checks = rebuild.rebuild(ctx, f"{out}@1")
    assert [c.kind for c in checks] == ["ingest", "transform"]
    assert all(c.ok for c in checks)
    with pytest.raises((MissingColumnError, StepError)):
        missing = [{"name": "log_transform", "params": {"columns": ["nope"]}}]
        derive.transform(ctx, name, missing, _name())


def test_rebuild_detects_a_changed_source(ctx: ServiceContext, csv_file: Path) -> None:
    name = _name()
    versions.ingest(ctx, name, csv_file)
    csv_file.write_text(csv_file.read_text().replace("US", "USA"))
    checks = rebuild.rebuild(ctx, name)
    assert not checks[0].ok


def test_splits_never_leak_and_are_linked_and_reproducible(
    ctx: ServiceContext, csv_file: Path
) -> None:
    name = _name()
    versions.ingest(ctx, name, csv_file)
    parts = derive.split(ctx, name, group="group", seed=3, fractions={"train": 0.7, "test": 0.3})
    tables = {p: versions.load_table(ctx, v.dataset_version_id) for p, v in parts.items()}
    ids = [set(t.column("id").to_pylist()) for t in tables.values()]
    groups = [set(t.column("group").to_pylist()) for t in tables.values()]
    assert not ids[0] & ids[1] and len(ids[0] | ids[1]) == 60
    assert not groups[0] & groups[1]
    parent = versions.get_version(ctx, name).dataset_version_id
    assert all(v.parents == [parent] for v in parts.values())
    assert all(c.ok for c in rebuild.rebuild(ctx, parts["train"].dataset_version_id))
    again = derive.split(ctx, name, group="group", seed=3, fractions={"train": 0.7, "test": 0.3})
    assert {p: v.version for p, v in again.items()} == {p: v.version for p, v in parts.items()}
    timed = derive.split(ctx, name, method="time", time="when", output_prefix=_name())
    train, test = (versions.load_table(ctx, timed[p].dataset_version_id) for p in ("train", "test"))
    assert max(train.column("when").to_pylist()) < min(test.column("when").to_pylist())


def test_lineage_reaches_runs_and_model_versions(ctx: ServiceContext, csv_file: Path) -> None:
    from mlsteward.services.registry import versions as model_versions

    name = _name()
    version = versions.ingest(ctx, name, csv_file).version
    child = derive.split(ctx, name, seed=1)["train"]
    experiment = experiments.create_experiment(ctx, _name())
    run = runs.create_run(ctx, experiment.experiment_id)
    versions.log_input(ctx, run.info.run_id, child.ref, "training")
    versions.log_input(ctx, run.info.run_id, child.ref, "training")
    assert len(versions.list_run_inputs(ctx, run.info.run_id)) == 1
    model = f"m-{new_id()[:8]}"
    model_versions.create_model_version(
        ctx, model, "s3://b/m", dataset_version_ids=[child.dataset_version_id], create_model=True
    )
    graph = lineage.lineage(ctx, child.ref)
    assert graph["upstream"]["parents"][0]["id"] == version.dataset_version_id
    assert graph["downstream"]["runs"] == [{"run_id": run.info.run_id, "context": "training"}]
    assert graph["downstream"]["models"] == [{"name": model, "version": 1}]
    top = lineage.lineage(ctx, version.ref)["downstream"]
    assert {c["id"] for c in top["children"]} >= {child.dataset_version_id}
    with pytest.raises(NotFoundError):
        versions.log_input(ctx, new_id(), child.ref)
    from_run = model_versions.create_model_version(
        ctx, f"m-{new_id()[:8]}", "s3://b/m2", run_id=run.info.run_id, create_model=True
    )
    assert from_run.dataset_version_ids == (child.dataset_version_id,)


def test_label_queue_reviews_agreement_and_export(ctx: ServiceContext, csv_file: Path) -> None:
    name = _name()
    versions.ingest(ctx, name, csv_file)
    queue = _name()
    labeling.create_queue(ctx, queue, name, choices=["cat", "dog"], reviews=1)
    alice, bob = ctx, ctx.as_actor("bob")
    for item in range(4):
        labeling.add_label(alice, queue, item, "cat")
    with pytest.raises(ConflictError):
        labeling.add_label(alice, queue, 0, "cat", role="review")
    with pytest.raises(ConflictError):
        labeling.add_label(bob, queue, 5, "cat", role="review")
    with pytest.raises(InvalidArgumentError):
        labeling.add_label(bob, queue, 0, "bird")
    for item, value in enumerate(["cat", "cat", "dog", "cat"]):
        labeling.add_label(bob, queue, item, value, role="review")
    status = labeling.queue_status(ctx, queue)
    assert (status["labelled"], status["complete"], status["needs_review"]) == (4, 4, 0)
    stats = labeling.agreement(ctx, queue)
    assert stats["raw_agreement"] == pytest.approx(0.75)
    exported = labeling.export(ctx, queue, _name()).version
    table = versions.load_table(ctx, exported.dataset_version_id)
    labels = table.column("label").to_pylist()
    assert labels[:4] == ["cat", "cat", "cat", "cat"] and labels[4] is None
    assert exported.kind == "labels"
    assert all(c.ok for c in rebuild.rebuild(ctx, exported.dataset_version_id))
    labeling.add_label(alice, queue, 10, "dog")  # later labels do not change the export
    assert all(c.ok for c in rebuild.rebuild(ctx, exported.dataset_version_id))
    assert np.isfinite(stats["items"])


def test_mixed_types_in_a_column_register_nothing(ctx: ServiceContext, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"a": 1}\n{"a": "x"}\n')
    name = _name()
    with pytest.raises(SourceError, match="a"):
        versions.ingest(ctx, name, path)
    with pytest.raises(NotFoundError):
        versions.get_version(ctx, name)
