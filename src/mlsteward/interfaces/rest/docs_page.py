"""``/docs``: the API reference as one self-contained HTML page, rendered on the server.

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI or ReDoc from a CDN, so they show a
blank page wherever the server's users have no internet access. This page needs nothing
but the server: it is built once from the same OpenAPI document ``/openapi.json`` serves
(every operation, its parameters, body and answers, then every schema), with no script and
no external stylesheet. Tools that want the interactive explorers can load ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

DOCS_PATH = "/docs"
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_REF_PREFIX = "#/components/"

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;
color:#1d232b}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #d7dde4;padding-top:1rem}
h3{margin:1.6rem 0 .3rem;font-size:1.05rem}
code,.path{font-family:ui-monospace,Menlo,Consolas,monospace}
.method{display:inline-block;min-width:4.2rem;padding:.05rem .4rem;border-radius:3px;
color:#fff;font:600 .8rem ui-monospace,monospace;text-align:center;text-transform:uppercase}
.get{background:#2f7d32}.post{background:#1f5fa8}.put,.patch{background:#a86a00}
.delete{background:#b3261e}.head,.options{background:#555}
table{border-collapse:collapse;margin:.3rem 0 .6rem;width:100%}
th,td{border:1px solid #d7dde4;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8;font-weight:600}.muted{color:#5b6673}nav li{margin:.1rem 0}
"""


def install_docs_page(app: FastAPI) -> None:
    """Serve the page at ``/docs`` (built on the first request, then kept)."""
    page: list[str] = []

    async def docs() -> HTMLResponse:
        if not page:
            page.append(render_docs(app.openapi()))
        return HTMLResponse(page[0])

    app.add_api_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)


def render_docs(document: Mapping[str, Any]) -> str:
    """The HTML reference for an OpenAPI document."""
    info = document.get("info", {})
    title = str(info.get("title", "API"))
    operations = list(_operations(document.get("paths", {})))
    tags: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for path, method, operation in operations:
        for tag in operation.get("tags") or ["other"]:
            tags.setdefault(str(tag), []).append((path, method, operation))
    components: Mapping[str, Any] = document.get("components", {})
    schemas: Mapping[str, Any] = components.get("schemas", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} API reference</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)} API reference</h1>",
        f'<p class="muted">Version {escape(str(info.get("version", "")))}. '
        f"{escape(str(info.get('summary', '')))} The machine-readable document is "
        '<a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI '
        f"{escape(str(document.get('openapi', '')))}): load it into Swagger UI, an HTTP "
        "client or a code generator.</p>",
        "<nav><ul>",
        *(f'<li><a href="#tag-{_anchor(tag)}">{escape(tag)}</a></li>' for tag in tags),
        '<li><a href="#schemas">Schemas</a></li>' if schemas else "",
        "</ul></nav>",
    ]
    for tag, tagged in tags.items():
        parts.append(f'<h2 id="tag-{_anchor(tag)}">{escape(tag)}</h2>')
        for path, method, operation in tagged:
            parts.append(_operation_html(path, method, operation, components))
    if schemas:
        parts.append('<h2 id="schemas">Schemas</h2>')
        parts.extend(_schema_html(name, schema) for name, schema in schemas.items())
    parts.append("</body></html>")
    return "\n".join(part for part in parts if part)


def _operations(paths: Mapping[str, Any]) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    for path, item in paths.items():
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                yield str(path), method, operation


