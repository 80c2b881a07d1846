"""``/docs`` works without internet: one page from the server itself, nothing from a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

from mlsteward.interfaces.rest.docs_page import render_docs

pytestmark = pytest.mark.server


def test_docs_page_needs_nothing_but_the_server(server_url: str) -> None:
    page = httpx.get(f"{server_url}/docs", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    # Nothing loaded from elsewhere: no scripts, no external stylesheet, no absolute URL.
    assert "<script" not in html
    assert re.search(r"<link[^>]+stylesheet", html) is None
    assert re.search(r"(src|href)=\"(https?:)?//", html) is None
    assert "cdn" not in html.lower()
    document = httpx.get(f"{server_url}/openapi.json", timeout=30).json()
    for path in document["paths"]:
        assert f'<span class="path">{path}</span>' in html, path
    assert '<a href="/openapi.json">' in html


def test_the_cdn_pages_are_gone(server_url: str) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert httpx.get(f"{server_url}{path}", timeout=30).status_code == 404, path
    assert "/docs" not in httpx.get(f"{server_url}/openapi.json", timeout=30).json()["paths"]


def test_rendering_escapes_and_resolves_references() -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t<i>", "version": "1"},
        "paths": {
            "/things/{id}": {
                "get": {
                    "tags": ["things"],
                    "summary": "Get <b>one</b>",
                    "parameters": [
                        {"$ref": "#/components/parameters/Caller"},
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/T"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "parameters": {"Caller": {"name": "X-Caller", "in": "header", "schema": {}}},
            "schemas": {
                "T": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {
                        "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        },
    }
    html = render_docs(document)
    assert "<b>" not in html and "<i>" not in html
    assert "Get &lt;b&gt;one&lt;/b&gt;" in html
    assert "<code>X-Caller</code>" in html and "header" in html
    assert '<a href="#schema-T"><code>T</code></a>' in html
    assert "integer | null" in html and "list[string]" in html
