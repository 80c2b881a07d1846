"""Approvals, rejections and model cards of registered model versions.

An approval must come from someone other than the version's registrant (403 otherwise);
decisions are appended, never edited, and the latest one is what gates read. The card is
text (Markdown or HTML), so it travels as a download.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.registry import Approval
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import CardFormat, ModelName, VersionNumber
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_registry import CommentRequest
from mlsteward.services.api.schemas_registry_out import ApprovalListOut, ApprovalOut
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    WireForm,
)
from mlsteward.services.operations.declarations import Codec
from mlsteward.services.registry import approvals, card_render
from mlsteward.services.registry.operations_common import RegistryDeclarations

TAG = "approvals and cards"
PREFIX = wire_registry.REGISTRY_PREFIX
VERSION_PATH = f"{PREFIX}/{{name}}/versions/{{version}}"


class Decision(OperationRequest):
    name: ModelName
    version: VersionNumber
    body: CommentRequest


class Approvals(OperationRequest):
    name: ModelName
    version: VersionNumber | None = None


class RenderModelCard(OperationRequest):
    name: ModelName
    version: VersionNumber
    format: CardFormat = "markdown"


declare = RegistryDeclarations(TAG)
DECISION = Codec(wire_registry.encode_approval, wire_registry.decode_approval, ApprovalOut)
_BY_REGISTRANT = {403: {"model": ErrorResponse, "description": "the registrant cannot approve"}}


@declare.post(
    f"{VERSION_PATH}/approvals",
    returns=DECISION,
    action=Action.APPROVE,
    status=201,
    responses=_BY_REGISTRANT,
)
def approve_model_version(ctx: ServiceContext, r: Decision) -> Approval:
    """Approve as the caller, who must not be the one who registered the version."""
    return approvals.approve_model_version(ctx, r.name, r.version, r.body.comment)


@declare.post(f"{VERSION_PATH}/rejections", returns=DECISION, action=Action.APPROVE, status=201)
def reject_model_version(ctx: ServiceContext, r: Decision) -> Approval:
    """Reject (the registrant may reject their own version); blocks gated moves."""
    return approvals.reject_model_version(ctx, r.name, r.version, r.body.comment)


@declare.get(
    f"{PREFIX}/{{name}}/approvals",
    returns=Codec(
        listed("approvals", wire_registry.encode_approval),
        unlisted("approvals", wire_registry.decode_approval),
        ApprovalListOut,
    ),
)
def list_approvals(ctx: ServiceContext, r: Approvals) -> list[Approval]:
    """Every decision on the model (or one version), oldest first."""
    return approvals.list_approvals(ctx, r.name, r.version)


#: A download: the route is written for its media type and calls the dispatcher.
@declare.get(
    f"{VERSION_PATH}/card", returns=Codec(None, wire_registry.decode_card), wire=WireForm.DOWNLOAD
)
def render_model_card(ctx: ServiceContext, r: RenderModelCard) -> str:
    """The version's model card as Markdown, or one self-contained HTML page."""
    return card_render.render_model_card(ctx, r.name, r.version, r.format)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
