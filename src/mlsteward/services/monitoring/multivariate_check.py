"""A monitor's multivariate drift check: joint-distribution methods against the profile's
row sample, judged into ``multivariate_drift`` alerts.

Stored profiles keep a seeded reservoir sample of reference rows; a monitor naming
``multivariate`` methods needs one (checked when the monitor is created, so a monitor never
silently runs without it). Each method whose whole-window score lies outside its bounds is
a breach on the column named after the method (warning: the joint distribution moved, which
no single column may show).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import ProfileRecord
from mlsteward.engines.drift import MULTIVARIATE_METHODS, MultivariateDriftResult
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.alerts import Breach
from mlsteward.services.monitoring.profiles import read_profile

CHECK = "multivariate_drift"
#: Drifted chunks named in an alert's evidence (the newest are kept).
MAX_EVIDENCE_CHUNKS = 20


def validate_multivariate(
    ctx: ServiceContext, methods: object, profile: ProfileRecord, checks: list[str]
) -> list[str]:
    """The methods, each known and named once; with any, the profile must keep a row sample
    and ``checks`` gains ``multivariate_drift`` (which needs methods)."""
    if isinstance(methods, str) or not isinstance(methods, Sequence):
        raise InvalidArgumentError("multivariate is a list of method names")
    clean: list[str] = []
    for method in methods:
        if method not in MULTIVARIATE_METHODS:
            raise InvalidArgumentError(
                f"Unknown multivariate method {method!r}; use {list(MULTIVARIATE_METHODS)}"
            )
        if method not in clean:
            clean.append(method)
    if not clean:
        if CHECK in checks:
            raise InvalidArgumentError(
                f"The {CHECK} check needs multivariate methods ({list(MULTIVARIATE_METHODS)})"
            )
        return clean
    if read_profile(ctx, profile).sample_rows == 0:
        raise InvalidArgumentError(
            f"multivariate drift needs reference rows, and profile {profile.name!r} was built "
            "without a sample: rebuild it with one (mlsteward monitor profile --sample-size N, "
            "or build_reference_profile(..., sample_size=N))"
        )
    if CHECK not in checks:
        checks.append(CHECK)
    return clean


def multivariate_breaches(results: Sequence[MultivariateDriftResult]) -> list[Breach]:
    """One ``multivariate_drift`` breach per method whose whole window drifted."""
    breaches = []
    for result in results:
        whole = result.whole
        if not whole.drifted:
            continue
        drifted = [c.chunk.key for c in result.chunks if c.drifted and c.chunk is not None]
        evidence: dict[str, Any] = {
            "method": result.method,
            "value": whole.value,
            "lower": whole.lower,
            "upper": whole.upper,
            "p_value": whole.p_value,
            "columns": list(result.columns),
            "n_drifted_chunks": len(drifted),
            "drifted_chunks": drifted[-MAX_EVIDENCE_CHUNKS:],
        }
        breaches.append(Breach(CHECK, result.method, "warning", evidence))
    return breaches


def multivariate_summary(results: Sequence[MultivariateDriftResult]) -> list[dict[str, Any]]:
    """Each method's whole-window verdict, for a run's summary."""
    return [
        {
            "method": r.method,
            "drifted": r.whole.drifted,
            "value": r.whole.value,
            "lower": r.whole.lower,
            "upper": r.whole.upper,
        }
        for r in results
    ]
