"""Input types whose OpenAPI schema states the rules the services enforce.

Each type here is a plain ``str``, ``int`` or ``dict`` to pydantic and a constrained JSON
Schema in the OpenAPI document. The services stay the authority: a value the document calls
invalid is refused by the service with the same 400 message the local SDK raises, so both
doors keep saying the same words.

The patterns are the services' own compiled expressions, written to read alike in Python
and in the ECMA-262 dialect JSON Schema uses (anchored, matched whole, no flags or named
groups); one difference remains: Python's ``\\w`` also matches letters and digits of other
scripts. Bounds a :class:`Limits` field sets are marked with that field (:func:`limited`): a
schema on its own shows the default, and the document a server serves shows the limits that
server runs with (:func:`with_limits`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema

from mlsteward.domain import datasets, monitoring
from mlsteward.domain.datasets import LABEL_ROLES as ROLES
from mlsteward.domain.datasets import MAX_REVIEWS
from mlsteward.domain.entities import RunStatus
from mlsteward.domain.metric_arrays import MIN_MAX_POINTS
from mlsteward.domain.monitoring import CHECKS, EVENT_TYPES, MAX_EVENTS, MAX_RUNS
from mlsteward.domain.registry import CARD_FORMATS as FORMATS
from mlsteward.domain.registry import THRESHOLD_OPS, THRESHOLD_PATTERN, ModelStage
from mlsteward.services.limits import Limits
from mlsteward.services.registry.validation import (
    ALIAS_PATTERN,
    MAX_TEXT_LENGTH,
    MAX_VERSION,
    RESERVED_ALIAS_PATTERN,
)
from mlsteward.services.tracking.validation import KEY_PATTERN

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: The schema keyword naming, for each bound a :class:`Limits` field sets, that field.
LIMITS_KEYWORD = "x-mlsteward-limits"
_DEFAULTS = Limits()

#: Has a character other than white space (the services refuse blank names and comments).
NOT_BLANK = r"\S"
#: Registered model names: printable, no ``/`` or ``@``, no spaces at either end. The
#: service checks this without an expression (``validate_model_name``); the agreement test
#: in ``tests/rest/test_openapi_document.py`` holds the two together.
MODEL_NAME = r"^[^\s/@\x00-\x1f\x7f](?:[^/@\x00-\x1f\x7f]*[^\s/@\x00-\x1f\x7f])?$"


def documented(schema: dict[str, Any]) -> WithJsonSchema:
    """The JSON Schema the document shows for a value pydantic checks only by type."""
    return WithJsonSchema(schema)


def limited(schema: dict[str, Any], **bounds: str) -> dict[str, Any]:
    """``schema`` with each keyword of ``bounds`` set by the :class:`Limits` field it names.

    The default limits' value stands in the schema, and the field's name under
    :data:`LIMITS_KEYWORD`, so :func:`with_limits` can state a server's own limits.
    """
    values = {keyword: getattr(_DEFAULTS, name) for keyword, name in bounds.items()}
    return {**schema, **values, LIMITS_KEYWORD: dict(bounds)}


def with_limits(schema: Any, limits: Limits) -> Any:
    """A copy of ``schema`` (or of a whole document) with every bound :func:`limited` marked
    taken from ``limits``, and the marks removed."""
    if isinstance(schema, list):
        return [with_limits(item, limits) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: with_limits(value, limits) for key, value in schema.items()}
    for keyword, name in copy.pop(LIMITS_KEYWORD, {}).items():
        copy[keyword] = getattr(limits, name)
    return copy


def _text(**more: Any) -> dict[str, Any]:
    return {"type": "string", **more}


def _named(pattern: str, **more: Any) -> dict[str, Any]:
    return _text(minLength=1, pattern=pattern, **more)


def _integer(minimum: int, maximum: int, **more: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, **more}


def _any_case(values: tuple[str, ...], what: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": f"{what}; any letter case"}


_KEY = limited(_named(KEY_PATTERN.pattern), maxLength="max_key_length")
_TAG_VALUE = limited(_text(), maxLength="max_tag_value_length")
_NAME = limited(_named(NOT_BLANK), maxLength="max_name_length")

# -- tracking ---------------------------------------------------------------------------
#: Experiment names, and run names when renaming.
TrackingName = Annotated[str, documented(_NAME)]
#: A new run's name: empty asks for a generated one; otherwise not blank.
NewRunName = Annotated[
    str, documented(limited(_text(pattern=r"^$|\S"), maxLength="max_name_length"))
]
TrackingKey = Annotated[str, documented(_KEY)]
TagValue = Annotated[str, documented(_TAG_VALUE)]
Tags = Annotated[
    dict[str, str],
    documented({"type": "object", "propertyNames": _KEY, "additionalProperties": _TAG_VALUE}),
]
Int64 = Annotated[int, documented(_integer(INT64_MIN, INT64_MAX))]
RunStatusName = Annotated[
    str, documented(_any_case(tuple(s.value for s in RunStatus), "a run status"))
]
SearchMaxResults = Annotated[
    int,
    documented(limited({"type": "integer", "minimum": 1}, maximum="max_search_results")),
]
#: How many points a downsampled metric history may keep (first, last, a min and a max).
MaxPoints = Annotated[int, documented({"type": "integer", "minimum": MIN_MAX_POINTS})]

# -- registry ---------------------------------------------------------------------------
ModelName = Annotated[str, documented(limited(_named(MODEL_NAME), maxLength="max_name_length"))]
RegistryAlias = Annotated[
    str,
    documented(
        {
            **limited(_named(ALIAS_PATTERN.pattern), maxLength="max_name_length"),
            "not": {"pattern": RESERVED_ALIAS_PATTERN.pattern},
            "description": "'latest' and 'v<number>' already name versions",
        }
    ),
]
VersionNumber = Annotated[int, documented(_integer(1, MAX_VERSION))]
#: Descriptions and reasons.
RegistryText = Annotated[str, documented(_text(maxLength=MAX_TEXT_LENGTH))]
Comment = Annotated[str, documented(_named(NOT_BLANK, maxLength=MAX_TEXT_LENGTH))]
StageName = Annotated[
    str, documented(_any_case(tuple(s.value for s in ModelStage), "a model stage"))
]
CardFormat = Annotated[str, documented(_any_case((*FORMATS, "md"), "a model card format"))]
Threshold = Annotated[
    str,
    documented(
        _text(
            pattern=THRESHOLD_PATTERN.pattern,
            description=f"metric op value, with op one of {', '.join(THRESHOLD_OPS)}",
        )
    ),
]

# -- datasets and labels ----------------------------------------------------------------
#: Dataset and label queue names.
DatasetName = Annotated[
    str,
    documented(_named(datasets.NAME_PATTERN.pattern, maxLength=datasets.MAX_NAME_LENGTH)),
]
DatasetAlias = Annotated[
    str,
    documented(
        {
            **_named(datasets.ALIAS_PATTERN.pattern, maxLength=datasets.MAX_ALIAS_LENGTH),
            "not": {"const": "latest"},
            "description": "'latest' always means the newest version",
        }
    ),
]
#: What a run used a dataset version for ("training", "evaluation", ...).
InputContext = Annotated[str, documented(limited(_named(NOT_BLANK), maxLength="max_key_length"))]
DatasetVersionNumber = Annotated[int, documented({"type": "integer", "minimum": 1})]
LabelRole = Annotated[str, documented({"type": "string", "enum": list(ROLES)})]
Reviews = Annotated[int, documented(_integer(0, MAX_REVIEWS))]
RowIndex = Annotated[int, documented({"type": "integer", "minimum": 0})]

# -- monitoring -------------------------------------------------------------------------
#: Monitor, profile and logged report names.
MonitoringName = Annotated[
    str,
    documented(_named(monitoring.NAME_PATTERN.pattern, maxLength=monitoring.MAX_NAME_LENGTH)),
]
CheckNames = Annotated[
    list[str],
    documented({"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(CHECKS)}}),
]
DriftShare = Annotated[float, documented({"type": "number", "exclusiveMinimum": 0, "maximum": 1})]
IntervalSeconds = Annotated[int, documented({"type": "integer", "minimum": 0})]
Webhooks = Annotated[
    list[str],
    documented({"type": "array", "items": {"type": "string", "pattern": "^https?://"}}),
]
MonitorRunLimit = Annotated[int, documented(_integer(1, MAX_RUNS))]
EventLimit = Annotated[int, documented(_integer(1, MAX_EVENTS))]
EventSince = Annotated[int, documented({"type": "integer", "minimum": 0})]
EventTypes = Annotated[
    list[str],
    documented({"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}}),
]
AlertStatus = Annotated[str, documented({"type": "string", "enum": ["open", "resolved"]})]
