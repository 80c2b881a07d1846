"""``create_app``: the FastAPI application over one store and one artifact store."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import APIRouter, FastAPI, Request, Response
from starlette.middleware.cors import CORSMiddleware

from mlsteward._version import __version__
from mlsteward.interfaces.rest import (
    routes_artifacts,
    routes_audit,
    routes_data,
    routes_monitoring,
    routes_registry,
    routes_runs,
    routes_session,
)
from mlsteward.interfaces.rest.docs_page import install_docs_page
from mlsteward.interfaces.rest.errors import (
    client_message,
    error_response,
    install_error_handlers,
)
from mlsteward.interfaces.rest.log_redaction import install_access_log_filter
from mlsteward.interfaces.rest.middleware import BodyLimitMiddleware, UnhandledErrorMiddleware
from mlsteward.interfaces.rest.openapi_document import install_openapi_document
from mlsteward.interfaces.rest.operation_routes import mount_operations
from mlsteward.interfaces.rest.responses import WireJSONResponse, json_response
from mlsteward.interfaces.rest.settings import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    DEFAULT_MAX_JSON_BODY_BYTES,
    ServerSettings,
)
from mlsteward.services.api.schemas import ErrorResponse, HealthOut, ServerInfoOut
from mlsteward.services.api.wire import API_PREFIX, DIGEST_HEADER
from mlsteward.services.composition import close_context
from mlsteward.services.context import ServiceContext
from mlsteward.services.health import check_store
from mlsteward.services.operations.catalog import declared_operations

_READY_TIMEOUT_S = 5.0
#: Request headers a page on an allowed origin may send.
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-CSRF-Token",
    "X-Request-ID",
    "X-Mlsteward-Dataset-Meta",
    DIGEST_HEADER,
)


def create_app(
    store_uri: str,
    artifacts_uri: str,
    *,
    upgrade: bool = False,
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES,
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES,
    auth: bool = False,
) -> FastAPI:
    """Open the stores (migrating the database only with ``upgrade``) and build the app.

    Without ``upgrade`` a database behind the current schema is refused, so a server never
    migrates shared data by surprise (``mlsteward db upgrade`` does it on purpose). This is
    the in-process app tests and embedders use: authentication is off unless ``auth``
    (``serve``, which listens on a network, has it on unless told otherwise).
    """
    return app_from_settings(
        ServerSettings(
            store_uri,
            artifacts_uri,
            upgrade,
            max_json_body_bytes,
            max_artifact_bytes,
            auth=auth,
        )
    )


def app_from_settings(settings: ServerSettings) -> FastAPI:
    ctx = settings.open_context(actor="anonymous")
    if settings.auth and ctx.authenticator is None:
        close_context(ctx)
        raise RuntimeError("authentication is on but the context has no authenticator")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        install_access_log_filter()  # here: after uvicorn set up this process's logging
        try:
            yield
        finally:
            close_context(ctx)

    app = FastAPI(
        title="mlsteward",
        version=__version__,
        summary="Experiment tracking, model registry, datasets and monitoring.",
        default_response_class=WireJSONResponse,
        lifespan=lifespan,
        # FastAPI's pages load Swagger UI and ReDoc from a CDN: blank without internet.
        # /docs is served from the package instead (install_docs_page below).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    mount_operations(api, declared_operations())
    api.include_router(routes_session.router)
    if settings.oidc_enabled:
        from mlsteward.interfaces.rest.routes_oidc import oidc_router

        key = bytes.fromhex(settings.oidc_state_key) if settings.oidc_state_key else None
        api.include_router(oidc_router(settings, key or secrets.token_bytes(32)))
    api.include_router(routes_runs.router)
    api.include_router(routes_artifacts.router)
    api.include_router(routes_registry.router)
    api.include_router(routes_data.router)
    api.include_router(routes_monitoring.router)
    api.include_router(routes_audit.router)
    api.add_api_route("/server-info", _server_info, methods=["GET"], response_model=ServerInfoOut)
    app.include_router(api)
    app.add_api_route("/healthz", _healthz, methods=["GET"], response_model=HealthOut)
    app.add_api_route(
        "/readyz",
        _readyz,
        methods=["GET"],
        response_model=HealthOut,
        responses={503: {"model": ErrorResponse}},
    )
    install_openapi_document(app)
    install_docs_page(app)
    # Added innermost first: the error catcher must wrap the size limit too.
    app.add_middleware(
        BodyLimitMiddleware,
        max_json_body_bytes=settings.max_json_body_bytes,
        max_artifact_bytes=settings.max_artifact_bytes,
        limits=ctx.limits,
    )
    app.add_middleware(UnhandledErrorMiddleware)
    if settings.cors_origins:
        # Outermost, so a preflight is answered before anything else looks at it. Browsers
        # send tokens in Authorization (no cookies cross-site: they are SameSite=Strict).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=list(CORS_HEADERS),
            expose_headers=["X-Request-ID"],
            allow_credentials=False,
            max_age=600,
        )
    return app


async def _healthz() -> Response:
    """The process is up and serving (no dependency is checked)."""
    return json_response({"status": "ok"})


async def _readyz(request: Request) -> Response:
    """The store answers a query within a few seconds; 503 otherwise."""
    ctx: ServiceContext = request.app.state.ctx
    try:
        with anyio.fail_after(_READY_TIMEOUT_S):
            await anyio.to_thread.run_sync(check_store, ctx, abandon_on_cancel=True)
    except TimeoutError:
        return error_response(503, "UNAVAILABLE", "The store did not answer in time")
    except Exception as error:  # any failure here means "not ready", never a 500
        return error_response(
            503, "UNAVAILABLE", f"The store is not reachable: {client_message(error)}"
        )
    return json_response({"status": "ready"})


async def _server_info(request: Request) -> Response:
    """Version and limits, so clients can size their batches and uploads."""
    settings: ServerSettings = request.app.state.settings
    ctx: ServiceContext = request.app.state.ctx
    return json_response(
        {
            "version": __version__,
            "max_json_body_bytes": settings.max_json_body_bytes,
            "max_artifact_bytes": settings.max_artifact_bytes,
            "max_metrics_per_batch": ctx.limits.max_metrics_per_batch,
        }
    )
