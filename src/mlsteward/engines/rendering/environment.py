"""The one Jinja environment of the package, and :func:`render` over its templates.

Templates live in this package's ``templates`` folder. Names ending in ``.html.j2`` are
autoescaped, ``.md.j2`` are not (Markdown is not HTML: escaping would show ``&lt;`` in the
text), and any other name is escaped too, to be safe. A value a template names but does not
get is an error rather than an empty string. Block tags take their line with them
(``trim_blocks``, ``lstrip_blocks``) and a template's final newline is kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from mlsteward.engines.rendering.filters import FILTERS


@cache  # built once: each template is compiled on first use, not on every page
def environment() -> jinja2.Environment:
    """The shared environment (the same object on every call)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlsteward.engines.rendering", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",),
            disabled_extensions=("md.j2",),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render(template_name: str, **context: Any) -> str:
    """The text of template ``template_name`` (e.g. ``"model_card.md.j2"``) with ``context``."""
    return environment().get_template(template_name).render(**context)
