"""The digest of a change: what an audit record keeps of the request it records.

An audit record does not store request values (they may be large, or personal); it stores
the SHA-256 of the request's canonical JSON form, so whoever holds the request can show it
is the one recorded. Secrets are left out before hashing: a password or a token has little
entropy next to the rest of a request, and its digest would be a guess-checking oracle.

Canonical form: pydantic models field by field (the values as the service took them, in
JSON mode), mappings with sorted keys, bytes as their SHA-256, enums as their values, numpy
values as lists and numbers, non-finite floats as strings; a long list of plain numbers or
plain strings (a log batch's columns) as the SHA-256 of its packed form, tagged with its kind
and length, so a thousand-point batch costs microseconds to digest; content that can be read only
once (an upload's stream, a callable opening a file) as its type's name. Left out:
``SecretStr``/``SecretBytes`` values and fields or keys whose name ends in ``password``,
``secret``, ``token`` or ``passphrase`` (``token_name`` and ``token_id`` are kept: they
name, they do not prove).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import struct
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

#: The last word of a field name that marks its value as a secret.
SECRET_WORDS = frozenset({"password", "secret", "token", "passphrase"})
#: Lists at least this long of one plain scalar type are digested packed (see above).
PACKED_FROM = 16
_OMIT = object()


def change_sha256(request: object) -> str:
    """SHA-256 (hex) of the canonical JSON form of ``request``, secrets left out."""
    canonical = json.dumps(
        _canonical(request), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_secret_name(name: str) -> bool:
    """Whether a field named ``name`` holds a secret (``password``, ``current_password``,
    ``client_secret``, ``token``; not ``token_name``)."""
    return name.lower().replace("-", "_").rsplit("_", 1)[-1] in SECRET_WORDS


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON data; ``_OMIT`` for a secret."""
    if isinstance(value, SecretStr | SecretBytes):
        return _OMIT
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    if isinstance(value, BaseModel):
        names = type(value).model_fields
        return _named({name: getattr(value, name, None) for name in names})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _named({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return _named({str(key): item for key, item in value.items()})
    if isinstance(value, list | tuple):
        packed = _packed(value) if len(value) >= PACKED_FROM else None
        if packed is not None:
            return packed
        return [None if (item := _canonical(v)) is _OMIT else item for v in value]
    if isinstance(value, set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted((item for item in items if item is not _OMIT), key=_sort_key)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if type(value).__module__ == "numpy" and callable(getattr(value, "tolist", None)):
        return _canonical(value.tolist())  # numpy scalars and arrays: their values
    # Content read once by the service (a stream, a callable, a table): its kind only.
    return {"type": f"{type(value).__module__}.{type(value).__qualname__}"}


def _packed(values: list[Any] | tuple[Any, ...]) -> dict[str, Any] | None:
    """A list of plain floats, of plain ints that fit 64 bits, or of plain strings, as
    ``{"kind", "n", "sha256"}`` of its packed bytes; None for any other list. The kind is the
    first item's; packing refuses any item that does not fit it (bools and numbers pack as
    numbers: the request was validated before it is digested)."""
    first = type(values[0])
    n = len(values)
    try:
        if first is float:
            data = struct.pack(f"<{n}d", *values)
        elif first is int:
            data = struct.pack(f"<{n}q", *values)
        elif first is str:
            if not all(type(v) is str for v in values):
                return None
            data = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", "surrogatepass"
            )
        else:
            return None
    except struct.error:  # not a number, or an int beyond 64 bits
        return None
    kind = {float: "f64le", int: "i64le", str: "json-str"}[first]
    return {"kind": kind, "n": n, "sha256": hashlib.sha256(data).hexdigest()}


def _named(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping's canonical form, secret names and secret values left out."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if is_secret_name(name):
            continue
        canonical = _canonical(value)
        if canonical is not _OMIT:
            out[name] = canonical
    return out


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"))
