"""Paged HTTP JSON API source (httpx), with page-number, cursor and next-link pagination.

Each response is a JSON document; the records (JSON objects) sit at ``records_path`` (a
dotted path such as ``"data.items"``; empty for a top-level list). How the next page is found:

* ``page``: ``?page=N`` (optionally with ``page_size``) until a page has no records or the
  number of pages given at ``total_pages_path`` is reached;
* ``cursor``: the cursor at ``cursor_path`` is sent back as ``?cursor=...`` until it is
  absent or empty (a cursor seen twice is an error, not an endless loop);
* ``next_link``: follow the URL at ``next_path`` in the body, or the ``Link: rel="next"``
  header when ``next_path`` is empty, until there is none.

Transient failures (connection errors, 429, 5xx) are retried with exponential backoff; other
statuses, non-JSON bodies and missing record lists raise :class:`SourceError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx
import pyarrow as pa

from mlsteward.engines.data.errors import SourceError
from mlsteward.engines.data.progress import ProgressCallback, ProgressTracker
from mlsteward.engines.data.sources.base import BatchSource
from mlsteward.engines.data.sources.record_batcher import RecordBatcher

PaginationStyle = Literal["page", "cursor", "next_link", "none"]
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Pagination:
    """How an API splits its results into pages (see the module docstring)."""

    style: PaginationStyle = "page"
    records_path: str = "data"
    page_param: str = "page"
    first_page: int = 1
    page_size: int | None = None
    page_size_param: str = "page_size"
    total_pages_path: str = ""
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"
    next_path: str = "next"
    max_pages: int = 100_000


def _at_path(document: Any, path: str) -> Any:
    """The value at a dotted path of nested objects, or None when a key is absent."""
    value = document
    for key in path.split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


class HttpApiSource(BatchSource):
    """Stream the records of a paged JSON API as record batches."""

    kind = "http"

    def __init__(
        self,
        url: str,
        *,
        pagination: Pagination | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        schema: pa.Schema | None = None,
        inference_rows: int = 100_000,
        timeout_s: float = 30.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        client: httpx.Client | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.pagination = pagination or Pagination()
        self.params = dict(params or {})
        self.headers = dict(headers or {})
        self.schema = schema
        self.inference_rows = inference_rows
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.client = client
        self.progress = progress

    def describe(self) -> dict[str, Any]:
        # Header values may hold credentials: record only their names.
        return {
            "kind": self.kind,
            "uri": self.url,
            "params": self.params,
            "headers": sorted(self.headers),
            "pagination": asdict(self.pagination),
            "inference_rows": self.inference_rows,
        }

    def _get(self, client: httpx.Client, url: str, params: Mapping[str, Any]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                # An empty mapping would wipe the query string of a next link: pass None.
                response = client.get(url, params=params or None, headers=self.headers)
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise SourceError(f"request failed: {exc}", source=url) from None
            else:
                if response.status_code not in _RETRY_STATUSES or attempt >= self.retries:
                    if response.is_error:
                        raise SourceError(
                            f"HTTP {response.status_code}: {response.text[:200]}", source=url
                        )
                    return response
            time.sleep(self.backoff_s * (2**attempt))
            attempt += 1

    def _pages(self, client: httpx.Client) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Yield (page URL, records) for each page, following the pagination rules."""
        p = self.pagination
        url: str = self.url
        params = dict(self.params)
        if p.style == "page":
            params[p.page_param] = p.first_page
            if p.page_size is not None:
                params[p.page_size_param] = p.page_size
        seen_cursors: set[str] = set()  # cursors or next links already followed
        for page_number in range(p.max_pages):
            response = self._get(client, url, params)
            try:
                document = response.json()
            except ValueError:
                raise SourceError("response is not JSON", source=str(response.url)) from None
            records = _at_path(document, p.records_path)
            if not isinstance(records, list):
                raise SourceError(
                    f"no list of records at {p.records_path or 'the top level'!r}",
                    source=str(response.url),
                )
            yield str(response.url), records
            if p.style == "none":
                return
            if p.style == "page":
                total = _at_path(document, p.total_pages_path) if p.total_pages_path else None
                last = isinstance(total, int) and page_number + 1 >= total
                if not records or last:
                    return
                params[p.page_param] = int(params[p.page_param]) + 1
            elif p.style == "cursor":
                cursor = _at_path(document, p.cursor_path)
                if cursor in (None, ""):
                    return
                if str(cursor) in seen_cursors:
                    raise SourceError(f"the API returned cursor {cursor!r} twice", source=url)
                seen_cursors.add(str(cursor))
                params[p.cursor_param] = cursor
            else:
                link = _at_path(document, p.next_path) if p.next_path else None
                if not p.next_path:
                    link = response.links.get("next", {}).get("url")
                if not link:
                    return
                url = str(response.url.join(link))
                if url in seen_cursors:
                    raise SourceError(f"the API linked to {url} twice", source=self.url)
                seen_cursors.add(url)
                params = {}
        raise SourceError(f"stopped after max_pages={p.max_pages} pages", source=self.url)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        tracker = ProgressTracker(self.url, self.progress)
        batcher = RecordBatcher(
            source=self.url,
            schema=self.schema,
            position_kind="record",
            inference_rows=self.inference_rows,
        )
        client = self.client or httpx.Client(timeout=self.timeout_s)
        position = 1
        try:
            for page_url, records in self._pages(client):
                bad = next((r for r in records if not isinstance(r, dict)), None)
                if bad is not None:
                    raise SourceError(f"a record is not a JSON object: {bad!r}", source=page_url)
                if not records:
                    continue
                positions = range(position, position + len(records))
                position += len(records)
                for batch in batcher.add_records(records, positions):
                    tracker.advance(batch.num_rows)
                    yield batch
            for batch in batcher.finish():
                tracker.advance(batch.num_rows)
                yield batch
        finally:
            if self.client is None:
                client.close()


def read_http_api(url: str, **options: Any) -> HttpApiSource:
    """Open an :class:`HttpApiSource`; requests start when the source is iterated."""
    return HttpApiSource(url, **options)
