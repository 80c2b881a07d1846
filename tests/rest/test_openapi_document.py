"""The OpenAPI document a real server serves describes what it really does.

No 422 (the server answers 400), every error status a route can send, the rules the
services enforce on names, aliases, enums and numbers, and a 405 that lists every method a
path has. The rules are written once in the services: the document only describes them, so
a value it calls invalid is refused with the same message through HTTP and the local SDK.
Patterns are checked as clients read them, in JSON Schema's ECMA-262 dialect (``jsonschema_rs``),
where ``$`` is the end of the text: Python's ``$`` also matches before a final newline.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import httpx
import jsonschema
import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from openapi_spec_validator import validate as validate_openapi
from pydantic import TypeAdapter, WithJsonSchema

from mlsteward.domain import datasets, monitoring
from mlsteward.domain.entities import RunTag
from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.registry import THRESHOLD_PATTERN, AcceptanceThreshold
from mlsteward.interfaces.rest.app import create_app
from mlsteward.interfaces.rest.dependencies import MAX_HEADER_LENGTH
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.services.api import documented_types as d
from mlsteward.services.limits import Limits
from mlsteward.services.registry import validation as registry_validation
from mlsteward.services.tracking import validation as tracking_validation
from mlsteward.services.tracking.metric_history import MIN_MAX_POINTS
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

Operation = tuple[str, str, dict[str, Any]]
#: The only API route that reads neither the store nor the caller: it reports settings.
SETTINGS_ONLY = "/api/v1/server-info"
#: Browser sign-in and sign-out: they begin or end a session rather than act for a caller.
SESSION_ROUTES = frozenset({"/api/v1/auth/session"})
_POINT = {"key": "loss", "value": 0.5, "timestamp": 1, "step": 0}


def _acts_for_caller(path: str) -> bool:
    return path.startswith("/api/v1/") and path != SETTINGS_ONLY and path not in SESSION_ROUTES


@pytest.fixture(scope="module")
def document(server_url: ServerURL) -> dict[str, Any]:
    response = httpx.get(f"{server_url}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters with ``$ref`` ones looked up."""
    found = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        found.append(parameter)
    return found


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][name])


def _validator(schema: dict[str, Any]) -> Callable[[object], bool]:
    """Whether a value is valid as a client reads ``schema`` (ECMA-262 patterns)."""
    return jsonschema_rs.Draft202012Validator(schema).is_valid


def _query_schemas(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = document["paths"][f"/api/v1{path}"][method]
    return {p["name"]: p["schema"] for p in _parameters(document, operation) if p["in"] == "query"}


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of an optional parameter's value (``anyOf`` it and null)."""
    return next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)


