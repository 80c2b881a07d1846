"""How large a ``log-batch`` body may be, derived from the count limits, and a count of its
JSON values taken before it is parsed.

Parsing JSON into Python objects costs several times the body's size, and validating it into
request models as much again: a 57 MiB batch of 1.8 million tiny points used to grow the
server by half a gigabyte before the 100,000-point limit refused it. Two checks keep a batch
within what the limits allow before anything is parsed:

* ``max_log_batch_bytes``: the largest body a batch at every count and length limit at once
  can take, each item at its longest, written as Python's ``json`` module writes by default
  (``", "`` and ``": "`` separators, text as ASCII). The middleware refuses a longer body with
  413 before reading it. Text outside ASCII takes more bytes, so a batch at every limit at
  once with such text may need splitting; no batch of ordinary size comes near this.
* ``check_log_batch_values``: a valid batch has at most a known number of JSON separators
  (``,`` and ``:``) and strings, so a body with more is refused with 413 after reading it but
  before parsing it. This bounds what parsing can build whatever the body's size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from mlsteward.domain.errors import PayloadTooLargeError
from mlsteward.services.limits import Limits

#: The longest JSON texts of a metric value and of a 64-bit integer.
_LONGEST_FLOAT = -2.2250738585072014e-308
_LONGEST_INT64 = -(2**63)
#: Braces, field names and an idempotency key (at most 128 characters) around the lists.
_ENVELOPE_BYTES = 1024
_ENVELOPE_VALUES = 32
#: Separators per item, at most: a point as an object has four members (four ``:``) and
#: three ``,`` inside plus one after it; a point as columns has one ``,`` in each of the
#: four columns; a param or tag has two members and one ``,`` inside plus one after it.
_SEPARATORS_PER_POINT = 8
_SEPARATORS_PER_KEY_VALUE = 4

# A JSON string (escapes included) or a separator outside any string.
_STRING_OR_SEPARATOR = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|([,:])', re.DOTALL)


def _item_bytes(item: Mapping[str, object]) -> int:
    """Bytes of one list item at its longest, with the ``", "`` that follows it."""
    return len(json.dumps(item)) + 2


def max_log_batch_bytes(limits: Limits) -> int:
    """The largest log-batch body the count and length limits allow (see the module)."""
    key = "k" * limits.max_key_length
    point = {
        "key": key,
        "value": _LONGEST_FLOAT,
        "timestamp": _LONGEST_INT64,
        "step": _LONGEST_INT64,
    }
    param = {"key": key, "value": "v" * limits.max_param_value_length}
    tag = {"key": key, "value": "v" * limits.max_tag_value_length}
    return (
        limits.max_metrics_per_batch * _item_bytes(point)
        + limits.max_params_per_batch * _item_bytes(param)
        + limits.max_tags_per_batch * _item_bytes(tag)
        + _ENVELOPE_BYTES
    )


def max_log_batch_values(limits: Limits) -> int:
    """The most separators (and the most strings) a valid log-batch body can hold."""
    return (
        limits.max_metrics_per_batch * _SEPARATORS_PER_POINT
        + (limits.max_params_per_batch + limits.max_tags_per_batch) * _SEPARATORS_PER_KEY_VALUE
        + _ENVELOPE_VALUES
    )


def _too_many(limits: Limits) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"A log-batch request holds at most {limits.max_metrics_per_batch} metric points, "
        f"{limits.max_params_per_batch} params and {limits.max_tags_per_batch} tags; this "
        "body holds more values than that. Send the points in several batches."
    )


def check_log_batch_values(body: bytes, limits: Limits) -> None:
    """Refuse a body holding more JSON values than a valid batch can, before it is parsed.

    Counting every ``,``, ``:`` and ``"`` bounds the real counts from above and is quick, so
    an ordinary batch passes at once. Otherwise the body is scanned string by string (strings
    may hold those characters), stopping as soon as either count passes the bound, so the
    scan itself is bounded too.
    """
    bound = max_log_batch_values(limits)
    separators = body.count(b",") + body.count(b":")
    if separators <= bound and body.count(b'"') <= 2 * bound:
        return
    separators = strings = 0
    for match in _STRING_OR_SEPARATOR.finditer(body):
        if match.lastindex:
            separators += 1
        else:
            strings += 1
        if separators > bound or strings > bound:
            raise _too_many(limits)
