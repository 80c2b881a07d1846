"""Null distribution of the two-sample Kolmogorov–Smirnov statistic (two-sided).

Follows the same regime choice as ``scipy.stats.ks_2samp(method="auto")`` so p-values agree:
exact when both samples have at most 10,000 values, Smirnov's asymptotic law (through
``scipy.stats.kstwo``) beyond. The exact probabilities are computed here rather than by calling
SciPy with the raw data again, because the caller already has the statistic from its own sorted
arrays and re-sorting would double the cost.

Exact method: the pooled sample order is a monotone lattice path from (0, 0) to (n1, n2); under
the null hypothesis every path is equally likely, and ``D >= d`` exactly when the path touches
the band ``|x * n2 - y * n1| >= h * g``. For equal sizes the reflection principle gives a short
alternating sum; otherwise SciPy's own compiled path count is used where this SciPy has it
(``_compute_outer_prob_inside_method``, the very routine ``ks_2samp`` calls; private, so looked
up defensively), and else a dynamic programme over anti-diagonals carries, for each lattice
point inside the band, the share of paths reaching it without leaving the band. Each value is a
convex combination of its two predecessors, so the recursion cannot overflow or lose precision;
in Python it costs milliseconds where the compiled count takes microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special, stats

EXACT_MAX_N = 10_000


def _compiled_outside_share() -> Callable[[int, int, int, int], float] | None:
    """SciPy's compiled ``(n1, n2, gcd, h) -> P(D >= h / lcm)``, when this SciPy has one."""
    try:
        from scipy.stats import _stats_py
    except ImportError:  # pragma: no cover - SciPy reorganized its modules
        return None
    found = getattr(_stats_py, "_compute_outer_prob_inside_method", None)
    # Only a compiled version is worth it; a pure-Python one would be as slow as ours.
    return found if type(found).__name__ == "builtin_function_or_method" else None


_OUTSIDE_SHARE = _compiled_outside_share()


def _kolmogorov_sf() -> Callable[[int, float], float] | None:
    """SciPy's ``(n, x) -> kstwo.sf(x, n)`` for one point without the distribution wrapper.

    ``stats.kstwo.sf`` checks and broadcasts its arguments, then calls this very function
    (``_kolmogn(n, x, cdf=False)``) for ``x`` inside the support; the checks cost ten times
    the computation, and a drift report asks for hundreds of p-values. Private, so looked up
    defensively: without it the public ``stats.kstwo.sf`` is used.
    """
    try:
        from scipy.stats import _ksstats
    except ImportError:  # pragma: no cover - SciPy reorganized its modules
        return None
    found = getattr(_ksstats, "_kolmogn", None)
    if not callable(found):  # pragma: no cover
        return None

    def sf(n: int, x: float) -> float:
        return float(found(n, x, cdf=False))

    return sf


_KOLMOGOROV_SF = _kolmogorov_sf()


def ks_reported_statistic(d: float, n1: int, n2: int) -> float:
    """The statistic :func:`ks_two_sided_pvalue` reports for ``d``, without the p-value."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("sample sizes must be positive")
    if max(n1, n2) <= EXACT_MAX_N:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        return round(d * lcm) / lcm
    return d


def ks_two_sided_pvalue(d: float, n1: int, n2: int) -> tuple[float, float, str]:
    """P-value of an observed two-sided statistic ``d`` for sample sizes ``n1``, ``n2``.

    Returns ``(statistic, p_value, method)``. In the exact regime the statistic is snapped to
    the lattice ``h / lcm(n1, n2)`` as SciPy does, so both report the same number.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("sample sizes must be positive")
    if max(n1, n2) <= EXACT_MAX_N:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        h = round(d * lcm)
        d_lattice = h / lcm
        if h == 0:
            return d_lattice, 1.0, "exact"
        p = _equal_sizes_tail(n1, h) if n1 == n2 else _outside_band_share(n1, n2, g, h)
        if 0.0 <= p <= 1.0 and math.isfinite(p):
            return d_lattice, min(max(p, 0.0), 1.0), "exact"
        d = d_lattice
    big, small = (float(n1), float(n2)) if n1 >= n2 else (float(n2), float(n1))
    en = int(np.round(big * small / (big + small)))
    return d, min(max(_kstwo_sf(d, en), 0.0), 1.0), "asymptotic"


