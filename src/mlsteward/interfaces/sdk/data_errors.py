"""The errors the data functions raise that are the data services' own (re-exported for the
``mlsteward.data`` facade, which imports nothing but the SDK)."""

from __future__ import annotations

from mlsteward.services.data.register import ValidationFailedError

__all__ = ["ValidationFailedError"]
