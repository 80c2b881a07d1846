"""An error raised behind the server reaches an HTTP client as the class a local caller gets.

Every ``MlstewardError`` subclass in the package is raised by a tiny app carrying the real
error handlers and read back through the real ``ApiClient``: same class, same message (the
public one where the class hides its own), same details. A server naming a class that is not
an error, or an error of another code, gets the class for the code, as before ``type``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

import mlsteward
from mlsteward.domain.errors import (
    ConflictError,
    CorruptStoreError,
    FilterSyntaxError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    error_class,
)
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.rest.errors import install_error_handlers
from mlsteward.interfaces.sdk.http_client import ERROR_MODULES, SIGN_IN_HINT, ApiClient
from mlsteward.services.api import wire
from mlsteward.testing.operation_doors import RecordingAuditor, SwitchPolicy, open_door

GATE_REASONS = ["no approval", "auc < 0.9"]
#: Not importable outside a migration run (it reads the migration tool's live context).
_NOT_IMPORTABLE = ("mlsteward.storage.sql.migrations",)


def _package_errors() -> list[type[MlstewardError]]:
    """Every error class the package defines, found by importing all of its modules."""
    for module in pkgutil.walk_packages(mlsteward.__path__, "mlsteward."):
        if not module.name.startswith(_NOT_IMPORTABLE):
            importlib.import_module(module.name)
    found: list[type[MlstewardError]] = [MlstewardError]
    pending = [MlstewardError]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith("mlsteward.") and sub not in found:
                found.append(sub)
                pending.append(sub)
    return sorted(found, key=lambda cls: cls.wire_name)


ERROR_CLASSES = _package_errors()


def _samples() -> dict[str, Callable[[], MlstewardError]]:
    """An instance, with its details filled in, of every class a message alone cannot build."""
    from mlsteward.engines.data.errors import (
        BadRow,
        MalformedRowError,
        MissingColumnError,
        MixedTypesError,
        SourceError,
    )
    from mlsteward.engines.data.validation.row_expression_errors import RowExpressionError
    from mlsteward.engines.data.validation.validate import CheckFailure, ValidationReport
    from mlsteward.engines.models.errors import SignatureMismatchError
    from mlsteward.interfaces.sdk.metric_buffer import PointsNotPersistedError
    from mlsteward.services.data.register import ValidationFailedError

    failure = CheckFailure("age", "not_null", 2, [None, None])
    return {
        "FilterSyntaxError": lambda: FilterSyntaxError("unexpected end of filter", 14),
        "GateError": lambda: GateError(
            "refused: no approval; auc < 0.9", ["no approval", "auc < 0.9"]
        ),
        "SignatureMismatchError": lambda: SignatureMismatchError("no column 'x'", column="x"),
        "PointsNotPersistedError": lambda: PointsNotPersistedError("/var/full: 12 lost", 12),
        "SourceError": lambda: SourceError("cannot read", source="in.csv", line=2),
        "MalformedRowError": lambda: MalformedRowError(BadRow(3, "3 fields", "a,b,c")),
        "MixedTypesError": lambda: MixedTypesError("age", "an integer", "x", line=4),
        "MissingColumnError": lambda: MissingColumnError(["a"], ["b"], where="step 1"),
        "RowExpressionError": lambda: RowExpressionError("unexpected '>'", "a >", 3),
        "ValidationFailedError": lambda: ValidationFailedError(ValidationReport(5, [failure])),
    }


SAMPLES = _samples()


def _sample(cls: type[MlstewardError]) -> MlstewardError:
    if cls.wire_name in SAMPLES:
        return SAMPLES[cls.wire_name]()
    return cls(f"{cls.__qualname__} raised on purpose")


def _public(error: MlstewardError) -> str:
    return error.message if error.public_message is None else error.public_message


def _app() -> FastAPI:
    """Raises the sample of the class named in the path, or answers a body the test wrote."""
    app = FastAPI()
    install_error_handlers(app)
    by_name = {cls.wire_name: cls for cls in ERROR_CLASSES}

    @app.get(wire.API_PREFIX + "/raise/{name}")
    def raise_error(name: str) -> None:
        raise _sample(by_name[name])

    @app.post(wire.API_PREFIX + "/answer/{status}")
    def answer(status: int, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"error": body}, status_code=status)

    return app


@pytest.fixture(scope="module")
def served() -> Iterator[TestClient]:
    with TestClient(_app(), base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
def api(served: TestClient) -> Iterator[ApiClient]:
    with ApiClient("http://testserver", transport=served._transport, attempts=1) as client:
        yield client


def _raised(api: ApiClient, method: str, path: str, **kwargs: Any) -> MlstewardError:
    with pytest.raises(MlstewardError) as raised:
        api.request(method, path, **kwargs)
    return raised.value


def _answered(api: ApiClient, status: int, body: dict[str, Any]) -> MlstewardError:
    return _raised(api, "POST", f"/answer/{status}", json=body)


def test_the_package_errors_are_found_and_each_has_its_own_wire_name() -> None:
    names = [cls.wire_name for cls in ERROR_CLASSES]
    assert len(names) == len(set(names))
    assert {"MlstewardError", "FilterSyntaxError", "GateError", "ValidationFailedError"} <= set(
        names
    )
    assert all(error_class(cls.wire_name) is cls for cls in ERROR_CLASSES)


def test_every_module_defining_errors_is_loaded_by_the_client_on_demand() -> None:
    defining = {cls.__module__ for cls in ERROR_CLASSES} - {"mlsteward.domain.errors"}
    assert defining <= set(ERROR_MODULES)


def test_a_client_rebuilds_a_class_whose_module_it_never_imported() -> None:
    """A fresh client process, given a class from a module it has not loaded, loads it."""
    classes = [[c.__module__, c.wire_name, c.code] for c in ERROR_CLASSES]
    script = """
