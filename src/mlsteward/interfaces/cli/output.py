"""How the CLI shows things: Rich consoles, JSON for scripts, and value formatting."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from mlsteward.domain.redaction import redact_url

MISSING = "[dim]—[/dim]"


def plain(value: object, style: str = "") -> Text:
    """User data for a table cell: shown as is, never parsed as Rich markup."""
    return Text(str(value), style=style)


def console() -> Console:
    """A console on the current stdout (looked up per call, so test runners can swap it).

    Piped output gets a wide fixed width instead of Rich's 80 columns, so tables of 32-digit
    run ids stay on one line for ``grep`` and ``less``.
    """
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console(highlight=False)
    return Console(highlight=False, width=200)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)


def print_error(message: str) -> None:
    """``Error: <message>`` in red on stderr, unwrapped so long messages stay greppable.

    Passwords inside URLs (a database URL echoed by a driver) are masked first.
    """
    message = _URL_PASSWORD.sub(r"\1***@", message)
    err_console().print(f"[bold red]Error:[/bold red] [red]{escape(message)}[/red]", soft_wrap=True)


def _json_safe(value: Any) -> Any:
    """Replace NaN and ±inf (stored faithfully) by strings, since JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Plain, valid JSON on stdout (no colours, no wrapping) for scripts and ``jq``."""
    sys.stdout.write(json.dumps(_json_safe(data), indent=2, sort_keys=False) + "\n")


def format_time(ms: int | None) -> str:
    """Milliseconds since the epoch as local ``YYYY-MM-DD HH:MM:SS``."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: int | None, end_ms: int | None) -> str:
    if start_ms is None or end_ms is None:
        return ""
    seconds = max(0.0, (end_ms - start_ms) / 1000)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_number(value: float) -> str:
    """Metrics to 6 significant digits; NaN and infinities spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"


STATUS_STYLES = {
    "FINISHED": "green",
    "RUNNING": "cyan",
    "SCHEDULED": "blue",
    "FAILED": "red",
    "KILLED": "yellow",
}


def styled_status(status: str) -> str:
    return f"[{STATUS_STYLES.get(status, 'white')}]{status}[/]"


def redact_uri(uri: str) -> str:
    """Hide a password in a database URL before it is printed (the one rule every layer uses)."""
    return redact_url(uri)
