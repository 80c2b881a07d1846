"""The app in-process, for what a healthy server cannot show: a bug, a store that is down."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from mlsteward.domain.errors import SchemaVersionError, UnavailableError
from mlsteward.interfaces.rest.app import create_app


def _get(app: FastAPI, path: str) -> httpx.Response:
    """One request through the ASGI app, no sockets involved."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get(path)

    return asyncio.run(call())


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(str(tmp_path / "mlsteward.db"), str(tmp_path / "artifacts"), upgrade=True)


def test_unexpected_exception_is_a_json_500_without_details(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR):
        response = _get(app, "/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "secret internal detail" in caplog.text  # logged server-side


def test_readyz_reports_an_unreachable_store(app: FastAPI) -> None:
    class DownStore:
        def get_experiment_by_name(self, name: str) -> None:
            raise UnavailableError("database is down")

        def close(self) -> None:
            pass

    stores = dataclasses.replace(app.state.ctx.stores, tracking=DownStore())
    app.state.ctx = dataclasses.replace(app.state.ctx, stores=stores)
    assert _get(app, "/healthz").status_code == 200
    response = _get(app, "/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"


def test_without_upgrade_a_fresh_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        create_app(str(tmp_path / "fresh.db"), str(tmp_path / "artifacts"))
