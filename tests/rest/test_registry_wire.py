"""The registry routes on the wire: status codes, bodies, headers, and bad input as 4xx JSON.

Plain ``httpx`` against a real server, so these tests see exactly what other clients see.
The bad-input sweep walks every registry route in the OpenAPI document, so a route added
later is covered without editing this file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx
import pytest

from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

ALICE = {"X-Mlsteward-User": "alice"}
BOB = {"X-Mlsteward-User": "bob"}
ExpectError = Callable[[httpx.Response, int, str], str]
REGISTRY_PATHS = re.compile(r"^/api/v1/(registered-models|model-versions)")


@pytest.fixture
def model(api: httpx.Client) -> Iterator[str]:
    """A model with one version, registered by alice; yields its name as a path segment."""
    name = f"wire {uuid.uuid4().hex[:8]}"
    assert api.post("/registered-models", json={"name": name}, headers=ALICE).status_code == 201
    url = f"/registered-models/{quote(name, safe='')}"
    response = api.post(f"{url}/versions", json={"source": "s3://b/m"}, headers=ALICE)
    assert response.status_code == 201, response.text
    yield quote(name, safe="")


def test_the_caller_is_the_user_header(api: httpx.Client) -> None:
    name = f"who {uuid.uuid4().hex[:8]}"
    created = api.post(
        "/registered-models", json={"name": name}, headers={"X-Mlsteward-User": "dana"}
    )
    assert created.status_code == 201 and created.json()["created_by"] == "dana"
    anonymous = api.post("/registered-models", json={"name": name + "-2"})
    assert anonymous.json()["created_by"] == "anonymous"


def test_gate_refusal_lists_its_reasons(api: httpx.Client, model: str) -> None:
    url = f"/registered-models/{model}"
    assert api.put(f"{url}/thresholds", json={"thresholds": ["auc >= 0.9"]}).status_code == 200
    assert api.put(f"{url}/protected-aliases/production", json={"reason": "policy"}).is_success
    refused = api.put(f"{url}/aliases/production", json={"version": 1}, headers=ALICE)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert set(error) == {"code", "message", "reasons", "type"}
    assert (error["code"], error["type"]) == ("PERMISSION_DENIED", "GateError")
    assert len(error["reasons"]) == 2 and all(r in error["message"] for r in error["reasons"])
    assert "no approval" in error["reasons"][0] and "auc >= 0.9" in error["reasons"][1]
    staged = api.post(f"{url}/versions/1/stage", json={"stage": "production"}, headers=ALICE)
    assert staged.status_code == 403 and len(staged.json()["error"]["reasons"]) == 2
    history = api.get(f"{url}/alias-history", params={"alias": "production"}).json()["events"]
    assert [e["action"] for e in history] == ["protect"]  # the refusals changed nothing


def test_self_approval_is_403_with_a_message(
    api: httpx.Client, model: str, expect_error: ExpectError
) -> None:
    url = f"/registered-models/{model}/versions/1/approvals"
    message = expect_error(
        api.post(url, json={"comment": "mine"}, headers=ALICE), 403, "PERMISSION_DENIED"
    )
    assert "cannot approve" in message and "'alice'" in message
    approved = api.post(url, json={"comment": "checked"}, headers=BOB)
    assert approved.status_code == 201 and approved.json()["actor"] == "bob"
    again = api.post(url, json={"comment": "again"}, headers=BOB)
    assert "already approved" in expect_error(again, 409, "CONFLICT")


def test_alias_moves_and_their_statuses(api: httpx.Client, model: str) -> None:
    url = f"/registered-models/{model}/aliases/champion"
    moved = api.put(url, json={"version": 1, "reason": "first"}, headers=ALICE)
    assert moved.status_code == 200 and moved.json()["to_version"] == 1
    unchanged = api.put(url, json={"version": 1})
    assert unchanged.status_code == 204 and unchanged.content == b""
    assert api.get(url).json()["version"] == 1
    deleted = api.delete(url, params={"reason": "incident"})
    assert deleted.status_code == 200 and deleted.json()["reason"] == "incident"
    restored = api.post(f"{url}/rollback")  # the body is optional
    assert restored.status_code == 200 and restored.json()["action"] == "rollback"


def test_model_card_formats(api: httpx.Client, model: str, expect_error: ExpectError) -> None:
    url = f"/registered-models/{model}/versions/1/card"
    markdown = api.get(url)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.startswith("# ")
    page = api.get(url, params={"format": "html"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith("<!DOCTYPE html>")
    assert "format" in expect_error(api.get(url, params={"format": "pdf"}), 400, "INVALID_ARGUMENT")


def test_named_problems(api: httpx.Client, model: str, expect_error: ExpectError) -> None:
    url = f"/registered-models/{model}"
    cases = [
        (api.post("/registered-models", json={"name": "a/b"}), 400, "Invalid model name"),
        (api.post("/registered-models", json={"name": "m", "colour": 1}), 400, "colour: unknown"),
        (api.post("/registered-models", content=b"{", headers=_JSON), 400, "Invalid JSON"),
        (api.get(f"{url}/versions/abc"), 400, "path.version"),
        (api.get(f"{url}/versions/0"), 400, "positive whole number"),
        (api.get(f"{url}/versions/7"), 404, "version 7"),
        (api.get("/registered-models/nope%20nope"), 404, "No registered model"),
        (api.put(f"{url}/aliases/x", json={"version": "1"}), 400, "body.version"),
        (api.put(f"{url}/aliases/two%20words", json={"version": 1}), 400, "Invalid alias"),
        (api.post(f"{url}/versions/1/evaluation", json={"metrics": {"a": "hi"}}), 400, "a"),
        (api.patch(f"{url}/card", json={"purpose": "x"}), 400, "Unknown model-card field"),
        (api.get(f"{url}/approvals", params={"version": "x"}), 400, "query.version"),
        (api.get("/model-versions/resolve"), 400, "query.uri: required"),
        (api.delete(url), 405, "not allowed"),
    ]
    for response, status, fragment in cases:
        code = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}[status]
        assert fragment in expect_error(response, status, code), response.request.url


_JSON = {"Content-Type": "application/json"}
# An optional body may be null or absent, so only the first three are wrong everywhere.
_BAD_BODIES = [b"{", b'{"unexpected_field": 1}', b"\xff\xfe", b"[]", b'"text"', b"null"]


def _routes(server_url: str) -> list[tuple[str, str, str | None]]:
    """(method, path, "required" | "optional" | None for the body) of every registry route."""
    document = httpx.get(f"{server_url}/openapi.json", timeout=30).json()
    routes = []
    for path, operations in document["paths"].items():
        if REGISTRY_PATHS.match(path):
            for method, operation in operations.items():
                body = operation.get("requestBody")
                state = None if body is None else "required" if body.get("required") else "optional"
                routes.append((method.upper(), path, state))
    return routes


def test_bad_input_is_4xx_json_on_every_route(
    api: httpx.Client, model: str, server_url: ServerURL
) -> None:
    routes = _routes(server_url)
    assert len(routes) >= 30
    values = {"name": model, "version": "1", "alias": "champion", "key": "k"}

    def fill(path: str, **changed: str) -> str:
        return path.removeprefix("/api/v1").format(**{**values, **changed})

    probes = 0
    for method, path, body_state in routes:
        good = fill(path)
        targets = [fill(path, name="no%20such%20model")]
        if "{version}" in path:
            targets += [fill(path, version=v) for v in ("abc", "0", "-1", "99999999999")]
        if "{alias}" in path:
            targets.append(fill(path, alias="a%20b"))
        for target in targets:
            body = b'{"version": 1, "value": "v", "comment": "c", "source": "s", "stage": "None"}'
            _check(api.request(method, target, content=body, headers={**_JSON, **BOB}))
            probes += 1
        if body_state:
            for bad in _BAD_BODIES if body_state == "required" else _BAD_BODIES[:3]:
                _check(api.request(method, good, content=bad, headers=_JSON))
                probes += 1
            _check(api.request(method, good, content=b"name=x", headers={}))
            probes += 1
        for query in ({"version": "x"}, {"format": "pdf"}, {"alias": ""}, {"stage": "Prod"}):
            response = api.request(method, good, params=query, content=b"{}", headers=_JSON)
            assert response.status_code < 500, (method, good, query, response.text)
            probes += 1
    assert probes > 150


def _check(response: httpx.Response) -> None:
    """A client mistake: a 4xx status with our JSON error body, never a 500."""
    where = f"{response.request.method} {response.request.url}: {response.text[:300]}"
    assert 400 <= response.status_code < 500, where
    error = response.json()["error"]
    assert error["code"] and error["message"] and "Traceback" not in error["message"], where
