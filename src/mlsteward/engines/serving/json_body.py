"""Request bodies' JSON: orjson when it is installed, else the stdlib, with the same values.

A batch of 100 rows x 20 float features is 2,000 numbers; the stdlib's ``json.loads`` takes
about 1 ms for them (a Python float made per number in pure-C code that is still general),
orjson about 0.05 ms, which decides a data plane's rows/s. orjson is optional (the
``serving`` extra): without it every body goes through the stdlib.

Both read the same Python values from valid JSON but for two cases, both sent to the stdlib:
an integer literal too large for 64 bits (orjson makes it a float, the stdlib an exact int;
a cheap scan of the bytes for a run of 19 or more digits standing alone finds every such
literal, and a few harmless others) and what orjson refuses and the stdlib takes (``NaN``,
``Infinity``, lone surrogates, UTF-16 or UTF-32 bodies): orjson's error falls back to the
stdlib, whose answer or error is the one given.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

_orjson: ModuleType | None
try:
    import orjson as _orjson
except ImportError:  # the optional extra is not installed: the stdlib reads every body
    _orjson = None

#: digits -> "d", what continues a number's fraction or exponent -> "x", the rest -> " ".
_SHAPES = bytes(
    ord("d") if chr(i).isdigit() and i < 128 else ord("x") if chr(i) in ".eE" else ord(" ")
    for i in range(256)
)
_LONG_INTEGER = b" " + b"d" * 19


def has_fast_reader() -> bool:
    """Whether orjson is installed (the fast path is taken)."""
    return _orjson is not None


def _may_hold_long_integer(body: bytes) -> bool:
    """Whether ``body`` may hold an integer literal of 19 digits or more (beyond int64)."""
    return (b" " + body).translate(_SHAPES).find(_LONG_INTEGER) >= 0


def loads(body: bytes) -> Any:
    """The JSON value of ``body``, exactly as ``json.loads(body)`` gives it (and raising what it
    raises: ``ValueError`` or ``UnicodeDecodeError``)."""
    if _orjson is not None and not _may_hold_long_integer(body):
        try:
            return _orjson.loads(body)
        except _orjson.JSONDecodeError:
            pass  # the stdlib decides: it takes a few things orjson refuses, or says why not
    return json.loads(body)
