"""Render a model card as Markdown or as one self-contained HTML page (no external assets)."""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import CARD_FORMATS
from mlsteward.engines.rendering import render
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.card import ModelCard, build_model_card

FORMATS = CARD_FORMATS


def render_card(card: ModelCard, format: str = "markdown") -> str:
    """The text of ``card`` as ``"markdown"`` (or ``"md"``) or ``"html"``."""
    fmt = format.lower()
    if fmt in ("md", "markdown"):
        return render("model_card.md.j2", card=card)
    if fmt == "html":
        return render("model_card.html.j2", card=card)
    raise InvalidArgumentError(f"Unknown model card format {format!r}; use markdown or html")


def render_model_card(
    ctx: ServiceContext, name: str, version: int | str, format: str = "markdown"
) -> str:
    """The card of ``name`` version ``version`` as Markdown or self-contained HTML."""
    if format.lower() not in (*FORMATS, "md"):
        raise InvalidArgumentError(f"Unknown model card format {format!r}; use markdown or html")
    return render_card(build_model_card(ctx, name, version), format)
