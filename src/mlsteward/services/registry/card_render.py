"""Render a model card as Markdown or as one self-contained HTML page (no external assets)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.card import ModelCard, build_model_card

_TEMPLATES = Path(__file__).with_name("templates")
FORMATS = ("markdown", "html")


def _md_cell(value: object) -> str:
    """Table-safe Markdown: pipes escaped, line breaks kept as <br>."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md_cell"] = _md_cell
    return env


def render_card(card: ModelCard, format: str = "markdown") -> str:
    fmt = format.lower()
    if fmt in ("md", "markdown"):
        return _environment().get_template("model_card.md.j2").render(card=card)
    if fmt == "html":
        return _environment().get_template("model_card.html.j2").render(card=card)
    raise InvalidArgumentError(f"Unknown model card format {format!r}; use markdown or html")


def render_model_card(
    ctx: ServiceContext, name: str, version: int | str, format: str = "markdown"
) -> str:
    """The card of ``name`` version ``version`` as Markdown or self-contained HTML."""
    if format.lower() not in (*FORMATS, "md"):
        raise InvalidArgumentError(f"Unknown model card format {format!r}; use markdown or html")
    return render_card(build_model_card(ctx, name, version), format)
