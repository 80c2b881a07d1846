"""Request bodies of the registry routes (pydantic v2); unknown fields are refused.

Only the shape is checked here; every rule (names, aliases, comments, thresholds) is the
registry service's, so the API and the local SDK refuse the same things with the same words.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from mlsteward.interfaces.rest.schemas import WireFloat


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateRegisteredModelRequest(_Request):
    name: str = Field(examples=["fraud"])
    description: str | None = None
    tags: dict[str, str] | None = None


class _SearchRequest(_Request):
    filter: str | None = Field(default=None, examples=["name LIKE 'fraud%' AND tags.team = 'risk'"])
    page_token: str | None = None


class SearchModelsRequest(_SearchRequest):
    """One page of registered models matching ``filter`` (the registry filter language)."""

    max_results: int = 100


class SearchVersionsRequest(_SearchRequest):
    """One page of model versions matching ``filter`` (the registry filter language)."""

    max_results: int = 1000


class DescriptionRequest(_Request):
    description: str


class TagValueRequest(_Request):
    value: str


class ThresholdsRequest(_Request):
    """The complete list of thresholds (``[]`` clears them)."""

    thresholds: list[str] = Field(examples=[["roc_auc >= 0.85", "rmse <= 3.0"]])


class ReasonRequest(_Request):
    reason: str | None = None


class CreateModelVersionRequest(_Request):
    source: str = Field(examples=["runs:/0f3a.../model"])
    run_id: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    dataset_version_ids: list[str] | None = None
    create_model: bool = Field(
        default=False, description="Create the registered model first when it does not exist."
    )


class EvaluationRequest(_Request):
    """Metric values to attach (NaN and infinities as the agreed strings)."""

    metrics: dict[str, WireFloat] = Field(examples=[{"roc_auc": 0.91, "rmse": 2.4}])


class StageRequest(_Request):
    stage: str = Field(examples=["Production"])
    archive_existing_versions: bool = False
    reason: str | None = None


class CommentRequest(_Request):
    comment: str


class SetAliasRequest(_Request):
    version: StrictInt
    reason: str | None = None
