"""POST /api/v1/wallet-events/: stored once per bank reference; matching event campaigns plan one follow-up."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import WalletEvent
from surveys import tasks
from surveys.models import Campaign, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/wallet-events/"
# Monday 2 March 2026, 20:30 in Shanghai.
MONDAY_EVENING = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def wang(clock, customer):
    customer.consent_given_at, customer.consent_source = MONDAY_EVENING - timedelta(days=100), "enrolment"
    customer.save()
    return customer


@pytest.fixture
def planned(monkeypatch):
    """Run the planning in-process when it is asked for, and count the requests."""
    requests = []

    def request_event_planning():
        requests.append(timezone.now())
        tasks.plan_pending_event_follow_ups()

    monkeypatch.setattr(tasks, "request_event_planning", request_event_planning)
    return requests


def payload(customer, **overrides):
    return {
        "bank_reference": "EV-1",
        "customer_reference": customer.bank_reference,
        "kind": "payment_failed",
        "occurred_at": "2026-03-02T20:00:00+08:00",
        "access_channel": "app",
        "details": {"amount": "120.00", "merchant": "Metro"},
        **overrides,
    }


def test_the_first_post_stores_the_event_and_answers_201_and_the_repeat_answers_200_with_the_same_body(
    api, wang, planned, django_capture_on_commit_callbacks
):
    factories.CampaignFactory(
        trigger=Campaign.Trigger.EVENT, trigger_event_kinds=["payment_failed"], channels=["phone"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(URL, payload(wang), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(URL, payload(wang), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["bank_reference"] == "EV-1"
    assert first.json()["customer_reference"] == wang.bank_reference
    event = WalletEvent.objects.get()
    assert len(planned) == 1  # asked once, for the new event; the repeat asks nothing
    assert FollowUp.objects.filter(customer=wang, wallet_event=event).count() == 1


def test_an_offset_less_moment_is_read_as_beijing_time(api, wang):
    response = api.post(URL, payload(wang, occurred_at="2026-03-02T20:00:00"), format="json")
    assert response.status_code == 201
    assert WalletEvent.objects.get().occurred_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_an_unknown_customer_reference_is_a_400_naming_the_field(api, wang):
    response = api.post(URL, payload(wang, customer_reference="NOBODY"), format="json")
    assert response.status_code == 400
    assert response.json() == {"customer_reference": ["No customer has this bank reference."]}
    assert not WalletEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "alien_abduction"),
        ("occurred_at", "yesterday"),
        ("occurred_at", "1970-01-01T00:00:00Z"),
        ("occurred_at", "2026-03-05T00:00:00+08:00"),  # days in the future
        ("bank_reference", ""),
        ("bank_reference", "E" * 65),
        ("details", ["not", "an", "object"]),
        ("details", {"note": "nul \u0000 inside"}),
        ("access_channel", {"app": True}),
    ],
)
def test_bad_values_are_400s_naming_the_field_and_store_nothing(api, wang, field, value):
    response = api.post(URL, payload(wang, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not WalletEvent.objects.exists()


def test_missing_fields_are_each_named(api, wang):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"bank_reference", "customer_reference", "kind", "occurred_at"}


def test_a_body_that_is_not_json_is_a_400(api, wang):
    response = api.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_json_nested_too_deeply_for_the_parser_is_a_400_not_a_crash(api, wang):
    response = api.generic("POST", URL, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
