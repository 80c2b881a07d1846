"""The public facades ``mlsteward.models``, ``mlsteward.data`` and ``mlsteward.monitoring``
export exactly what is listed here: a name added or dropped by accident fails.

When you change a facade on purpose, update its set (and the changelog) in the same commit.
"""

from __future__ import annotations

import importlib
import types

import pytest

FACADES: dict[str, set[str]] = {
    "mlsteward.models": {
        "ColumnSpec",
        "CrossValidationResult",
        "EvaluationResult",
        "ExportRecord",
        "LoadedModel",
        "ModelInfo",
        "ModelIntegrityError",
        "ModelLocation",
        "Schema",
        "Signature",
        "SignatureMismatchError",
        "TensorSpec",
        "UnsupportedModelError",
        "cross_validate",
        "evaluate",
        "export_onnx",
        "infer_signature",
        "load_model",
        "log_model",
        "register_model_uri_resolver",
    },
    "mlsteward.data": {
        "DataSchema",
        "DatasetInput",
        "DatasetVersion",
        "Label",
        "LabelQueue",
        "Step",
        "ValidationFailedError",
        "ValidationReport",
        "add_label",
        "agreement",
        "create_label_queue",
        "export_labels",
        "get",
        "infer_schema",
        "ingest",
        "lineage",
        "list_datasets",
        "load",
        "log_input",
        "profile",
        "queue_status",
        "rebuild",
        "set_alias",
        "split",
        "transform",
        "validate",
        "versions",
    },
    "mlsteward.monitoring": {
        "Alert",
        "LateLabelPerformance",
        "Monitor",
        "MonitorRun",
        "MonitoringEvent",
        "ProfileRecord",
        "build_reference_profile",
        "create_monitor",
        "delete_monitor",
        "drift_report",
        "get_monitor",
        "get_reference_profile",
        "late_label_performance",
        "list_alerts",
        "list_events",
        "list_monitor_runs",
        "list_monitors",
        "list_reference_profiles",
        "log_report",
        "run_monitor",
    },
}


@pytest.mark.parametrize("facade", sorted(FACADES))
def test_a_facade_exports_exactly_its_public_names(facade: str) -> None:
    module = importlib.import_module(facade)
    assert set(module.__all__) == FACADES[facade]
    assert len(module.__all__) == len(set(module.__all__))  # listed once each


@pytest.mark.parametrize("facade", sorted(FACADES))
def test_every_exported_name_exists_and_comes_from_mlsteward(facade: str) -> None:
    module = importlib.import_module(facade)
    for name in module.__all__:
        value = getattr(module, name)
        origin = getattr(value, "__module__", None) or ""
        assert origin.startswith("mlsteward"), f"{facade}.{name} comes from {origin!r}"


@pytest.mark.parametrize("facade", sorted(FACADES))
def test_a_facade_has_no_public_name_it_does_not_export(facade: str) -> None:
    module = importlib.import_module(facade)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert public <= set(module.__all__), sorted(public - set(module.__all__))
