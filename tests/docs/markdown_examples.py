"""Find the runnable examples of a Markdown file: fenced blocks, their kind and markers.

The rules (the runner in ``test_docs_examples.py`` applies them):

* A fence's language decides what it is. ``python`` blocks run as Python; ``bash``,
  ``shell``, ``sh`` and ``console`` blocks run line by line with bash. Everything else
  (no language, ``text``, ``json``, ``yaml``, ``http``...) is output or data, never run.
* In a ``console`` block only lines starting with ``$ `` are commands (continued by a
  trailing backslash); the lines that follow a command are its output. When a line of that
  output starts with ``Error:``, the command must fail (exit non-zero) and print that error
  on stderr; otherwise it must succeed. In ``bash``/``shell``/``sh`` blocks every line is a
  command and must succeed; ``#`` comments and blank lines are ignored.
* An HTML comment on the line just before a fence (blank lines allowed between) changes
  how it is treated; it is visible to anyone reading the Markdown source:

  - ``<!-- example: skip, REASON -->`` does not run the block; the reason is required and
    is reported as the skip reason.
  - ``<!-- example: synopsis -->`` marks a usage summary (``[--option]``, ``NAME``
    placeholders): it is not run, but every ``mlsteward ...`` line in it is checked against
    the real command line, so a command or option that does not exist fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "shell", "sh", "console"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<body>.*?)\s*-->\s*$")


class MarkerError(ValueError):
    """A marker that does not follow the syntax above (an unknown kind, a skip with no reason)."""


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts, its language and text, and the marker before it."""

    path: Path
    line: int  # 1-based line of the first line of content
    language: str
    text: str
    marker: str | None = None  # "skip" or "synopsis"
    reason: str = ""

    @property
    def kind(self) -> str:
        """``python``, ``shell`` or ``none`` (never run)."""
        if self.language in PYTHON:
            return "python"
        if self.language in SHELL:
            return "shell"
        return "none"

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def _parse_marker(body: str, path: Path, line: int) -> tuple[str, str]:
    kind, _, reason = body.partition(",")
    kind, reason = kind.strip(), reason.strip()
    if kind == "skip":
        if not reason:
            raise MarkerError(f"{path.name}:{line}: 'example: skip' needs a reason after a comma")
        return kind, reason
    if kind == "synopsis" and not reason:
        return kind, ""
    raise MarkerError(f"{path.name}:{line}: unknown example marker {body!r}")


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` in document order (nested fences are not supported)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    marker: tuple[str, str, int] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if opened is None:
            match = _MARKER.match(line)
            if match is not None:
                kind, reason = _parse_marker(match.group("body"), path, i + 1)
                marker = (kind, reason, i + 1)
            elif line.strip():
                marker = None  # a marker applies only to the block right after it
            i += 1
            continue
        indent, fence = opened.group("indent"), opened.group("fence")
        language = opened.group("info").strip().split(" ")[0].lower()
        body: list[str] = []
        i += 1
        start = i + 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # the closing fence
        kind, reason = (marker[0], marker[1]) if marker else (None, "")
        found.append(Block(path, start, language, "\n".join(body) + "\n", kind, reason))
        marker = None
    return found


@dataclass(frozen=True)
class Command:
    """One shell command of a block: its text (continuations joined) and what it expects."""

    line: int
    text: str
    expected_error: str | None = None  # the first line of a shown ``Error:`` output


def commands(block: Block) -> list[Command]:
    """The commands of a shell block, with continuation lines joined into one."""
    console = block.language == "console"
    found: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        if console:
            if not raw.startswith("$ "):
                i += 1
                continue
            raw = raw[2:]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start, parts = i, [raw]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        i += 1
        expected = None
        if console:  # the output shown up to the next prompt: does it hold an error?
            j = i
            while j < len(lines) and not lines[j].startswith("$ "):
                if expected is None and lines[j].startswith("Error:"):
                    expected = lines[j]
                j += 1
        found.append(Command(block.line + start, "\n".join(parts), expected))
    return found
