"""Input types whose OpenAPI schema states the rules the services enforce.

Each type here is a plain ``str``, ``int`` or ``dict`` to pydantic and a constrained JSON
Schema in the OpenAPI document. The services stay the authority: a value the document calls
invalid is refused by the service with the same 400 message the local SDK raises, so both
doors keep saying the same words. Lengths come from :class:`Limits` and the services'
constants; the patterns are the services' own, written in the ECMA-262 dialect JSON Schema
uses (``tests/rest/test_openapi_document.py`` compares them with the services' expressions).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema

from mlsteward.domain.entities import RunStatus
from mlsteward.domain.monitoring import CHECKS, EVENT_TYPES
from mlsteward.domain.registry import THRESHOLD_OPS, ModelStage
from mlsteward.services.data.labeling import ROLES
from mlsteward.services.limits import Limits
from mlsteward.services.monitoring.alerts import MAX_EVENTS
from mlsteward.services.monitoring.monitors import MAX_RUNS
from mlsteward.services.registry.card_render import FORMATS
from mlsteward.services.registry.validation import MAX_TEXT_LENGTH

LIMITS = Limits()
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_VERSION = 2**31 - 1
MAX_REVIEWS = 5

#: Has a character other than white space (the services refuse blank names and comments).
NOT_BLANK = r"\S"
#: Tracking keys (tags, params, metrics): ``services.tracking.validation``.
TRACKING_KEY = r"^[\w\-. /:]+$"
#: Registered model names: printable, no ``/`` or ``@``, no spaces at either end.
MODEL_NAME = r"^[^\s/@\x00-\x1f\x7f](?:[^/@\x00-\x1f\x7f]*[^\s/@\x00-\x1f\x7f])?$"
#: Registry aliases: ``services.registry.validation``; ``latest`` and ``v<n>`` are reserved.
REGISTRY_ALIAS = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
RESERVED_REGISTRY_ALIAS = r"^(?:[Ll][Aa][Tt][Ee][Ss][Tt]|[Vv][0-9]+)$"
#: Dataset, label queue, monitor and profile names: ``domain.datasets`` and
#: ``domain.monitoring`` (the same rule).
DATASET_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
DATASET_ALIAS = r"^[A-Za-z_][A-Za-z0-9._-]{0,99}$"
#: ``metric op value`` acceptance thresholds: ``domain.registry``.
THRESHOLD = r"^\s*[\w.\-/:]+\s*(?:>=|<=|==|=|>|<)\s*\S+\s*$"


def documented(schema: dict[str, Any]) -> WithJsonSchema:
    """The JSON Schema the document shows for a value pydantic checks only by type."""
    return WithJsonSchema(schema)


def _text(max_length: int, **more: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, **more}


def _integer(minimum: int, maximum: int, **more: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, **more}


def _named(pattern: str, max_length: int) -> dict[str, Any]:
    return _text(max_length, minLength=1, pattern=pattern)


def _any_case(values: tuple[str, ...], what: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": f"{what}; any letter case"}


_KEY = _named(TRACKING_KEY, LIMITS.max_key_length)

# -- tracking ---------------------------------------------------------------------------
#: Experiment names, and run names when renaming.
TrackingName = Annotated[str, documented(_named(NOT_BLANK, LIMITS.max_name_length))]
#: A new run's name: empty asks for a generated one; otherwise not blank.
NewRunName = Annotated[str, documented(_text(LIMITS.max_name_length, pattern=r"^$|\S"))]
TrackingKey = Annotated[str, documented(_KEY)]
TagValue = Annotated[str, documented(_text(LIMITS.max_tag_value_length))]
Tags = Annotated[
    dict[str, str],
    documented(
        {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": _text(LIMITS.max_tag_value_length),
        }
    ),
]
Int64 = Annotated[int, documented(_integer(INT64_MIN, INT64_MAX))]
RunStatusName = Annotated[
    str, documented(_any_case(tuple(s.value for s in RunStatus), "a run status"))
]
SearchMaxResults = Annotated[int, documented(_integer(1, LIMITS.max_search_results))]

# -- registry ---------------------------------------------------------------------------
ModelName = Annotated[str, documented(_named(MODEL_NAME, LIMITS.max_name_length))]
RegistryAlias = Annotated[
    str,
    documented(
        {
            **_named(REGISTRY_ALIAS, LIMITS.max_name_length),
            "not": {"pattern": RESERVED_REGISTRY_ALIAS},
            "description": "'latest' and 'v<number>' already name versions",
        }
    ),
]
VersionNumber = Annotated[int, documented(_integer(1, MAX_VERSION))]
RegistryText = Annotated[str, documented(_text(MAX_TEXT_LENGTH))]
Comment = Annotated[str, documented(_text(MAX_TEXT_LENGTH, minLength=1, pattern=NOT_BLANK))]
StageName = Annotated[
    str, documented(_any_case(tuple(s.value for s in ModelStage), "a model stage"))
]
CardFormat = Annotated[str, documented(_any_case((*FORMATS, "md"), "a model card format"))]
Threshold = Annotated[
    str,
    documented(
        {
            "type": "string",
            "pattern": THRESHOLD,
            "description": f"metric op value, with op one of {', '.join(THRESHOLD_OPS)}",
        }
    ),
]

# -- datasets and labels ----------------------------------------------------------------
DatasetName = Annotated[str, documented(_named(DATASET_NAME, 200))]
DatasetAlias = Annotated[
    str,
    documented(
        {
            **_named(DATASET_ALIAS, 100),
            "not": {"const": "latest"},
            "description": "'latest' always means the newest version",
        }
    ),
]
#: What a run used a dataset version for ("training", "evaluation", ...).
InputContext = Annotated[
    str, documented(_text(LIMITS.max_key_length, minLength=1, pattern=NOT_BLANK))
]
DatasetVersionNumber = Annotated[int, documented({"type": "integer", "minimum": 1})]
LabelRole = Annotated[str, documented({"type": "string", "enum": list(ROLES)})]
Reviews = Annotated[int, documented(_integer(0, MAX_REVIEWS))]
RowIndex = Annotated[int, documented({"type": "integer", "minimum": 0})]

# -- monitoring -------------------------------------------------------------------------
MonitoringName = Annotated[str, documented(_named(DATASET_NAME, 200))]
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
