"""The statistics of the concern dashboards, as pure functions of counts (no ORM, no pandas needed).

- a share of respondents with its 95% Wilson score interval (``share``), which stays inside 0–100% and
  is honest for small groups and for shares near 0 or 1 (Newcombe 1998, method 3);
- the Net Promoter Score with its promoter / passive / detractor split and margin of error
  (``net_promoter``): NPS = 100 (pP − pD), SE = sqrt((pP + pD − (pP − pD)²) / n), margin = 1.96 SE;
- AAPOR response rates RR1 and RR2 (``response_rates``, Standard Definitions, 2023):
  RR1 = I / ((I + P) + (R + NC + O) + (UH + UO)), RR2 = (I + P) / (the same);
- groups with fewer than MIN_RESPONDENTS respondents are marked ``too_few``: the page greys them and
  says "too few answers" instead of drawing a confident bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
MIN_RESPONDENTS = 30


@dataclass(frozen=True)
class Share:
    """``count`` of ``n`` respondents: the share and its 95% Wilson interval, as fractions of 1."""

    count: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @property
    def too_few(self) -> bool:
        return self.n < MIN_RESPONDENTS


def wilson_interval(count: int, n: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``count`` successes in ``n`` trials; None when n is 0."""
    if n < 0 or count < 0 or count > n:
        raise ValueError(f"need 0 <= count <= n, got {count} of {n}")
    if n == 0:
        return None
    p = count / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 of n and n of n the interval ends exactly at 0 and 1; floating point would miss by a hair.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == n else min(1.0, centre + half)
    return low, high


def share(count: int, n: int) -> Share:
    interval = wilson_interval(count, n)
    if interval is None:
        return Share(count, n, None, None, None)
    return Share(count, n, count / n, *interval)


@dataclass(frozen=True)
class NetPromoter:
    """The NPS of ``n`` answers on the −100…100 scale, its split in percent and its 95% margin of error."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    margin: float | None

    @property
    def promoter_percent(self) -> float | None:
        return None if self.n == 0 else 100 * self.promoters / self.n

    @property
    def passive_percent(self) -> float | None:
        return None if self.n == 0 else 100 * self.passives / self.n

    @property
    def detractor_percent(self) -> float | None:
        return None if self.n == 0 else 100 * self.detractors / self.n

    @property
    def too_few(self) -> bool:
        return self.n < MIN_RESPONDENTS


def net_promoter(*, promoters: int, detractors: int, answered: int, z: float = Z_95) -> NetPromoter:
    """NPS from the counts of promoters (9–10), detractors (0–6) and all answers (passives are the rest)."""
    if min(promoters, detractors, answered) < 0 or promoters + detractors > answered:
        raise ValueError(f"need promoters + detractors <= answered, got {promoters} + {detractors} of {answered}")
    passives = answered - promoters - detractors
    if answered == 0:
        return NetPromoter(0, 0, 0, 0, None, None)
    p_promoters, p_detractors = promoters / answered, detractors / answered
    difference = p_promoters - p_detractors
    standard_error = math.sqrt(max(0.0, p_promoters + p_detractors - difference * difference) / answered)
    return NetPromoter(answered, promoters, passives, detractors, 100 * difference, 100 * z * standard_error)


def mean(total: int | float, n: int) -> float | None:
    return None if n == 0 else total / n


@dataclass(frozen=True)
class ResponseRates:
    rr1: float | None  # complete interviews over all eligible and unknown-eligibility cases
    rr2: float | None  # complete and partial interviews over the same


def response_rates(
    *, complete: int, partial: int, refusal: int, non_contact: int, other: int = 0, unknown: int
) -> ResponseRates:
    """AAPOR RR1 and RR2 from final dispositions: I, P, R, NC, O and UH + UO (no eligibility estimate)."""
    denominator = complete + partial + refusal + non_contact + other + unknown
    if denominator == 0:
        return ResponseRates(None, None)
    return ResponseRates(complete / denominator, (complete + partial) / denominator)