def _operation_html(
    path: str, method: str, operation: Mapping[str, Any], components: Mapping[str, Any]
) -> str:
    summary = operation.get("summary") or ""
    parts = [
        f'<h3><span class="method {method}">{method}</span> '
        f'<span class="path">{escape(path)}</span> {escape(str(summary))}</h3>'
    ]
    if operation.get("description"):
        parts.append(f"<p>{escape(str(operation['description']))}</p>")
    parameters = operation.get("parameters") or []
    if parameters:
        parts.append("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>About</th></tr>")
        for listed in parameters:
            parameter = _resolve(listed, components)
            required = " (required)" if parameter.get("required") else ""
            parts.append(
                f"<tr><td><code>{escape(str(parameter.get('name', '')))}</code>{required}</td>"
                f"<td>{escape(str(parameter.get('in', '')))}</td>"
                f"<td>{_type_html(parameter.get('schema', {}))}</td>"
                f"<td>{escape(str(parameter.get('description', '')))}</td></tr>"
            )
        parts.append("</table>")
    body = operation.get("requestBody")
    if isinstance(body, Mapping):
        kinds = ", ".join(
            f"<code>{escape(str(kind))}</code> {_type_html(media.get('schema', {}))}"
            for kind, media in body.get("content", {}).items()
        )
        required = " (required)" if body.get("required") else ""
        parts.append(f"<p>Body{required}: {kinds or 'any'}</p>")
    responses = operation.get("responses") or {}
    if responses:
        parts.append("<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>")
        for status, answer in responses.items():
            content = answer.get("content", {}) if isinstance(answer, Mapping) else {}
            shapes = ", ".join(_type_html(media.get("schema", {})) for media in content.values())
            meaning = answer.get("description", "") if isinstance(answer, Mapping) else ""
            parts.append(
                f"<tr><td>{escape(str(status))}</td><td>{escape(str(meaning))}</td>"
                f"<td>{shapes}</td></tr>"
            )
        parts.append("</table>")
    return "\n".join(parts)


def _resolve(item: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    """``item`` itself, or the component its ``$ref`` names (when the document has it)."""
    ref = str(item.get("$ref", ""))
    if not ref.startswith(_REF_PREFIX):
        return item
    kind, _, name = ref.removeprefix(_REF_PREFIX).partition("/")
    found = components.get(kind, {}).get(name)
    return found if isinstance(found, Mapping) else {"name": name}


def _schema_html(name: str, schema: Mapping[str, Any]) -> str:
    parts = [f'<h3 id="schema-{_anchor(name)}"><code>{escape(name)}</code></h3>']
    if schema.get("description"):
        parts.append(f"<p>{escape(str(schema['description']))}</p>")
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        parts.append(f"<p>{_type_html(schema)}</p>")
        return "\n".join(parts)
    required = set(schema.get("required", []))
    parts.append("<table><tr><th>Field</th><th>Type</th><th>About</th></tr>")
    for field, spec in properties.items():
        mark = " (required)" if field in required else ""
        about = spec.get("description", "") if isinstance(spec, Mapping) else ""
        parts.append(
            f"<tr><td><code>{escape(field)}</code>{mark}</td><td>{_type_html(spec)}</td>"
            f"<td>{escape(str(about))}</td></tr>"
        )
    parts.append("</table>")
    return "\n".join(parts)


def _type_html(schema: Any) -> str:
    """A schema as a short type: a link for a reference, ``list[...]``, ``a | b``."""
    if not isinstance(schema, Mapping) or not schema:
        return "any"
    if "$ref" in schema:
        ref = str(schema["$ref"])
        name = ref.rsplit("/", 1)[-1]
        if ref.startswith(_REF_PREFIX + "schemas/"):
            return f'<a href="#schema-{_anchor(name)}"><code>{escape(name)}</code></a>'
        return f"<code>{escape(name)}</code>"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            joiner = " &amp; " if combinator == "allOf" else " | "
            return joiner.join(_type_html(option) for option in schema[combinator])
    if "enum" in schema:
        return " | ".join(f"<code>{escape(repr(value))}</code>" for value in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(repr(schema['const']))}</code>"
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " | ".join(_type_html({**schema, "type": one}) for one in kind)
    if kind == "array":
        return f"list[{_type_html(schema.get('items', {}))}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map[str, {_type_html(schema['additionalProperties'])}]"
    label = escape(str(kind))
    if schema.get("format"):
        label += f" ({escape(str(schema['format']))})"
    return label


def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)
