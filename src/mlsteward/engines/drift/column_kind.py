"""What kind of values a column holds, and the error for a test that does not apply to it.

Kept apart from the test spec so a column pair can know its kind without importing the specs
that describe tests over column pairs.
"""

from __future__ import annotations

import enum


class ColumnKind(enum.StrEnum):
    """The kind of values a column holds, which decides which tests apply."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BINARY = "binary"
    EMBEDDING = "embedding"


class NotApplicableError(ValueError):
    """A test cannot run on this pair (wrong kind, too few values, missing raw samples)."""
