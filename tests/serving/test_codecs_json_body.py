"""The data plane's request JSON reader gives exactly what the stdlib's ``json.loads`` gives,
with orjson installed (the fast path) or not."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from mlsteward.engines.serving import json_body

RNG = np.random.default_rng(5)
FLOATS = RNG.normal(size=(100, 20)).astype(np.float32)

BODIES: list[bytes] = [
    json.dumps(
        {
            "id": "r1",
            "inputs": [
                {
                    "name": "input",
                    "shape": [100, 20],
                    "datatype": "FP32",
                    "data": FLOATS.ravel().tolist(),
                }
            ],
        }
    ).encode(),
    json.dumps({"inputs": FLOATS.tolist()}).encode(),
    b'{"inputs": [{"name": "x", "shape": [4], "datatype": "INT64", '
    b'"data": [9223372036854775807, -9223372036854775808, 0, -0]}]}',
    # integers beyond 64 bits: exact ints, as the stdlib reads them
    b'{"data": [18446744073709551616, -9223372036854775809, 123456789012345678901234567890]}',
    b"[1e400, -1e400, 1e-400, 0.1, 1.0, 5e-324, 1.7976931348623157e308]",
    b'{"data": [NaN, Infinity, -Infinity]}',  # the stdlib takes these; orjson does not
    b'{"s": "\\ud800 lone surrogate", "t": "caf\\u00e9 \xe2\x82\xac"}',
    '{"utf16": [1, 2.5]}'.encode("utf-16"),
    b'{"a": 1, "a": 2}',
    b' \n\t{"nested": [[[1], [2]], {"k": null, "b": [true, false]}]}\r\n',
    b'{"id": "12345678901234567890", "digits": 0.00123456789012345678}',
]
BAD: list[bytes] = [
    b"",
    b"{",
    b'{"a": [1, 2,]}',
    b"[01]",
    b"[.5]",
    b"[1.]",
    b"\xff\xfe\xfd",
    b"[+1]",
]


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN included, and of the same Python types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.fixture(params=["fast", "stdlib"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with orjson (when installed) and without it."""
    if request.param == "stdlib":
        monkeypatch.setattr(json_body, "_orjson", None)
    return str(request.param)


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_values_are_the_stdlibs(body: bytes, reader: str) -> None:
    assert _same(json_body.loads(body), json.loads(body))


@pytest.mark.parametrize("body", BAD, ids=range(len(BAD)))
def test_what_the_stdlib_refuses_is_refused(body: bytes, reader: str) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        json_body.loads(body)


def test_long_integers_are_found_in_the_bytes() -> None:
    probe = json_body._may_hold_long_integer
    assert probe(b"[18446744073709551616]")
    assert probe(b"18446744073709551616")
    assert probe(b'{"a":-9223372036854775809}')
    assert not probe(b"[0.0012345678901234567890, 1.2345678901234567e-05, 123]")
    assert not probe(json.dumps(FLOATS.ravel().tolist()).encode())


def test_the_fast_reader_is_taken_when_installed() -> None:
    try:
        import orjson  # noqa: F401
    except ImportError:
        assert not json_body.has_fast_reader()
    else:
        assert json_body.has_fast_reader()
