"""A label's reviewer must be another person, however the annotator's name is typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.domain.errors import ConflictError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import labeling, versions


@pytest.mark.parametrize("spelling", ["Alice", "ALICE", " alice ", "ａｌｉｃｅ"])
def test_the_annotator_cannot_review_her_own_label_under_another_spelling(
    ctx: ServiceContext, csv_file: Path, spelling: str
) -> None:
    name, queue = f"ds-{new_id()[:10]}", f"q-{new_id()[:10]}"
    versions.ingest(ctx, name, csv_file)
    labeling.create_queue(ctx, queue, name, choices=["cat", "dog"], reviews=1)
    labeling.add_label(ctx, queue, 0, "cat")  # ctx acts as alice
    with pytest.raises(ConflictError, match="own label"):
        labeling.add_label(ctx.as_actor(spelling), queue, 0, "cat", role="review")
    assert labeling.queue_status(ctx, queue)["needs_review"] == 1
    labeling.add_label(ctx.as_actor("bob"), queue, 0, "cat", role="review")
    assert labeling.queue_status(ctx, queue)["complete"] == 1
