"""Loading a user's model runs its code (pickle): the rule lives in the service layer, so any
caller on a server context is refused before a byte of the model is read, not only the route."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.domain.errors import PermissionDeniedError
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.services.models.export_service import export_stored_model


def test_service_refuses_to_load_a_model_when_the_context_forbids_it(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'm.db'}"
    mlsteward.set_tracking_uri(uri)
    try:
        x = np.arange(20, dtype=float).reshape(10, 2)
        with mlsteward.start_run(log_environment=False):
            model = LogisticRegression().fit(x, np.arange(10) % 2)
            info = mlsteward.log_model(model, "model", input_example=x[:3])
    finally:
        mlsteward.set_tracking_uri(None)
    backend = LocalBackend(uri, str(tmp_path / "artifacts"))
    try:
        server_like = replace(backend.ctx, allow_model_code=False)
        with pytest.raises(PermissionDeniedError, match="--allow-model-code"):
            export_stored_model(server_like, info.model_uri)
        # The local SDK loads the user's own models: the same call is allowed there.
        assert backend.ctx.allow_model_code
    finally:
        backend.close()
