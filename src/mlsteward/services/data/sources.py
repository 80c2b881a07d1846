"""Turn what a user names (a path, a URL, a SQL query) or a recorded description into a source.

A version's lineage keeps its source's ``describe()``; :func:`source_from_description` reopens
the same source from it, which is how ``rebuild`` re-reads an ingested version. Secrets are
never recorded (SQL passwords and HTTP header values), so a rebuild may take overrides.
:func:`reread_source` does that re-reading within the rules of
:mod:`mlsteward.services.outbound_access` (a server opens only what its operator allowed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

from mlsteward.domain.errors import (
    InvalidArgumentError,
    MlstewardError,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from mlsteward.domain.redaction import redact_url
from mlsteward.engines.data import (
    BatchSource,
    Pagination,
    ProgressCallback,
    SourceError,
    parse_type,
    read_and_hash,
    read_csv,
    read_http_api,
    read_jsonl,
    read_parquet,
    read_sql,
)
from mlsteward.services.outbound_access import OutboundAccess, require_source

_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".pq")
_JSONL = (".jsonl", ".ndjson", ".json")
_HTTP_TIMEOUT_S = 30.0
#: What a recorded source reads by default (``inference_rows``, ``pagination.max_pages``).
_DEFAULT_INFERENCE_ROWS = 100_000
_DEFAULT_MAX_PAGES = Pagination().max_pages


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
    described: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    client: httpx.Client | None = None,
) -> BatchSource:
    """Reopen a source from its recorded ``describe()``; ``overrides`` replace fields
    (e.g. ``uri`` with a SQL URL including its password, ``headers`` for an API token).

    Nothing is checked against allow-lists here: :func:`reread_source` does that.
    ``client`` (an HTTP API source's client) lets a caller restrict where requests go.
    """
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
            inference_rows=d.get("inference_rows", _DEFAULT_INFERENCE_ROWS),
        )
    if kind == "sql":
        return read_sql(
            uri, d["query"], inference_rows=d.get("inference_rows", _DEFAULT_INFERENCE_ROWS)
        )
    if kind == "http":
        headers = d.get("headers")
        return read_http_api(
            uri,
            pagination=Pagination(**d["pagination"]) if d.get("pagination") else None,
            params=d.get("params") or None,
            headers=headers if isinstance(headers, Mapping) else None,
            inference_rows=d.get("inference_rows", _DEFAULT_INFERENCE_ROWS),
            client=client,
        )
    raise InvalidArgumentError(f"Cannot reopen a source of kind {kind!r}")


def reread_source(
    described: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
    *,
    access: OutboundAccess,
    max_rows: int | None,
) -> pa.Table:
    """Read a recorded source again (a rebuild), opening only what ``access`` allows.

    Under a server's rules (``access.restricted``) overrides may not change the source's
    kind nor read more than recorded (``inference_rows``, ``pagination.max_pages``), and a
    failure while reading never repeats what the source holds (a row, a value, a column
    name, a response body): the message names the location, the line or record and what
    went wrong. Locally the reader's own message is kept, since the data is the user's.
    More than ``max_rows`` rows (None: no bound) stops the read with a 413.
    """
    merged = {**described, **(overrides or {})}
    kind = merged.get("kind")
    if access.restricted:
        _check_server_overrides(described, merged)
    require_source(access, merged)
    client = None
    if kind == "http" and access.source_http_hosts is not None:
        client = access.source_http.client(_HTTP_TIMEOUT_S)
    try:
        source = _reopened(merged, client)
        try:
            return read_and_hash(_RowBound(source, max_rows) if max_rows else source).table
        except (PermissionDeniedError, PayloadTooLargeError):
            raise
        except Exception as error:  # a reader's failure is about the data, never a 500
            if isinstance(error, MlstewardError) and not access.restricted:
                raise
            raise _read_failure(error, merged, access.restricted) from None
    finally:
        if client is not None:
            client.close()


def _check_server_overrides(described: Mapping[str, Any], merged: Mapping[str, Any]) -> None:
    """On a server, overrides replace a source's location or secrets: not its kind, and
    not how much it reads (a client must not turn a rebuild into an unbounded read)."""
    if merged.get("kind") != described.get("kind"):
        raise InvalidArgumentError(
            f"On a server, rebuild overrides may replace a source's location or secrets, not "
            f"its kind ({described.get('kind')} here, not {merged.get('kind')})"
        )
    # The recorded values came from a client too: pages are also capped at the default, so a
    # cursor API that keeps answering empty pages cannot keep the server calling it.
    pages_bound = min(_max_pages(described), _DEFAULT_MAX_PAGES)
    for name, bound, asked in (
        ("inference_rows", _inference_rows(described), _inference_rows(merged)),
        ("pagination.max_pages", pages_bound, _max_pages(merged)),
    ):
        if asked > bound:
            raise InvalidArgumentError(
                f"On a server, a rebuild may not raise {name} above the recorded value "
                f"({bound}; pages at most {_DEFAULT_MAX_PAGES}), and {asked} was asked"
            )


def _inference_rows(described: Mapping[str, Any]) -> int:
    return _whole_number(described.get("inference_rows", _DEFAULT_INFERENCE_ROWS), "inference_rows")


def _max_pages(described: Mapping[str, Any]) -> int:
    pagination = described.get("pagination") or {}
    if not isinstance(pagination, Mapping):
        raise InvalidArgumentError("pagination must be an object")
    return _whole_number(pagination.get("max_pages", _DEFAULT_MAX_PAGES), "pagination.max_pages")


def _whole_number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive whole number, not {value!r}")
    return value


class _RowBound(BatchSource):
    """A source read through, stopping with a 413 once it gave more than ``max_rows`` rows
    (before the table would fill the server's memory)."""

    def __init__(self, inner: BatchSource, max_rows: int) -> None:
        super().__init__()
        self.kind = inner.kind
        self._inner = inner
        self._max_rows = max_rows

    def _batches(self) -> Iterator[pa.RecordBatch]:
        rows = 0
        for batch in self._inner:
            rows += batch.num_rows
            if rows > self._max_rows:
                raise PayloadTooLargeError(
                    f"The {self.kind} source holds more than {self._max_rows} rows, the most "
                    "this server re-reads in one rebuild; rebuild it locally instead"
                )
            yield batch
        self.bad_rows = list(self._inner.bad_rows)

    def describe(self) -> dict[str, Any]:
        return self._inner.describe()


def _reopened(merged: Mapping[str, Any], client: httpx.Client | None) -> BatchSource:
    """The source, with a bad recorded option as a 400 (nothing has been read yet)."""
    kind = merged.get("kind")
    try:
        return source_from_description(merged, client=client)
    except KeyError as error:
        raise InvalidArgumentError(
            f"The recorded {kind} source lacks {error.args[0]!r}, which re-reading it needs"
        ) from None
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError(f"Cannot reopen the recorded {kind} source: {error}") from None


#: What went wrong, by error code, in words that hold nothing read from the source.
_FAILURES = {
    "DATA_MALFORMED_ROW": "a malformed row",
    "DATA_MIXED_TYPES": "a value that does not fit its column's type",
    "DATA_DECODING_ERROR": "bytes that are not text in the declared encoding",
    "DATA_EMPTY_SOURCE": "the source is empty",
    "DATA_MISSING_COLUMN": "a column the options name is not in the source",
    "DATA_QUERY_NOT_READ_ONLY": "the query is not one statement that only reads",
}


def _read_failure(error: Exception, merged: Mapping[str, Any], restricted: bool) -> SourceError:
    kind = merged.get("kind")
    where = _safe_location(merged)
    line = getattr(error, "line", None) if isinstance(error, SourceError) else None
    record = getattr(error, "record", None) if isinstance(error, SourceError) else None
    if not restricted:
        return SourceError(f"cannot re-read the {kind} source: {error}", source=where)
    code = error.code if isinstance(error, MlstewardError) else type(error).__name__
    what = _FAILURES.get(code, "the source could not be read")
    if isinstance(error, OSError) and error.strerror:
        what = error.strerror
    return SourceError(
        f"re-reading the {kind} source failed: {what} ({code}); this server does not repeat "
        "a source's contents in its errors, rebuild where you can read the source to see them",
        source=where,
        line=line if isinstance(line, int) else None,
        record=record if isinstance(record, int) else None,
    )


def _safe_location(merged: Mapping[str, Any]) -> str:
    uri = str(merged.get("uri"))
    return redact_url(uri) if merged.get("kind") == "sql" else uri