def test_no_422_anywhere(document: dict[str, Any]) -> None:
    """FastAPI documents 422 for invalid input; this server answers 400."""
    documented_422 = [f"{m} {p}" for m, p, op in _operations(document) if "422" in op["responses"]]
    assert documented_422 == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_documents_the_errors_it_can_send(document: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        parameters = _parameters(document, operation)
        expected = set()
        if parameters or "requestBody" in operation:
            expected.add("400")
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if "requestBody" in operation:
            expected.add("413")
        if _acts_for_caller(path):
            expected |= {"400", "401", "403", "429", "503"}
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                expected |= {"409", "507"}
        if missing := expected - set(responses):
            problems.append(f"{method} {path} lacks {sorted(missing)}")
        for status, response in responses.items():
            if status >= "400" and set(response["content"]) != {"application/json"}:
                problems.append(f"{method} {path} {status} is not JSON: {response['content']}")
    assert problems == []


def test_acting_operations_name_the_credentials_they_take(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["name"] == "mlsteward_session"
    for method, path, operation in _operations(document):
        if _acts_for_caller(path):
            assert {"bearerToken": []} in operation["security"], (method, path)
            assert {} in operation["security"], (method, path)  # anonymous, as policy allows
    session = document["paths"]["/api/v1/auth/session"]["post"]["responses"]
    assert {"401", "413", "429"} <= set(session)


def test_every_api_operation_documents_the_caller_header(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        names = [p["name"] for p in _parameters(document, operation) if p["in"] == "header"]
        assert ("X-Mlsteward-User" in names) == _acts_for_caller(path), (method, path)


def test_error_answers_match_the_documented_error_schema(
    document: dict[str, Any], api: httpx.Client
) -> None:
    """A refused request's body is an instance of the ``ErrorResponse`` schema it documents."""
    schemas = document["components"]["schemas"]
    refused = api.post("/experiments", json={"name": ""})
    assert refused.status_code == 400
    jsonschema.validate(refused.json(), _resolve_refs(schemas["ErrorResponse"], schemas))


def _resolve_refs(schema: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolve_refs(schemas[schema["$ref"].split("/")[-1]], schemas)
        return {key: _resolve_refs(value, schemas) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolve_refs(item, schemas) for item in schema]
    return schema


def test_request_schemas_state_the_services_rules(document: dict[str, Any]) -> None:
    limits = Limits()
    experiment = _schema(document, "CreateExperimentRequest")["properties"]["name"]
    assert experiment["minLength"] == 1
    assert experiment["maxLength"] == limits.max_name_length
    model = _schema(document, "CreateRegisteredModelRequest")["properties"]["name"]
    assert (model["pattern"], model["maxLength"]) == (d.MODEL_NAME, limits.max_name_length)
    version = _schema(document, "SetAliasRequest")["properties"]["version"]
    assert (version["minimum"], version["maximum"]) == (1, registry_validation.MAX_VERSION)
    stage = _schema(document, "StageRequest")["properties"]["stage"]
    assert stage["enum"] == ["None", "Staging", "Production", "Archived"]
    status = _schema(document, "UpdateRunRequest")["properties"]["status"]["anyOf"][0]
    assert status["enum"] == ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
    search = _schema(document, "SearchRunsRequest")["properties"]["max_results"]
    assert search["maximum"] == limits.max_search_results
    params = _schema(document, "LogBatchRequest")["properties"]["params"]
    assert params["maxItems"] == limits.max_params_per_batch
    alias_route = document["paths"]["/api/v1/datasets/{name}/aliases/{alias}"]["put"]
    alias = {p["name"]: p["schema"] for p in _parameters(document, alias_route)}["alias"]
    assert alias["pattern"] == datasets.ALIAS_PATTERN.pattern
    caller = document["components"]["parameters"]["CallerHeader"]["schema"]
    assert caller["maxLength"] == MAX_HEADER_LENGTH
    # The marks naming each bound's Limits field are not part of the served document.
    assert d.LIMITS_KEYWORD not in json.dumps(document)


def _asgi(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request through the in-process app, no sockets involved."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(call())


def test_the_document_states_the_limits_the_server_runs_with(tmp_path: Path) -> None:
    """Bounds come from the limits the app's services enforce, not from the defaults the
    types were declared with; a value over them gets the service's 400 through both doors."""
    limits = Limits(max_name_length=40, max_params_per_batch=3, max_search_results=7)
    store_uri, artifacts_uri = str(tmp_path / "mlsteward.db"), str(tmp_path / "artifacts")
    app = create_app(store_uri, artifacts_uri, upgrade=True)
    app.state.ctx = dataclasses.replace(app.state.ctx, limits=limits)
    document = _asgi(app, "GET", "/openapi.json").json()
    schemas = document["components"]["schemas"]
    name = schemas["CreateExperimentRequest"]["properties"]["name"]
    assert name["maxLength"] == 40
    assert schemas["CreateRegisteredModelRequest"]["properties"]["name"]["maxLength"] == 40
    assert schemas["LogBatchRequest"]["properties"]["params"]["maxItems"] == 3
    assert schemas["SearchRunsRequest"]["properties"]["max_results"]["maximum"] == 7
    assert d.LIMITS_KEYWORD not in json.dumps(document)

    hostile = "x" * 41
    assert not _validator(name)(hostile)
    response = _asgi(app, "POST", "/api/v1/experiments", json={"name": hostile})
    assert response.status_code == 400, response.text
    local = LocalBackend(store_uri, artifacts_uri, actor="bob")
    local.ctx = dataclasses.replace(local.ctx, limits=limits)
    local.transport = InProcessTransport(local.ctx)
    try:
        with pytest.raises(MlstewardError) as raised:
            client_over(local).create_experiment(hostile)
    finally:
        local.close()
    assert response.json()["error"]["message"] == raised.value.message


def test_query_parameters_state_the_services_rules(document: dict[str, Any]) -> None:
    """Metric keys and ``max_points`` (metric history), tag keys (tag removal) and reasons
    (alias removal and unprotection) are query parameters, with the services' rules too."""
    key = {
        "type": "string",
        "minLength": 1,
        "pattern": tracking_validation.KEY_PATTERN.pattern,
        "maxLength": Limits().max_key_length,
    }
    history = _query_schemas(document, "get", "/runs/{run_id}/metrics/history")
    assert key.items() <= history["key"].items()
    assert _non_null(history["max_points"])["minimum"] == MIN_MAX_POINTS
    assert key.items() <= _query_schemas(document, "delete", "/runs/{run_id}/tags")["key"].items()
    for method, path in [
        ("delete", "/registered-models/{name}/aliases/{alias}"),
        ("delete", "/registered-models/{name}/protected-aliases/{alias}"),
    ]:
        reason = _non_null(_query_schemas(document, method, path)["reason"])
        assert reason["maxLength"] == registry_validation.MAX_TEXT_LENGTH, path
    card = _query_schemas(document, "get", "/registered-models/{name}/versions/{version}/card")
    assert card["format"]["enum"] == ["markdown", "html", "md"]


def _documented_schema(hint: Any) -> dict[str, Any] | None:
    """The schema a parameter's annotation documents, if it is (or has) a documented type."""
    if get_origin(hint) is Annotated:
        for metadata in hint.__metadata__:
            if isinstance(metadata, WithJsonSchema) and metadata.json_schema is not None:
                return dict(metadata.json_schema)
    if get_origin(hint) in (Union, UnionType):  # an optional parameter
        for arg in get_args(hint):
            if (found := _documented_schema(arg)) is not None:
                return found
    return None


def test_every_documented_parameter_keeps_its_schema(tmp_path: Path) -> None:
    """A path or query parameter of a documented type shows that type's rules. FastAPI drops
    them for ``key: TrackingKey = Query()``; ``Annotated[TrackingKey, Query()]`` keeps them."""
    app = create_app(str(tmp_path / "mlsteward.db"), str(tmp_path / "artifacts"), upgrade=True)
    document = app.openapi()
    dropped, checked = [], 0
    for route in iter_route_contexts(list(app.routes)):
        original = route.original_route
        if not isinstance(original, APIRoute) or not route.include_in_schema:
            continue
        hints = get_type_hints(original.endpoint, include_extras=True)
        path_item = document["paths"][route.path_format]
        for method in route.methods or ():
            shown = {
                p["name"]: _non_null(p["schema"])
                for p in _parameters(document, path_item[method.lower()])
            }
            for field in original.dependant.path_params + original.dependant.query_params:
                expected = _documented_schema(hints.get(field.name))
                if expected is None:
                    continue
                checked += 1
                expected = d.with_limits(expected, Limits())
                if any(shown[field.alias].get(k) != v for k, v in expected.items()):
                    dropped.append(f"{method} {route.path_format} {field.alias}")
    assert checked > 50  # the routers' routes were seen, not only the app's own
    assert dropped == []


def test_documented_patterns_are_the_services_own() -> None:
    """The document states the expressions the services match, not copies of them."""

    def pattern(documented: Any) -> str:
        return str(TypeAdapter(documented).json_schema()["pattern"])

    assert pattern(d.TrackingKey) == tracking_validation.KEY_PATTERN.pattern
    alias = TypeAdapter(d.RegistryAlias).json_schema()
    assert alias["pattern"] == registry_validation.ALIAS_PATTERN.pattern
    assert alias["not"]["pattern"] == registry_validation.RESERVED_ALIAS_PATTERN.pattern
    assert pattern(d.DatasetName) == datasets.NAME_PATTERN.pattern
    assert pattern(d.DatasetAlias) == datasets.ALIAS_PATTERN.pattern
    assert pattern(d.MonitoringName) == monitoring.NAME_PATTERN.pattern
    assert pattern(d.Threshold) == THRESHOLD_PATTERN.pattern


def _accepts(check: Callable[[Any], object], value: object) -> bool:
    try:
        check(value)
    except MlstewardError:
        return False
    return True


RULES: list[tuple[str, Any, Callable[[Any], object], list[object]]] = [
    (
        "registry alias",
        d.RegistryAlias,
        lambda v: registry_validation.validate_alias(v, Limits()),
        [
            "prod",
            "_x",
            "a-b",
            "A9",
            "1abc",
            "a b",
            "a.b",
            "",
            "latest",
            "LATEST",
            "v2",
            "V10",
            "v",
            "version",
            "x" * 250,
            "x" * 251,
            "é",
            # Python's "$" also matches before a final newline; the services match whole.
            "prod\n",
            "v1\n",
            "\nprod",
        ],
    ),
    (
        "model name",
        d.ModelName,
        lambda v: registry_validation.validate_model_name(v, Limits()),
        [
            "fraud",
            "fraud model",
            "a?#%.b",
            "a/b",
            "a@b",
            "",
            " ",
            " a",
            "a ",
            "a\tb",
            "a\x7f",
            "a\n",
            "\xa0a",
            "x" * 250,
            "x" * 251,
        ],
    ),
    (
        "dataset name",
        d.DatasetName,
        datasets.validate_dataset_name,
        ["customers", "c.v-2_x", "_x", "-x", "", "a b", "x" * 200, "x" * 201, "x\n"],
    ),
    (
        "dataset alias",
        d.DatasetAlias,
        datasets.validate_alias,
        ["prod", "_p", "p.1-x", "1x", "", "x" * 100, "x" * 101, "prod\n"],
    ),
    (
        "monitoring name",
        d.MonitoringName,
        lambda v: monitoring.validate_monitoring_name("Monitor", v),
        ["drift", "9.x_y-z", "_m", "", "x" * 200, "x" * 201, "drift\n"],
    ),
    (
        "tracking key",
        d.TrackingKey,
        lambda v: tracking_validation.validate_key("Tag", v, Limits()),
        ["loss", "a/b c:d-e.f", "a;b", "", "x" * 250, "x" * 251, "loss\n", "a\tb"],
    ),
    (
        "threshold",
        d.Threshold,
        AcceptanceThreshold.parse,
        # The value's number-ness is the service's check alone ("auc >= x" is refused there).
        [
            "roc_auc >= 0.85",
            "rmse<=3",
            " a.b == 1 ",
            "auc = -1e-3",
            "auc >= 1\n",
            "auc >> 1",
            "auc",
            ">= 1",
            "a;b >= 1",
        ],
    ),
]


@pytest.mark.parametrize(
    ("what", "documented", "rule", "samples"), RULES, ids=[r[0] for r in RULES]
)
def test_documented_rules_agree_with_the_services(
    what: str, documented: Any, rule: Callable[[Any], object], samples: list[object]
) -> None:
    is_valid = _validator(TypeAdapter(documented).json_schema())
    disagreements = [v for v in samples if is_valid(v) != _accepts(rule, v)]
    assert disagreements == [], what


def test_values_the_document_refuses_get_the_services_400_through_both_doors(
    document: dict[str, Any], api: httpx.Client, server_url: ServerURL
) -> None:
    """Hostile values the schema describes as invalid: over HTTP, as raw requests, they get
    400 with the very message the local SDK raises (the service decides, not the schema)."""
    name = f"doc {uuid.uuid4().hex[:8]}"
    experiment = api.post("/experiments", json={"name": f"exp-{uuid.uuid4().hex[:8]}"}).json()
    run = api.post("/runs", json={"experiment_id": experiment["experiment_id"]}).json()
    run_id = run["info"]["run_id"]
    api.put(f"/runs/{run_id}/artifacts/model/model.pkl", content=b"m")
    assert api.post("/registered-models", json={"name": name}).status_code == 201
    body = {"source": f"runs:/{run_id}/model", "run_id": run_id}
    assert api.post(f"/registered-models/{name}/versions", json=body).status_code == 201
    assert api.put(f"/registered-models/{name}/aliases/champion", json={"version": 1}).is_success
    assert api.post(f"/runs/{run_id}/log-batch", json={"metrics": [_POINT]}).is_success
    reason = "r" * (registry_validation.MAX_TEXT_LENGTH + 1)
    history = _query_schemas(document, "get", "/runs/{run_id}/metrics/history")
    assert not _validator(_non_null(history["max_points"]))(MIN_MAX_POINTS - 1)
    assert not _validator(history["key"])("a;b")
    assert not _validator(_schema(document, "TagRequest")["properties"]["key"])("loss\n")
    stage = _resolve_refs(_schema(document, "StageRequest"), document["components"]["schemas"])
    comment = _schema(document, "CommentRequest")["properties"]["comment"]
    assert not _validator(stage)({"stage": "Prod"})
    assert not _validator(comment)(" ")
    server = server_url.server
    local = LocalBackend(server.store_uri, server.artifacts_uri, actor="bob")
    sdk = client_over(local)
    try:
        cases: list[tuple[httpx.Response, Callable[[], object]]] = [
            (
                api.put(f"/registered-models/{name}/aliases/1bad", json={"version": 1}),
                lambda: sdk.set_registered_model_alias(name, "1bad", 1),
            ),
            (
                api.post(f"/registered-models/{name}/versions/1/stage", json={"stage": "Prod"}),
                lambda: sdk.transition_model_version_stage(name, 1, "Prod"),
            ),
            (
                api.post(
                    f"/registered-models/{name}/versions/1/approvals",
                    json={"comment": " "},
                    headers={"X-Mlsteward-User": "bob"},
                ),
                lambda: sdk.approve_model_version(name, 1, " "),
            ),
            # A final newline, which a Python "$" lets through and the document does not.
            (
                api.put(f"/registered-models/{name}/aliases/prod%0A", json={"version": 1}),
                lambda: sdk.set_registered_model_alias(name, "prod\n", 1),
            ),
            (
                api.post(
                    f"/runs/{run_id}/log-batch",
                    json={"tags": [{"key": "loss\n", "value": "x"}]},
                ),
                lambda: sdk.log_batch(run_id, tags=[RunTag("loss\n", "x")]),
            ),
            # Query parameters.
            (
                api.get(
                    f"/runs/{run_id}/metrics/history",
                    params={"key": "loss", "max_points": MIN_MAX_POINTS - 1},
                ),
                lambda: sdk.get_metric_history(run_id, "loss", max_points=MIN_MAX_POINTS - 1),
            ),
            (
                api.get(f"/runs/{run_id}/metrics/history", params={"key": "a;b"}),
                lambda: sdk.get_metric_history(run_id, "a;b"),
            ),
            (
                api.delete(f"/runs/{run_id}/tags", params={"key": "a;b"}),
                lambda: sdk.delete_tag(run_id, "a;b"),
            ),
            (
                api.delete(
                    f"/registered-models/{name}/aliases/champion", params={"reason": reason}
                ),
                lambda: sdk.delete_registered_model_alias(name, "champion", reason),
            ),
        ]
        for response, local_call in cases:
            assert response.status_code == 400, response.text
            with pytest.raises(MlstewardError) as raised:
                local_call()
            assert response.json()["error"]["message"] == raised.value.message
    finally:
        local.close()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/runs/{run_id}", "DELETE, GET, PATCH"),
        ("PATCH", "/experiments/{experiment_id}", "DELETE, GET"),
        ("PUT", "/runs/search", "DELETE, GET, PATCH, POST"),
    ],
)
def test_405_lists_every_method_of_the_path(
    api: httpx.Client, run_id: str, experiment_id: str, method: str, path: str, allowed: str
) -> None:
    """Starlette's 405 named only the first matching route's methods (GET alone here)."""
    url = path.format(run_id=run_id, experiment_id=experiment_id)
    response = api.request(method, url)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    error = response.json()["error"]
    assert error["code"] == "METHOD_NOT_ALLOWED"
    assert allowed in error["message"]
