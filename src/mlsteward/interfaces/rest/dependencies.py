"""Per-request dependencies: the service context acting for the caller."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import anyio
from fastapi import Depends, Request

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import Principal
from mlsteward.interfaces.rest.authentication import credential_of, verified
from mlsteward.services.api.wire import USER_HEADER, USER_HEADER_UTF8, decode_user
from mlsteward.services.context import ServiceContext
from mlsteward.services.people import ANONYMOUS

if TYPE_CHECKING:
    from mlsteward.interfaces.rest.settings import ServerSettings

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128
#: The longest user name; ``MAX_HEADER_LENGTH``: the longest header value carrying one.
MAX_USER_LENGTH = 256
# Each character is at most 4 UTF-8 bytes, each byte 3 characters once percent-encoded.
MAX_HEADER_LENGTH = len(USER_HEADER_UTF8) + 12 * MAX_USER_LENGTH


async def service_context(request: Request) -> ServiceContext:
    """The app's context acting for the caller.

    With authentication on (the default), the caller is the principal its credential proves
    (see :mod:`~mlsteward.interfaces.rest.authentication`), or the anonymous caller when it
    sent none; ``X-Mlsteward-User`` is ignored, so no header can change who acts. Started
    with ``--no-auth`` (loopback only), ``X-Mlsteward-User`` names the actor as given.
    ``client_address`` is the connection's peer, never a forwarded-for header a client
    writes itself.
    """
    ctx: ServiceContext = request.app.state.ctx
    settings: ServerSettings = request.app.state.settings
    if not settings.auth:
        user = caller_name(request.headers.get(USER_HEADER, ""))
        acting = ctx.as_actor(user or ANONYMOUS, request_id(request.headers.get(REQUEST_ID_HEADER)))
        return replace(acting, client_address=_peer(request))
    checker = ctx.authenticator
    if checker is None:  # the app refuses to start so; never fall back to trusting names
        raise RuntimeError("authentication is on but the context has no authenticator")
    credential = credential_of(request)
    if credential is None:
        return context_for(request, Principal.anonymous())
    # A cached answer costs microseconds: on the event loop. A miss reads the store: off it.
    known = checker.cached_principal(credential.secret)
    if known is not None:
        return context_for(request, verified(credential, request, lambda _: known))
    principal = await anyio.to_thread.run_sync(
        verified, credential, request, checker.authenticate_token
    )
    return context_for(request, principal)


def context_for(request: Request, principal: Principal) -> ServiceContext:
    """The app's context acting for ``principal`` in this request (its id, its peer)."""
    ctx: ServiceContext = request.app.state.ctx
    acting = ctx.as_principal(principal, request_id(request.headers.get(REQUEST_ID_HEADER)))
    return replace(acting, client_address=_peer(request))


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def request_id(sent: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a short printable ASCII token (so a client
    can find its request in the audit record), else a fresh one."""
    if sent and len(sent) <= MAX_REQUEST_ID_LENGTH and sent.isascii() and sent.isprintable():
        return sent
    return uuid.uuid4().hex


def caller_name(value: str) -> str:
    """The user name a ``X-Mlsteward-User`` value carries ('' when it names nobody).

    The SDK sends a name that is not plain ASCII as ``utf-8''`` and its UTF-8 bytes
    percent-encoded. A client that sends the raw UTF-8 bytes instead (curl does) is read
    right too: the server receives header bytes as Latin-1, so they are decoded again as
    UTF-8 when they are valid UTF-8. Raises :class:`InvalidArgumentError` (400) for a value
    that is malformed, too long or not printable.
    """
    if len(value) > MAX_HEADER_LENGTH:
        raise _invalid()
    try:
        user = decode_user(_as_utf8(value).strip()).strip()
    except ValueError as error:
        raise InvalidArgumentError(
            f"{USER_HEADER} is not a valid user name: {error} (send a name that is not plain "
            f"ASCII as {USER_HEADER_UTF8} and its UTF-8 bytes percent-encoded, e.g. "
            f"{USER_HEADER_UTF8}Jos%C3%A9)"
        ) from error
    if len(user) > MAX_USER_LENGTH or not user.isprintable():
        raise _invalid()
    return user


def _as_utf8(value: str) -> str:
    """Header bytes (which arrive decoded as Latin-1) read as UTF-8 when they are UTF-8."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value  # not UTF-8: the Latin-1 characters as received


def _invalid() -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{USER_HEADER} must be printable and at most {MAX_USER_LENGTH} characters"
    )


Ctx = Annotated[ServiceContext, Depends(service_context)]
