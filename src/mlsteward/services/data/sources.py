"""Turn what a user names (a path, a URL, a SQL query) or a recorded description into a source.

A version's lineage keeps its source's ``describe()``; :func:`source_from_description` reopens
the same source from it, which is how ``rebuild`` re-reads an ingested version. Secrets are
never recorded (SQL passwords and HTTP header values), so a rebuild may take overrides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.data import (
    BatchSource,
    Pagination,
    ProgressCallback,
    parse_type,
    read_csv,
    read_http_api,
    read_jsonl,
    read_parquet,
    read_sql,
)

_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".pq")
_JSONL = (".jsonl", ".ndjson", ".json")


def _suffix(path: str) -> str:
    name = path.lower()
    for compressed in (".gz", ".bz2", ".zst", ".xz"):
        name = name.removesuffix(compressed)
    return Path(name).suffix


def open_source(
    source: BatchSource | str | os.PathLike[str],
    *,
    query: str | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> BatchSource:
    """A source for ``source``: a ready :class:`BatchSource`, a SQLAlchemy URL with ``query``,
    an ``http(s)://`` JSON API, or a CSV / TSV / Parquet / JSON-lines file by its extension."""
    if isinstance(source, BatchSource):
        if progress is not None and hasattr(source, "progress"):
            source.progress = progress
        return source
    text = os.fspath(source)
    if query is not None:
        return read_sql(text, query, progress=progress, **options)
    if text.startswith(("http://", "https://")):
        pagination = options.pop("pagination", None)
        if isinstance(pagination, Mapping):
            pagination = Pagination(**pagination)
        return read_http_api(text, pagination=pagination, progress=progress, **options)
    if "://" in text and not text.startswith("file://"):
        raise InvalidArgumentError(
            f"{text!r} looks like a database URL: pass the SQL to run as query=..."
        )
    path = text.removeprefix("file://")
    if not Path(path).exists():
        raise InvalidArgumentError(f"No file at {path!r}")
    path = str(Path(path).resolve())  # recorded in lineage: must work from any directory
    suffix = _suffix(path)
    if suffix in _CSV:
        if suffix == ".tsv":
            options.setdefault("delimiter", "\t")
        return read_csv(path, progress=progress, **options)
    if suffix in _PARQUET:
        return read_parquet(path, progress=progress, **options)
    if suffix in _JSONL:
        return read_jsonl(path, progress=progress, **options)
    raise InvalidArgumentError(
        f"Cannot tell the format of {path!r} from its extension: use .csv, .tsv, .parquet, "
        ".jsonl (or open the file with mlsteward.engines.data's readers and pass the source)"
    )


def _schema(pairs: Any) -> pa.Schema | None:
    if not pairs:
        return None
    return pa.schema([(name, parse_type(kind)) for name, kind in pairs])


def source_from_description(
    described: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> BatchSource:
    """Reopen a source from its recorded ``describe()``; ``overrides`` replace fields
    (e.g. ``uri`` with a SQL URL including its password, ``headers`` for an API token)."""
    d = {**described, **(overrides or {})}
    kind = d.get("kind")
    uri = d.get("uri")
    if not isinstance(uri, str) or not uri:
        raise InvalidArgumentError(f"The recorded source has no location: {described!r}")
    if kind == "csv":
        return read_csv(
            uri,
            delimiter=d.get("delimiter", ","),
            quote_char=d.get("quote_char", '"'),
            encoding=d.get("encoding", "utf-8"),
            column_types=d.get("column_types") or None,
            null_values=d.get("null_values"),
            on_bad_rows=d.get("on_bad_rows", "error"),
        )
    if kind == "parquet":
        return read_parquet(uri, columns=d.get("columns"))
    if kind == "jsonl":
        return read_jsonl(
            uri,
            schema=_schema(d.get("schema")),
            encoding=d.get("encoding", "utf-8"),
            on_bad_rows=d.get("on_bad_rows", "error"),
            inference_rows=d.get("inference_rows", 100_000),
        )
    if kind == "sql":
        return read_sql(uri, d["query"], inference_rows=d.get("inference_rows", 100_000))
    if kind == "http":
        headers = d.get("headers")
        return read_http_api(
            uri,
            pagination=Pagination(**d["pagination"]) if d.get("pagination") else None,
            params=d.get("params") or None,
            headers=headers if isinstance(headers, Mapping) else None,
            inference_rows=d.get("inference_rows", 100_000),
        )
    raise InvalidArgumentError(f"Cannot reopen a source of kind {kind!r}")
