"""The dashboard statistics against published reference values and hand-worked examples."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.stats import MIN_RESPONDENTS, net_promoter, response_rates, share, wilson_interval


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table II, method 3.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_the_wilson_interval_matches_newcombes_reference_values(count, n, low, high):
    interval = wilson_interval(count, n)

    assert interval == pytest.approx((low, high), abs=5e-5)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_wilson_interval_stays_within_0_and_1_and_holds_the_observed_share(pair):
    count, n = pair
    low, high = wilson_interval(count, n)

    assert 0 <= low <= count / n <= high <= 1


def test_an_empty_group_has_no_share_and_is_too_few():
    empty = share(0, 0)

    assert (empty.value, empty.low, empty.high) == (None, None, None)
    assert empty.too_few


def test_groups_under_thirty_respondents_are_too_few():
    assert share(3, MIN_RESPONDENTS - 1).too_few
    assert not share(3, MIN_RESPONDENTS).too_few


def test_nps_of_a_hand_counted_sample_is_exactly_20_with_its_margin():
    # 50 answers: 20 promoters (40%), 20 passives, 10 detractors (20%).
    result = net_promoter(promoters=20, detractors=10, answered=50)

    assert result.score == pytest.approx(20.0)
    assert (result.promoter_percent, result.passive_percent, result.detractor_percent) == (40.0, 40.0, 20.0)
    # SE = sqrt((0.4 + 0.2 - 0.2²) / 50) = sqrt(0.0112); margin = 1.96 SE, in NPS points.
    assert result.margin == pytest.approx(100 * 1.959964 * math.sqrt(0.0112), rel=1e-6)
    assert result.margin == pytest.approx(20.74, abs=0.01)


def test_all_promoters_score_100_with_no_margin():
    result = net_promoter(promoters=40, detractors=0, answered=40)

    assert (result.score, result.margin) == (100.0, 0.0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        net_promoter(promoters=30, detractors=30, answered=50)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_rr1_counts_complete_interviews_and_rr2_partial_ones_too():
    rates = response_rates(complete=30, partial=10, refusal=20, non_contact=25, unknown=15)

    assert rates.rr1 == pytest.approx(0.30)
    assert rates.rr2 == pytest.approx(0.40)


def test_no_follow_ups_have_no_response_rate():
    rates = response_rates(complete=0, partial=0, refusal=0, non_contact=0, unknown=0)

    assert (rates.rr1, rates.rr2) == (None, None)
