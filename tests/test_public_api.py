"""The public surface is deliberate: a name added to or dropped from ``mlsteward`` fails here.

When you change the API on purpose, update EXPECTED (and the changelog) in the same commit.
"""

from __future__ import annotations

import mlsteward

EXPECTED = {
    "ActiveRun",
    "AliasEvent",
    "AlreadyExistsError",
    "Approval",
    "ArtifactEntry",
    "Client",
    "ConflictError",
    "CorruptStoreError",
    "CrossValidationResult",
    "EvaluationResult",
    "Experiment",
    "ExportRecord",
    "GateError",
    "InsufficientStorageError",
    "InvalidArgumentError",
    "LifecycleStage",
    "LoadedModel",
    "Metric",
    "MlstewardError",
    "ModelInfo",
    "ModelIntegrityError",
    "ModelStage",
    "ModelVersion",
    "NotFoundError",
    "PagedList",
    "Param",
    "PermissionDeniedError",
    "PointsNotPersistedError",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "SchemaVersionError",
    "Signature",
    "SignatureMismatchError",
    "StageTransition",
    "UnavailableError",
    "UnsupportedModelError",
    "active_run",
    "cross_validate",
    "end_run",
    "evaluate",
    "export_onnx",
    "flush",
    "get_run",
    "get_tracking_uri",
    "infer_signature",
    "last_active_run",
    "load_model",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_runs",
    "seed_everything",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "__version__",
}


def test_exported_names_are_exactly_the_public_api() -> None:
    exported = set(mlsteward.__all__)
    assert len(exported) == len(mlsteward.__all__), "a name is listed twice in __all__"
    assert exported - EXPECTED == set(), "new public names: add them to EXPECTED deliberately"
    assert EXPECTED - exported == set(), "public names disappeared"


def test_every_exported_name_exists_and_belongs_to_mlsteward() -> None:
    for name in mlsteward.__all__:
        member = getattr(mlsteward, name)
        if name == "__version__":
            assert isinstance(member, str) and member
            continue
        module = getattr(member, "__module__", "")
        assert module.startswith("mlsteward."), f"{name} comes from {module}"


def test_public_names_without_underscore_are_all_exported() -> None:
    # Importing a helper into mlsteward/__init__.py must not make it public by accident.
    visible = {
        name
        for name, value in vars(mlsteward).items()
        if not name.startswith("_") and not isinstance(value, type(mlsteward))
    }
    assert visible <= set(mlsteward.__all__)
