"""Hiding secrets in URLs before they reach a message, a log or a lineage record.

One function for every layer (storage's database URLs, data sources, a server's allow-lists),
so a URL is never shown with its password in one place and without it in another.
"""

from __future__ import annotations

import re

#: ``scheme://user:password@rest``; the password runs to the *last* ``@``, so a raw ``@``
#: inside it (which some parsers would take for the host's start) is hidden too.
_USERINFO = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@?#]*):(?P<password>.*)@(?P<rest>.*)$")
#: Query options that carry a secret (``?password=...`` is accepted by several drivers).
_SECRET_OPTION = re.compile(
    r"(?P<key>[?&][^=&#]*(?:password|passwd|secret|token)[^=&#]*=)[^&#]*", re.IGNORECASE
)


def redact_url(url: str) -> str:
    """``url`` with its password (and secret query options) replaced by ``***``.

    Anything that is not ``scheme://...`` (a file path) is returned unchanged.
    """
    if "://" not in url:
        return url
    match = _USERINFO.match(url)
    if match is not None:
        url = f"{match['head']}:***@{match['rest']}"
    return _SECRET_OPTION.sub(lambda found: f"{found['key']}***", url)
