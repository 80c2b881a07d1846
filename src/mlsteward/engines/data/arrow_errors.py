"""The exceptions pyarrow raises when values do not convert to a requested type."""

from __future__ import annotations

import pyarrow as pa

# A cast or array conversion failed: bad value (Invalid), incompatible Python type (TypeError),
# or no cast kernel between the two types (NotImplemented).
ARROW_CONVERSION_ERRORS: tuple[type[Exception], ...] = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
)