import json, sys, httpx
from mlsteward.interfaces.sdk.http_client import error_from_response
unloaded = [c for c in json.loads(sys.argv[1]) if c[0] not in sys.modules]
if unloaded:
    module, name, code = unloaded[0]
    body = {"error": {"code": code, "message": "m", "type": name}}
    request = httpx.Request("GET", "http://testserver/api/v1/x")
    error = error_from_response(httpx.Response(400, json=body, request=request))
    unloaded.insert(0, [type(error).__module__, type(error).wire_name, error.code])
print(json.dumps(unloaded[:2]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(classes)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(done.stdout)
    if not seen:
        pytest.skip("importing the HTTP client loads every module defining errors")
    rebuilt, named = seen
    assert rebuilt == named


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.wire_name)
def test_an_error_arrives_as_the_class_raised(api: ApiClient, cls: type[MlstewardError]) -> None:
    local = _sample(cls)
    assert type(local) is cls, "add a sample for a class its message alone cannot build"
    remote = _raised(api, "GET", f"/raise/{cls.wire_name}")
    assert type(remote) is cls
    expected = _public(local)
    if cls is UnauthenticatedError:  # the SDK says how to sign in
        expected = f"{expected.rstrip('. ')}; {SIGN_IN_HINT}"
    assert remote.message == expected and str(remote) == expected
    assert remote.details() == local.details()
    assert (remote.code, remote.http_status) == (local.code, local.http_status)


def test_the_body_names_the_class_and_keeps_reasons_beside_the_message(
    served: TestClient,
) -> None:
    error = served.get(wire.API_PREFIX + "/raise/GateError").json()["error"]
    assert error == {
        "code": "PERMISSION_DENIED",
        "message": "refused: no approval; auc < 0.9",
        "type": "GateError",
        "reasons": ["no approval", "auc < 0.9"],
    }
    filter_error = served.get(wire.API_PREFIX + "/raise/FilterSyntaxError").json()["error"]
    assert (filter_error["type"], filter_error["position"]) == ("FilterSyntaxError", 14)


def test_a_public_message_still_hides_the_private_one(
    served: TestClient, api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    raw = served.get(wire.API_PREFIX + "/raise/CorruptStoreError")
    assert "raised on purpose" not in raw.text
    assert raw.json()["error"]["type"] == "CorruptStoreError"
    remote = _raised(api, "GET", "/raise/CorruptStoreError")
    assert type(remote) is CorruptStoreError
    assert remote.message == CorruptStoreError.public_message
    assert "raised on purpose" not in str(remote)
    not_stored = served.get(wire.API_PREFIX + "/raise/PointsNotPersistedError").json()["error"]
    assert "/var/full" not in json.dumps(not_stored) and not_stored["pending"] == 12


@pytest.mark.parametrize(
    "named",
    [
        "ValueError",
        "Path",
        "ApiClient",
        "os.system",
        "mlsteward.domain.errors.NotFoundError",
        "NoSuchClass",
        "",
        7,
        ["NotFoundError"],
        None,
    ],
)
def test_a_type_that_is_not_a_known_error_is_rebuilt_by_code(api: ApiClient, named: Any) -> None:
    error = _answered(api, 404, {"code": "NOT_FOUND", "message": "gone", "type": named})
    assert type(error) is NotFoundError
    assert (error.message, error.http_status) == ("gone", 404)


@pytest.mark.parametrize(
    ("named", "code", "expected"),
    [
        ("NotFoundError", "CONFLICT", ConflictError),
        ("GateError", "INVALID_ARGUMENT", InvalidArgumentError),
        ("FilterSyntaxError", "NOT_FOUND", NotFoundError),
        ("CorruptStoreError", "INTERNAL_ERROR", MlstewardError),
        ("MlstewardError", "PERMISSION_DENIED", PermissionDeniedError),
    ],
)
def test_an_error_class_of_another_code_is_rebuilt_by_code(
    api: ApiClient, named: str, code: str, expected: type[MlstewardError]
) -> None:
    error = _answered(api, 409, {"code": code, "message": "m", "type": named, "reasons": ["r"]})
    assert type(error) is expected
    assert (error.message, error.http_status) == ("m", 409)


def test_details_never_replace_what_the_class_defines(api: ApiClient) -> None:
    body = {
        "code": "INTERNAL_ERROR",
        "message": "m",
        "type": "MlstewardError",
        "code_again": "kept",
        "http_status": 200,
        "details": "not a method",
        "public_message": "swapped",
        "_private": 1,
        "with_traceback": None,
    }
    error = _answered(api, 500, body)
    assert type(error) is MlstewardError
    assert (error.code, error.http_status, error.public_message) == ("INTERNAL_ERROR", 500, None)
    assert error.details() == {} and callable(error.with_traceback)
    assert vars(error)["code_again"] == "kept"
    assert not hasattr(error, "_private")


def test_malformed_details_still_give_the_named_class(api: ApiClient) -> None:
    gate = _answered(
        api, 403, {"code": "PERMISSION_DENIED", "message": "m", "type": "GateError", "reasons": 3}
    )
    assert type(gate) is GateError and gate.reasons == []
    position = {"code": "INVALID_ARGUMENT", "message": "m", "type": "FilterSyntaxError"}
    bad = _answered(api, 400, {**position, "position": "3"})
    assert type(bad) is FilterSyntaxError and bad.position is None


def test_a_server_from_before_type_still_gives_a_gate_error(api: ApiClient) -> None:
    error = _answered(api, 403, {"code": "PERMISSION_DENIED", "message": "m", "reasons": ["r"]})
    assert type(error) is GateError and error.reasons == ["r"]


def test_a_malformed_filter_is_a_filter_syntax_error_through_both_doors(tmp_path: Path) -> None:
    seen: dict[str, FilterSyntaxError] = {}
    for door in ("local", "http"):
        root = tmp_path / door
        store, artifacts = f"sqlite:///{root / 'store.db'}", str(root / "artifacts")
        root.mkdir()
        with open_door(door, store, artifacts, SwitchPolicy(), RecordingAuditor()) as client:
            with pytest.raises(FilterSyntaxError) as raised:
                client.search_runs(filter_string="metrics.acc > ")
            seen[door] = raised.value
    local, remote = seen["local"], seen["http"]
    assert type(remote) is type(local) is FilterSyntaxError
    assert (remote.message, remote.position) == (local.message, local.position)
    assert remote.position is not None


# -- data errors: their public fields arrive, what a source holds never leaves the server ----


def _body(served: TestClient, name: str) -> dict[str, Any]:
    error: dict[str, Any] = served.get(wire.API_PREFIX + f"/raise/{name}").json()["error"]
    return error


def _fields(body: dict[str, Any]) -> set[str]:
    """The fields beside code, message and type: the details a server sent."""
    return set(body) - {"code", "message", "type"}


def test_a_source_error_arrives_with_where_it_failed(api: ApiClient) -> None:
    from mlsteward.engines.data.errors import SourceError

    remote = _raised(api, "GET", "/raise/SourceError")
    assert type(remote) is SourceError
    assert (remote.source, remote.line, remote.record) == ("in.csv", 2, None)
    assert remote.message == "in.csv:2: cannot read"  # the server's, not prefixed again


def test_a_malformed_row_arrives_without_the_rows_text(served: TestClient, api: ApiClient) -> None:
    from mlsteward.engines.data.errors import BadRow, MalformedRowError

    body = _body(served, "MalformedRowError")
    assert _fields(body) == {"source", "line", "record", "bad_row"}
    assert body["bad_row"] == {"line": 3, "reason": "3 fields"}
    remote = _raised(api, "GET", "/raise/MalformedRowError")
    assert type(remote) is MalformedRowError
    assert remote.bad_row == BadRow(3, "3 fields", "") and remote.line == 3


def test_a_mixed_type_arrives_without_the_value_or_the_column(
    served: TestClient, api: ApiClient
) -> None:
    from mlsteward.engines.data.errors import MixedTypesError

    body = _body(served, "MixedTypesError")
    assert _fields(body) == {"source", "line", "record", "expected"}
    assert (body["expected"], body["line"]) == ("an integer", 4)
    remote = _raised(api, "GET", "/raise/MixedTypesError")
    assert type(remote) is MixedTypesError
    assert (remote.expected, remote.line, remote.column, remote.value) == (
        "an integer",
        4,
        None,
        None,
    )


def test_a_mixed_type_holding_what_json_cannot_carry_still_has_json_details() -> None:
    from mlsteward.engines.data.errors import MixedTypesError

    error = MixedTypesError("when", "timestamp[us]", b"\xff\x00", source="s.jsonl", record=7)
    assert json.loads(json.dumps(error.details())) == {
        "source": "s.jsonl",
        "line": None,
        "record": 7,
        "expected": "timestamp[us]",
    }


#: What the files below hold and no error detail may repeat.
SECRET = "s3cr3t-cell"


_TYPED_CSV = f"{SECRET}_n,label\n" + "1,x\n" * 300 + f"{SECRET},x\n"
_TYPED_JSONL = f'{{"{SECRET}_n": 1}}\n' * 300 + f'{{"{SECRET}_n": "{SECRET}"}}\n'


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        ("wide.csv", f"a,b\n1,2\n3,{SECRET},4\n", {}),
        ("typed.csv", _TYPED_CSV, {"block_size": 1024}),
        ("broken.jsonl", f'{{"a": 1}}\n{{"a": "{SECRET}\n', {}),
        ("typed.jsonl", _TYPED_JSONL, {"block_size": 1024, "inference_rows": 100}),
    ],
)
def test_details_of_a_real_reader_failure_never_hold_what_the_source_holds(
    tmp_path: Path, name: str, content: str, options: dict[str, Any]
) -> None:
    """The row, the value and the column name are in the local message; none in details."""
    from mlsteward.engines.data import SourceError, read_csv, read_jsonl

    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    reader = read_csv if name.endswith(".csv") else read_jsonl
    with pytest.raises(SourceError) as raised:
        reader(path, **options).read_all()
    error = raised.value
    assert type(error).__name__ in ("MalformedRowError", "MixedTypesError")
    assert SECRET in error.message
    sent = json.dumps(error.details())
    assert SECRET not in sent and (error.line or 0) > 1


