"""Every page renders through one Jinja environment: HTML escaped, Markdown left as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import mlsteward
from mlsteward.engines.data import profile_table, render_html_report
from mlsteward.engines.rendering import environment, render
from mlsteward.services.monitoring import drift_report
from mlsteward.services.monitoring.late_labels import late_label_performance
from mlsteward.services.registry.card import CardItem, CardSection, CardTable, ModelCard
from mlsteward.services.registry.card_render import render_card

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _card(text: str) -> ModelCard:
    section = CardSection(
        title=f"Details {text}",
        items=[CardItem("Owner", f"team {text}"), CardItem("Use", None, "intended_use")],
        tables=[CardTable(f"Metrics {text}", ["metric", text], [[text, "0.9"]])],
        notes=[f"note {text}"],
    )
    missing = [CardItem(f"Intended use {text}", None, "intended_use")]
    return ModelCard(text, 1, "2026-01-01 00:00 UTC", [section], missing)


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n) + shift,
            HOSTILE: rng.choice(["a", "b", HOSTILE], size=n),
        }
    )


def _drift_page() -> str:
    report = drift_report(_frame(600, 0), _frame(600, 1, shift=1.0), chunk_by=200, title=HOSTILE)
    return report.to_html()


def _labelled(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-2.0 * x))
    return pd.DataFrame(
        {
            "id": np.arange(n) + 10 * seed * n,
            "proba": p,
            "pred": (p >= 0.5).astype(int),
            "label": (rng.random(n) < p).astype(int),
        }
    )


def _late_label_page() -> str:
    current = _labelled(900, 2)
    perf = late_label_performance(
        current.drop(columns=["label"]),
        current.iloc[:500][["id", "label"]],
        id_column="id",
        task="binary",
        prediction="pred",
        scores="proba",
        classes=[0, 1],
        chunk_by=300,
    )
    return perf.to_html(title=HOSTILE)


def _performance_table() -> str:
    cell = {
        "realized": HOSTILE,
        "estimate": HOSTILE,
        "bad": True,
        "bad_estimate": False,
        "alert": HOSTILE,
    }
    row = {
        "window": HOSTILE,
        "coverage": "1/2",
        "judged": False,
        "cells": [cell],
        "notes": [HOSTILE],
    }
    table = {
        "metrics": [HOSTILE],
        "rows": [row],
        "estimated": True,
        "rules": [HOSTILE],
        "messages": [HOSTILE],
    }
    page = environment().from_string(
        '{% from "performance_table.html.j2" import performance_table %}{{ performance_table(t) }}'
    )
    return page.render(t=table)


def _profile_page() -> str:
    table = pa.table({HOSTILE: ["a", HOSTILE, None], "n": [1.0, 2.5, 4.0]})
    return render_html_report(profile_table(table), title=HOSTILE)


#: Each HTML template, rendered by its caller with hostile user text in it (the table macro
#: that drift and late-label pages share, directly).
HTML_PAGES: dict[str, Callable[[], str]] = {
    "drift_report.html.j2": _drift_page,
    "late_labels.html.j2": _late_label_page,
    "performance_table.html.j2": _performance_table,
    "model_card.html.j2": lambda: render_card(_card(HOSTILE), "html"),
    "data_profile.html.j2": _profile_page,
}


def test_one_environment_holds_every_template() -> None:
    env = environment()
    assert env is environment()
    names = set(env.list_templates())
    assert names == {*HTML_PAGES, "model_card.md.j2"}
    for name in names:  # each compiles, and later calls reuse the compiled template
        assert env.get_template(name) is env.get_template(name)


def test_no_other_module_builds_an_environment() -> None:
    root = Path(mlsteward.__file__).parent
    builders = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"\bEnvironment\(", path.read_text(encoding="utf-8"))
    )
    assert builders == ["engines/rendering/environment.py"]


def test_autoescape_is_on_for_html_and_off_for_markdown() -> None:
    env = environment()
    assert callable(env.autoescape)
    assert env.autoescape("model_card.html.j2") is True
    assert env.autoescape("model_card.md.j2") is False
    assert env.autoescape("unknown.txt") is True  # anything else is escaped, to be safe
    markdown = render("model_card.md.j2", card=_card("<b>bold</b>"))
    assert "<b>bold</b>" in markdown and "&lt;" not in markdown
    html = render("model_card.html.j2", card=_card("<b>bold</b>"))
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("model_card.md.j2")


def test_the_shared_filters_format_values() -> None:
    env = environment()
    assert env.filters["brief_number"](0.123456) == "0.1235"
    assert env.filters["brief_number"](float("nan")) == "-"
    assert env.filters["full_number"](1234567) == "1,234,567"
    assert env.filters["full_number"](True) == "True"
    assert env.filters["percent"](0.5) == "50.00%"
    assert env.filters["percent"](None) == "-"
    assert env.filters["md_cell"]("a|b\nc") == "a\\|b<br>c"


@pytest.mark.parametrize("template", sorted(HTML_PAGES))
def test_hostile_text_is_escaped_in_every_html_page(template: str) -> None:
    page = HTML_PAGES[template]()
    assert "<script" not in page.lower()
    assert ESCAPED in page


def test_every_html_template_is_checked_for_escaping() -> None:
    html = {name for name in environment().list_templates() if name.endswith(".html.j2")}
    assert html == set(HTML_PAGES)
