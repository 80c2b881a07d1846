"""Who is who: the one place user names are compared, for every four-eyes rule.

A user name arrives as typed: in a header, in ``MLSTEWARD_USER``, from the OS. The same person
may type it as ``alice``, ``Alice``, ``ALICE``, ``alice `` or in full-width letters
(``ａｌｉｃｅ``), so rules that need *a different person* (approving a version, weakening a
model's gates, reviewing a label) compare names after normalisation, never as raw strings.
Names are stored as given; only comparisons normalise.

Normalisation cannot see through look-alike letters from other scripts (a Cyrillic ``а`` in
``аlice``); telling people apart reliably is the job of authentication, not of names.
"""

from __future__ import annotations

import unicodedata

#: The actor of a server request that named no user.
ANONYMOUS = "anonymous"


def normalize_person(name: str) -> str:
    """The comparable form of a user name.

    Unicode compatibility forms folded (NFKC: full-width ``ａ`` is ``a``), case folded
    (``ALICE`` and ``Straße``/``STRASSE`` match), invisible format characters (zero-width
    spaces and joiners) dropped, and whitespace trimmed and collapsed to single spaces.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def same_person(a: str, b: str) -> bool:
    """Whether two user names name the same person (after :func:`normalize_person`)."""
    return normalize_person(a) == normalize_person(b)


def is_named_person(name: str | None) -> bool:
    """Whether ``name`` names someone: not blank and not the anonymous caller."""
    if name is None:
        return False
    normal = normalize_person(name)
    return bool(normal) and normal != ANONYMOUS


def as_name(actor: str, recorded: str) -> str:
    """`` (as 'alice')`` when ``recorded`` spells the same person differently, else ''."""
    return "" if actor == recorded else f" (as {recorded!r})"