def test_a_missing_column_arrives_with_the_columns_asked_for_not_the_tables(
    served: TestClient, api: ApiClient
) -> None:
    from mlsteward.engines.data.errors import MissingColumnError

    body = _body(served, "MissingColumnError")
    assert _fields(body) == {"columns", "where"}
    remote = _raised(api, "GET", "/raise/MissingColumnError")
    assert type(remote) is MissingColumnError
    assert (remote.columns, remote.where) == (["a"], "step 1")


def test_a_row_expression_error_arrives_with_its_reason_expression_and_position(
    api: ApiClient,
) -> None:
    from mlsteward.engines.data.validation.row_expression_errors import RowExpressionError

    remote = _raised(api, "GET", "/raise/RowExpressionError")
    assert type(remote) is RowExpressionError
    assert (remote.reason, remote.expression, remote.position) == ("unexpected '>'", "a >", 3)


def test_a_failed_validation_arrives_with_its_report(api: ApiClient) -> None:
    from mlsteward.services.data.register import ValidationFailedError

    local = SAMPLES["ValidationFailedError"]()
    assert isinstance(local, ValidationFailedError)
    remote = _raised(api, "GET", "/raise/ValidationFailedError")
    assert type(remote) is ValidationFailedError
    assert remote.report == local.report and not remote.report.ok


