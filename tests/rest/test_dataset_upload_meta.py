"""``X-Mlsteward-Dataset-Meta`` is a client's data: a malformed one is a 400, never a 500.

The header describes an uploaded dataset version (its source, schema, skipped rows). Before
it was checked, a list of numbers for ``bad_rows`` or a number for ``schema`` reached the
code that builds them and answered 500.
"""

from __future__ import annotations

import io
import json
import uuid

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import ExpectError

pytestmark = pytest.mark.server

META = "X-Mlsteward-Dataset-Meta"


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2, 3]}), out)
    return out.getvalue()


@pytest.mark.parametrize(
    "meta",
    [
        {"bad_rows": [1]},
        {"bad_rows": [{"line": "one", "reason": "r", "text": "t"}]},
        {"bad_rows": [{"line": 1}]},
        {"schema": 5},
        {"source": [1, 2]},
        {"strict": "yes"},
        {"description": {"a": 1}},
        {"sorce": {"kind": "upload"}},
    ],
)
def test_a_malformed_description_is_refused_with_400(
    api: httpx.Client, expect_error: ExpectError, meta: dict[str, object]
) -> None:
    name = f"meta-{uuid.uuid4().hex[:8]}"
    response = api.post(
        f"/datasets/{name}/versions",
        content=_parquet(),
        headers={"Content-Type": "application/vnd.apache.parquet", META: json.dumps(meta)},
    )
    message = expect_error(response, 400, "INVALID_ARGUMENT")
    assert message.startswith(f"{META}: ")
    assert api.get(f"/datasets/{name}/versions").status_code == 404  # nothing registered


def test_a_well_formed_description_is_recorded(api: httpx.Client) -> None:
    name = f"meta-{uuid.uuid4().hex[:8]}"
    meta = {
        "source": {"kind": "csv", "uri": "file:///data/x.csv"},
        "bad_rows": [{"line": 7, "reason": "too few fields", "text": "1,"}],
        "description": "three rows",
        "strict": False,
        "schema": None,
    }
    response = api.post(
        f"/datasets/{name}/versions",
        content=_parquet(),
        headers={"Content-Type": "application/vnd.apache.parquet", META: json.dumps(meta)},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["bad_rows"] == meta["bad_rows"]
    assert body["version"]["description"] == "three rows"
