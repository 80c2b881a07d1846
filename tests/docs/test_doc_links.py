"""Every relative link in README.md and docs/*.md leads to a file of this repository (and to a
heading that exists, for ``file.md#anchor``), so the docs read the same in a fresh clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def _prose(path: Path) -> str:
    return _INLINE_CODE.sub("", _FENCED.sub("", path.read_text(encoding="utf-8")))


def _anchors(path: Path) -> set[str]:
    """Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to '-'."""
    found = set()
    for heading in _HEADING.findall(_FENCED.sub("", path.read_text(encoding="utf-8"))):
        text = heading.replace("`", "").strip().lower()
        found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def _broken(path: Path) -> list[str]:
    return _broken_text(path, _prose(path))


def _broken_text(path: Path, prose: str) -> list[str]:
    """The broken links of ``prose``, read as if it were the text of ``path``."""
    problems = []
    for target in _LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or ROOT not in (linked, *linked.parents):
            problems.append(f"{target}: no such file in the repository")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            problems.append(f"{target}: no heading #{anchor} in {linked.name}")
    return problems


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(path: Path) -> None:
    assert _broken(path) == []


def test_a_link_out_of_the_clone_or_to_a_missing_heading_is_reported() -> None:
    page = ROOT / "docs" / "cli.md"
    text = "[arch](../../shared/ARCHITECTURE.md) [gov](registry.md#no-such-heading)"
    problems = _broken_text(page, text)
    assert [p.split(":")[0] for p in problems] == [
        "../../shared/ARCHITECTURE.md",
        "registry.md#no-such-heading",
    ]