#: Per class: details of the wrong shapes, the attributes read back, and what they must be.
_MALFORMED: dict[str, tuple[dict[str, Any], Callable[[Any], tuple[Any, ...]], tuple[Any, ...]]] = {
    "SourceError": (
        {"source": 3, "line": "2", "record": True},
        lambda e: (e.source, e.line, e.record),
        ("", None, None),
    ),
    "MissingColumnError": (
        {"columns": "a", "where": ["x"]},
        lambda e: (e.columns, e.where),
        ([], ""),
    ),
    "RowExpressionError": (
        {"reason": 1, "expression": None, "position": "3"},
        lambda e: (e.reason, e.expression, e.position),
        ("", "", 0),
    ),
    "MalformedRowError": (
        {"bad_row": ["a,b"], "line": 5},
        lambda e: (e.line, e.bad_row.line, e.bad_row.reason, e.bad_row.text),
        (5, 5, "", ""),
    ),
    "MixedTypesError": (
        {"expected": 1, "column": "age", "value": "x"},
        lambda e: (e.expected, e.column, e.value),
        ("", None, None),
    ),
}


@pytest.mark.parametrize("named", sorted(_MALFORMED))
def test_malformed_data_details_still_give_the_named_class(api: ApiClient, named: str) -> None:
    details, read, expected = _MALFORMED[named]
    cls = error_class(named)
    assert cls is not None
    error = _answered(api, 400, {"code": cls.code, "message": "m", "type": named, **details})
    assert type(error) is cls and error.message == "m"
    assert read(error) == expected


