"""Request and response bodies of the data operations, for validation and the document.

Requests refuse unknown fields; the services still judge every value's meaning. Responses are
written by :mod:`wire_data`; the ``*Out`` models describe their shape. An upload's description
travels in the ``X-Mlsteward-Dataset-Meta`` header as JSON and is checked against
:class:`UploadMeta` like a body.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
)

from mlsteward.services.api.documented_types import (
    DatasetName,
    DatasetVersionNumber,
    InputContext,
    LabelRole,
    Reviews,
    RowIndex,
    documented,
)

#: How a request names one dataset version.
REF_HELP = "name@version, name@alias, name (latest) or a version id"
VersionRef = Annotated[str, documented({"type": "string", "description": REF_HELP})]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------
class AliasRequest(_Request):
    version: Annotated[DatasetVersionNumber, Strict()]


class InputRequest(_Request):
    run_id: str
    ref: str
    context: InputContext = "training"


class BadRowIn(_Request):
    line: StrictInt
    reason: StrictStr
    text: StrictStr


class UploadMeta(_Request):
    """What ``X-Mlsteward-Dataset-Meta`` may hold: the client's description of its source."""

    source: dict[str, Any] | None = None
    schema_yaml: StrictStr | None = Field(default=None, alias="schema")
    bad_rows: list[BadRowIn] = []
    strict: StrictBool = False
    description: StrictStr | None = None


class ValidateRequest(_Request):
    ref: str
    schema_yaml: str


class TransformRequest(_Request):
    ref: str
    steps: list[dict[str, Any]]
    output_name: DatasetName


class SplitRequest(_Request):
    ref: str
    method: str = "holdout"
    output_prefix: DatasetName | None = None
    options: dict[str, Any] = {}


class RebuildRequest(_Request):
    ref: str
    overrides: dict[str, Any] | None = None


class QueueRequest(_Request):
    name: DatasetName
    ref: str
    label_column: str = "label"
    choices: list[str] = []
    reviews: Annotated[Reviews, Strict()] = 0


class LabelRequest(_Request):
    item: Annotated[RowIndex, Strict()]
    value: str
    role: LabelRole = "primary"


class ExportRequest(_Request):
    output_name: DatasetName


# -- responses ---------------------------------------------------------------------------
class DatasetVersionOut(BaseModel):
    dataset_version_id: str
    name: str
    version: int
    content_hash: str
    blob_digest: str
    num_rows: int
    num_bytes: int
    #: (column, Arrow type) pairs.
    schema_: list[list[str]] = Field(alias="schema")
    kind: str
    lineage: dict[str, Any]
    parents: list[str]
    profile_digest: str | None
    report_digest: str | None
    created_by: str
    creation_time: int
    description: str | None
    aliases: list[str]


class DatasetVersionListOut(BaseModel):
    versions: list[DatasetVersionOut]


class DatasetListOut(BaseModel):
    datasets: list[str]


class BadRowOut(BaseModel):
    line: int
    reason: str
    text: str


class RegisteredOut(BaseModel):
    """The version registered, or the existing one with the same content (``created``
    false)."""

    version: DatasetVersionOut
    created: bool
    bad_rows: list[BadRowOut]


class SplitOut(RootModel[dict[str, DatasetVersionOut]]):
    """Each part's version, by part name."""


class DatasetInputOut(BaseModel):
    run_id: str
    dataset_version_id: str
    context: str
    timestamp: int


class DatasetInputListOut(BaseModel):
    inputs: list[DatasetInputOut]


class SchemaOut(BaseModel):
    schema_yaml: str


class RebuildCheckOut(BaseModel):
    ref: str
    kind: str
    expected: str
    actual: str
    how: str
    ok: bool


class RebuildOut(BaseModel):
    checks: list[RebuildCheckOut]


class LabelQueueOut(BaseModel):
    queue_id: str
    name: str
    dataset_version_id: str
    label_column: str
    choices: list[str]
    reviews: int
    num_items: int
    created_by: str
    creation_time: int


class LabelOut(BaseModel):
    queue_id: str
    item: int
    annotator: str
    value: str
    role: str
    timestamp: int
