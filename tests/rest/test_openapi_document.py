"""The OpenAPI document a real server serves describes what it really does.

No 422 (the server answers 400), every error status a route can send, the rules the
services enforce on names, aliases, enums and numbers, and a 405 that lists every method a
path has. The rules are written once in the services: the document only describes them, so
a value it calls invalid is refused with the same message through HTTP and the local SDK.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from mlsteward.domain import datasets, monitoring
from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.registry import AcceptanceThreshold
from mlsteward.interfaces.rest import documented_types as d
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.services.limits import Limits
from mlsteward.services.registry import validation as registry_validation
from mlsteward.services.tracking import validation as tracking_validation
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

Operation = tuple[str, str, dict[str, Any]]
#: The only API route that reads neither the store nor the caller: it reports settings.
SETTINGS_ONLY = "/api/v1/server-info"


def _acts_for_caller(path: str) -> bool:
    return path.startswith("/api/v1/") and path != SETTINGS_ONLY


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
    return jsonschema.Draft202012Validator(schema).is_valid


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
            expected |= {"400", "503"}
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                expected |= {"409", "507"}
        if missing := expected - set(responses):
            problems.append(f"{method} {path} lacks {sorted(missing)}")
        for status, response in responses.items():
            if status >= "400" and set(response["content"]) != {"application/json"}:
                problems.append(f"{method} {path} {status} is not JSON: {response['content']}")
    assert problems == []


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
    assert (version["minimum"], version["maximum"]) == (1, 2**31 - 1)
    stage = _schema(document, "StageRequest")["properties"]["stage"]
    assert stage["enum"] == ["None", "Staging", "Production", "Archived"]
    status = _schema(document, "UpdateRunRequest")["properties"]["status"]["anyOf"][0]
    assert status["enum"] == ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
    search = _schema(document, "SearchRunsRequest")["properties"]["max_results"]
    assert search["maximum"] == limits.max_search_results
    alias_route = document["paths"]["/api/v1/datasets/{name}/aliases/{alias}"]["put"]
    alias = {p["name"]: p["schema"] for p in _parameters(document, alias_route)}["alias"]
    assert alias["pattern"] == d.DATASET_ALIAS


def test_documented_patterns_are_the_services_own() -> None:
    """Written again for JSON Schema (ECMA-262), they must stay the services' expressions."""
    assert tracking_validation._KEY_PATTERN.pattern == d.TRACKING_KEY
    assert registry_validation._ALIAS.pattern == d.REGISTRY_ALIAS
    assert d.DATASET_NAME == datasets._NAME.pattern == monitoring._NAME.pattern
    assert datasets._ALIAS.pattern == d.DATASET_ALIAS


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
            "x" * 250,
            "x" * 251,
        ],
    ),
    (
        "dataset name",
        d.DatasetName,
        datasets.validate_dataset_name,
        ["customers", "c.v-2_x", "_x", "-x", "", "a b", "x" * 200, "x" * 201],
    ),
    (
        "tracking key",
        d.TrackingKey,
        lambda v: tracking_validation.validate_key("Tag", v, Limits()),
        ["loss", "a/b c:d-e.f", "a;b", "", "x" * 250, "x" * 251],
    ),
    (
        "threshold",
        d.Threshold,
        AcceptanceThreshold.parse,
        # The value's number-ness is the service's check alone ("auc >= x" is refused there).
        ["roc_auc >= 0.85", "rmse<=3", " a.b == 1 ", "auc = -1e-3", "auc >> 1", "auc", ">= 1"],
    ),
]


@pytest.mark.parametrize(
    ("what", "documented", "rule", "samples"), RULES, ids=[r[0] for r in RULES]
)
def test_documented_rules_agree_with_the_services(
    what: str, documented: Any, rule: Callable[[Any], object], samples: list[object]
) -> None:
    from pydantic import TypeAdapter

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
    stage = _resolve_refs(_schema(document, "StageRequest"), document["components"]["schemas"])
    comment = _schema(document, "CommentRequest")["properties"]["comment"]
    assert not _validator(stage)({"stage": "Prod"})
    assert not _validator(comment)(" ")
    server = server_url.server
    local = LocalBackend(server.store_uri, server.artifacts_uri, actor="bob")
    try:
        cases: list[tuple[httpx.Response, Callable[[], object]]] = [
            (
                api.put(f"/registered-models/{name}/aliases/1bad", json={"version": 1}),
                lambda: local.set_alias(name, "1bad", 1),
            ),
            (
                api.post(f"/registered-models/{name}/versions/1/stage", json={"stage": "Prod"}),
                lambda: local.transition_stage(name, 1, "Prod"),
            ),
            (
                api.post(
                    f"/registered-models/{name}/versions/1/approvals",
                    json={"comment": " "},
                    headers={"X-Mlsteward-User": "bob"},
                ),
                lambda: local.approve_model_version(name, 1, " "),
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
