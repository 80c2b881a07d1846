"""Per-request dependencies: the service context acting for the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.rest.wire import USER_HEADER
from mlsteward.services.context import ServiceContext
from mlsteward.services.people import ANONYMOUS

_MAX_USER_LENGTH = 256


async def service_context(request: Request) -> ServiceContext:
    """The app's context acting for ``X-Mlsteward-User`` (or "anonymous").

    Until authentication arrives the header is trusted as given; it only names who did what.
    Async so FastAPI runs it inline instead of in a worker thread.
    """
    ctx: ServiceContext = request.app.state.ctx
    user = request.headers.get(USER_HEADER, "").strip()
    if not user:
        return ctx.as_actor(ANONYMOUS)
    if len(user) > _MAX_USER_LENGTH or not user.isprintable():
        raise InvalidArgumentError(
            f"{USER_HEADER} must be printable and at most {_MAX_USER_LENGTH} characters"
        )
    return ctx.as_actor(user)


Ctx = Annotated[ServiceContext, Depends(service_context)]
