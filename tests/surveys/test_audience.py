"""Audience filters: who a campaign is for, checked before it is stored and read when it is planned."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys.audience import audience_queryset, audience_size, validate_audience
from tests import factories

pytestmark = pytest.mark.django_db


def names(audience, **kwargs) -> set[str]:
    return set(audience_queryset(audience, **kwargs).values_list("name", flat=True))


@pytest.fixture
def people():
    factories.CustomerFactory(
        name="ios-premium", device_os="ios", segment="premium", app_version="8.2.0", region="HK",
        wallet_product="gold", enrolled_on=date(2025, 1, 10),
    )  # fmt: skip
    factories.CustomerFactory(
        name="android-mass", device_os="android", segment="mass", app_version="8.1.2", region="CN",
        wallet_product="basic", enrolled_on=date(2025, 6, 1),
    )  # fmt: skip
    factories.CustomerFactory(
        name="harmony-mass", device_os="harmonyos", segment="mass", app_version="7.9.0", region="CN",
        wallet_product="basic", enrolled_on=None,
    )  # fmt: skip


def test_an_empty_audience_is_everyone(people):
    assert names({}) == {"ios-premium", "android-mass", "harmony-mass"}
    assert audience_size(None) == 3


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ({"segments": ["mass"]}, {"android-mass", "harmony-mass"}),
        ({"device_os": ["ios", "harmonyos"]}, {"ios-premium", "harmony-mass"}),
        ({"app_versions": ["8.1.2"]}, {"android-mass"}),
        ({"wallet_products": ["gold"]}, {"ios-premium"}),
        ({"regions": ["HK"]}, {"ios-premium"}),
        ({"enrolled_from": "2025-03-01"}, {"android-mass"}),
        ({"enrolled_to": "2025-03-01"}, {"ios-premium"}),
        ({"segments": ["mass"], "device_os": ["android"]}, {"android-mass"}),
        ({"segments": [], "regions": None}, {"ios-premium", "android-mass", "harmony-mass"}),
    ],
)
def test_each_filter_narrows_the_audience(people, audience, expected):
    assert names(audience) == expected
    assert audience_size(audience) == len(expected)


def test_recent_events_count_only_within_the_days_given(people, customer):
    now = timezone.now()
    factories.WalletEventFactory(customer=customer, kind="payment_failed", occurred_at=now - timedelta(days=2))
    old = factories.CustomerFactory(name="old event")
    factories.WalletEventFactory(customer=old, kind="payment_failed", occurred_at=now - timedelta(days=20))
    other = factories.CustomerFactory(name="other kind")
    factories.WalletEventFactory(customer=other, kind="card_bound", occurred_at=now - timedelta(days=1))
    audience = {"event_kinds": ["payment_failed"], "event_within_days": 7}
    assert names(audience, now=now) == {customer.name}
    assert names({**audience, "event_within_days": 30}, now=now) == {customer.name, "old event"}


@pytest.mark.parametrize(
    ("audience", "key", "code"),
    [
        ({"colour": ["blue"]}, "colour", "unknown_filter"),
        ({"segments": "premium"}, "segments", "not_a_list"),
        ({"device_os": ["windows-phone"]}, "device_os", "unknown_value"),
        ({"enrolled_from": "yesterday"}, "enrolled_from", "bad_date"),
        ({"enrolled_from": "2025-05-01", "enrolled_to": "2025-01-01"}, "enrolled_to", "reversed_range"),
        ({"event_kinds": ["payment_failed"]}, "event_within_days", "missing_days"),
        ({"event_kinds": ["payment_failed"], "event_within_days": 0}, "event_within_days", "bad_days"),
        ({"event_kinds": ["payment_failed"], "event_within_days": True}, "event_within_days", "bad_days"),
    ],
)
def test_a_bad_filter_is_named_in_the_error(audience, key, code):
    with pytest.raises(ValidationError) as error:
        validate_audience(audience)
    assert code in [e.code for e in error.value.error_dict[key]]


def test_an_audience_that_is_not_a_set_of_filters_is_refused():
    with pytest.raises(ValidationError):
        validate_audience(["segments"])


def test_values_are_normalised_and_empty_filters_dropped():
    assert validate_audience(
        {"segments": ["a", "a", "b"], "enrolled_from": "2025-01-05", "regions": [], "event_within_days": 5}
    ) == {"segments": ["a", "b"], "enrolled_from": "2025-01-05"}


def test_the_queryset_refuses_an_audience_the_validator_refuses():
    with pytest.raises(ValidationError):
        audience_queryset({"segments": "premium"})
