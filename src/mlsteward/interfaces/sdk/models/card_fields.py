"""The model-card fields only a person can write, for clients that fill them in."""

from __future__ import annotations

from mlsteward.services.registry.models import CARD_FIELDS


def model_card_fields() -> dict[str, str]:
    """Each field a person fills in -> what it holds, in the order a card shows them."""
    return dict(CARD_FIELDS)