def _kstwo_sf(x: float, n: int) -> float:
    """``scipy.stats.kstwo.sf(x, n)``, with its slowest branch computed faster.

    For large ``n`` and ``n x^2`` between 2.2 and 370 SciPy evaluates ``2 * smirnov(n, x)``
    term by term, which takes a tenth of a second at n = 50,000 -- exactly the region of
    drifted columns. Here the same Birnbaum–Tingey sum is evaluated vectorized in log space.
    Every other region is delegated to SciPy unchanged.
    """
    nx2 = n * x * x
    if n > 140 and 1.0 < n * x < n - 1 and x < 0.5 and nx2 >= 2.2:
        if nx2 >= 370.0:
            return 0.0
        return min(2.0 * _smirnov_upper(n, x), 1.0)
    # Inside the support (0.5/n, 1) kstwo.sf is exactly _kolmogn's value; at and beyond its
    # ends (and for NaN) the public function answers.
    if _KOLMOGOROV_SF is not None and n >= 1 and 0.5 / n < x < 1.0:
        return _KOLMOGOROV_SF(n, x)
    return float(stats.kstwo.sf(x, n))


def _smirnov_log_terms(n: int, x: float, j: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (
            special.gammaln(n + 1.0)
            - special.gammaln(j + 1.0)
            - special.gammaln(n - j + 1.0)
            + (n - j) * np.log1p(-x - j / n)
            + (j - 1.0) * np.log(x + j / n)
        )


def _smirnov_upper(n: int, x: float) -> float:
    """One-sided P(D+_n >= x) by the Birnbaum–Tingey formula, summed in log space.

    The log-terms are smooth in j and fall off fast on both sides of their peak, so a coarse
    pass finds the span within e^-40 of the peak and only that span is summed exactly.
    """
    last = math.floor(n * (1.0 - x))
    stride = max(1, (last + 1) // 4096)
    coarse_j = np.arange(0, last + 1, stride, dtype=np.float64)
    coarse = _smirnov_log_terms(n, x, coarse_j)
    top = float(np.nanmax(coarse)) if coarse.size else -math.inf
    if not math.isfinite(top):
        return 0.0
    keep = np.flatnonzero(coarse > top - 40.0)
    lo = max(0, int(coarse_j[keep[0]]) - stride)
    hi = min(last, int(coarse_j[keep[-1]]) + stride)
    log_terms = _smirnov_log_terms(n, x, np.arange(lo, hi + 1, dtype=np.float64))
    top = float(np.nanmax(log_terms))
    return float(x * math.exp(top) * np.nansum(np.exp(log_terms - top)))


def _equal_sizes_tail(n: int, h: int) -> float:
    """P(D >= h/n) for two samples of size n: 2 * sum_k (-1)^(k+1) C(2n, n-kh) / C(2n, n)."""
    ks = np.arange(1, n // h + 1)
    j = ks * h
    log_ratio = (
        2.0 * special.gammaln(n + 1) - special.gammaln(n - j + 1) - special.gammaln(n + j + 1)
    )
    terms = np.exp(log_ratio)
    signs = np.where(ks % 2 == 1, 1.0, -1.0)
    # Sum the smallest terms first; the series alternates and decreases.
    return float(2.0 * np.sum((signs * terms)[::-1]))


def _outside_band_share(n1: int, n2: int, g: int, h: int) -> float:
    """P(D >= h / lcm) for unequal sizes: SciPy's compiled count, else our recursion."""
    if _OUTSIDE_SHARE is not None:
        try:
            with np.errstate(invalid="raise", over="raise"):
                return float(_OUTSIDE_SHARE(n1, n2, g, h))
        except (FloatingPointError, OverflowError, TypeError, ValueError):
            pass  # fall back to the recursion below, which cannot overflow
    return 1.0 - _inside_band_share(n1, n2, h * g)


def _inside_band_share(n1: int, n2: int, width: int) -> float:
    """Share of lattice paths to (n1, n2) keeping ``|x*n2 - y*n1| < width`` at every point."""
    total = n1 + n2
    # Diagonal s holds points (x, s - x); prev[k] is the value at x = prev_lo + k.
    prev = np.ones(1)
    prev_lo = 0
    for s in range(1, total + 1):
        lo = max(0, s - n2, (s * n1 - width) // total + 1)
        hi = min(s, n1, -((-(s * n1 + width)) // total) - 1)
        if lo > hi:
            return 0.0
        x = np.arange(lo, hi + 1, dtype=np.float64)
        # Pad prev with zeros so both predecessors can be read by offset.
        padded = np.zeros(hi - lo + 2)
        src_lo, src_hi = max(lo - 1, prev_lo), min(hi, prev_lo + prev.size - 1)
        if src_lo <= src_hi:
            padded[src_lo - (lo - 1) : src_hi - (lo - 1) + 1] = prev[
                src_lo - prev_lo : src_hi - prev_lo + 1
            ]
        from_left = padded[:-1]  # value at (x - 1, y): a step in x
        from_below = padded[1:]  # value at (x, y - 1): a step in y
        prev = (x / s) * from_left + ((s - x) / s) * from_below
        prev_lo = lo
    return float(prev[n1 - prev_lo]) if prev_lo <= n1 < prev_lo + prev.size else 0.0