def test_a_validation_failure_without_a_report_is_the_class_for_its_code(api: ApiClient) -> None:
    body = {"code": "INVALID_ARGUMENT", "message": "m", "type": "ValidationFailedError"}
    for report in ({}, {"report": "x"}, {"report": {"rows": 1, "failures": [{"odd": 1}]}}):
        error = _answered(api, 400, {**body, **report})
        assert type(error) is InvalidArgumentError and error.message == "m"


def test_a_report_with_a_non_finite_example_still_travels() -> None:
    """The error body refuses raw NaN/inf: such examples go as the wire's strings."""
    from mlsteward.engines.data.validation.validate import CheckFailure, ValidationReport
    from mlsteward.services.data.register import ValidationFailedError

    value = CheckFailure("x", "less_than_or_equal_to(1)", 1, [float("inf")], 0.2)
    rows = CheckFailure(None, "positive", 2, [0, 3], 0.4, tolerated=True)
    local = ValidationFailedError(ValidationReport(5, [value, rows]))
    sent = json.loads(wire.dumps(local.details()))
    remote = ValidationFailedError.from_wire(local.message, sent)
    assert remote.message == local.message and remote.report.rows == 5
    assert remote.report.failures == [
        CheckFailure("x", "less_than_or_equal_to(1)", 1, ["Infinity"], 0.2),
        rows,
    ]
