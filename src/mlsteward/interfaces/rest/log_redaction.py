"""Keep sign-in secrets out of the access log.

uvicorn logs each request's path with its query string. The OIDC callback carries the
provider's authorization code and state in its query; a sign-in route never needs its query
in a log, so it is cut there. Headers (where tokens travel) are never logged.
"""

from __future__ import annotations

import logging

from mlsteward.services.api.wire import API_PREFIX

_SIGN_IN_PREFIX = f"{API_PREFIX}/auth/"
_ACCESS_LOGGER = "uvicorn.access"


class SignInQueryFilter(logging.Filter):
    """Drops the query string of sign-in paths from uvicorn's access records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark and path.startswith(_SIGN_IN_PREFIX):
                record.args = (*args[:2], f"{path}?[redacted]", *args[3:])
        return True


def install_access_log_filter() -> None:
    """Add the filter to uvicorn's access logger once (each worker process calls this after
    uvicorn configured its logging)."""
    logger = logging.getLogger(_ACCESS_LOGGER)
    if not any(isinstance(existing, SignInQueryFilter) for existing in logger.filters):
        logger.addFilter(SignInQueryFilter())
