"""The browser session's two cookies: the token itself, and the CSRF token pages send back.

``mlsteward_session`` holds the session's API token: HttpOnly (no script reads it),
SameSite=Strict (no other site's request carries it), Path=/, Secure when the request came
over HTTPS or the server was told it sits behind TLS (``--secure-cookies``).
``mlsteward_csrf`` is readable by the page's scripts, which echo it in ``X-CSRF-Token``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mlsteward.interfaces.rest.authentication import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from mlsteward.interfaces.rest.settings import ServerSettings

#: How long a browser session's token lasts.
SESSION_DAYS = 7.0


def cookies_secure(request: Request, settings: ServerSettings) -> bool:
    """Whether cookies get the Secure flag: the request came over HTTPS, or the operator
    said a TLS proxy stands in front (the server itself then only sees plain HTTP)."""
    return settings.secure_cookies or request.url.scheme == "https"


def set_session(
    response: Response,
    request: Request,
    settings: ServerSettings,
    secret: str,
    *,
    max_age_s: int | None,
) -> str:
    """Put the session ``secret`` and its CSRF token in cookies; returns the CSRF token.
    ``max_age_s`` None: cookies that end with the browser session."""
    secure = cookies_secure(request, settings)
    csrf = csrf_token_for(secret)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age_s,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age_s,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return csrf


def clear_session(response: Response, request: Request, settings: ServerSettings) -> None:
    """Tell the browser to drop both cookies."""
    secure = cookies_secure(request, settings)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="strict")


def max_age_until(expires_at_ms: int | None, now_ms: int) -> int | None:
    """Seconds from ``now_ms`` until a token expires (None: it never does)."""
    if expires_at_ms is None:
        return None
    return max(0, (expires_at_ms - now_ms) // 1000)
