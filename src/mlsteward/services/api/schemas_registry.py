"""Request bodies of the registry routes (pydantic v2); unknown fields are refused.

Only the shape is checked here; every rule (names, aliases, comments, thresholds) is the
registry service's, so the API and the local SDK refuse the same things with the same words.
The :mod:`documented_types` annotations show those rules in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict, field_validator

from mlsteward.services.api.documented_types import (
    Comment,
    ModelName,
    RegistryText,
    SearchMaxResults,
    StageName,
    Tags,
    TagValue,
    Threshold,
    VersionNumber,
)
from mlsteward.services.api.schemas import WireFloat
from mlsteward.services.api.wire import decode_float


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateRegisteredModelRequest(_Request):
    name: ModelName = Field(examples=["fraud"])
    description: RegistryText | None = None
    tags: Tags | None = None


class _SearchRequest(_Request):
    filter: str | None = Field(default=None, examples=["name LIKE 'fraud%' AND tags.team = 'risk'"])
    page_token: str | None = None


class SearchModelsRequest(_SearchRequest):
    """One page of registered models matching ``filter`` (the registry filter language)."""

    max_results: SearchMaxResults = 100


class SearchVersionsRequest(_SearchRequest):
    """One page of model versions matching ``filter`` (the registry filter language)."""

    max_results: SearchMaxResults = 1000


class DescriptionRequest(_Request):
    description: RegistryText


class TagValueRequest(_Request):
    value: TagValue


class ThresholdsRequest(_Request):
    """The complete list of thresholds (``[]`` clears them); loosening needs a ``reason``."""

    thresholds: list[Threshold] = Field(examples=[["roc_auc >= 0.85", "rmse <= 3.0"]])
    reason: RegistryText | None = None


class ReasonRequest(_Request):
    reason: RegistryText | None = None


class CreateModelVersionRequest(_Request):
    source: str = Field(examples=["runs:/0f3a.../model"])
    run_id: str | None = None
    description: RegistryText | None = None
    tags: Tags | None = None
    dataset_version_ids: list[str] | None = None
    create_model: bool = Field(
        default=False, description="Create the registered model first when it does not exist."
    )


class EvaluationRequest(_Request):
    """Metric values to attach (NaN and infinities as the agreed strings)."""

    metrics: dict[str, WireFloat] = Field(examples=[{"roc_auc": 0.91, "rmse": 2.4}])

    @field_validator("metrics")
    @classmethod
    def _numbers(cls, metrics: dict[str, float | str]) -> dict[str, float]:
        """The agreed strings read back as NaN and infinities: the service sees numbers, as it
        does from the local SDK (whose requests are not validated here)."""
        return {key: decode_float(value) for key, value in metrics.items()}


class StageRequest(_Request):
    stage: StageName = Field(examples=["Production"])
    archive_existing_versions: bool = False
    reason: RegistryText | None = None


class ModelCardFields(RootModel[dict[str, str | None]]):
    """Card fields to merge into the model's card: ``null`` clears one."""

    root: dict[str, str | None] = Field(examples=[{"primary_uses": "Score payments"}])


class CommentRequest(_Request):
    comment: Comment


class SetAliasRequest(_Request):
    version: Annotated[VersionNumber, Strict()]
    reason: RegistryText | None = None
