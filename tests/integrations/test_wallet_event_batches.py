"""POST /api/v1/wallet-events/batch/: a bulk sender's events in one request, all or nothing, once each."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import WalletEvent
from integrations.models import ApiCall
from surveys import tasks
from surveys.models import Campaign, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/wallet-events/batch/"
MONDAY_EVENING = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY_EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def wang(customer):
    customer.consent_given_at, customer.consent_source = MONDAY_EVENING - timedelta(days=100), "enrolment"
    customer.save()
    return customer


@pytest.fixture
def asked(monkeypatch):
    """Planning runs in-process when asked for; the requests are counted."""
    requests = []

    def request_event_planning():
        requests.append(True)
        tasks.plan_pending_event_follow_ups()

    monkeypatch.setattr(tasks, "request_event_planning", request_event_planning)
    return requests


def an_event(customer, reference, **overrides):
    return {
        "bank_reference": reference,
        "customer_reference": customer.bank_reference,
        "kind": "payment_failed",
        "occurred_at": "2026-03-02T20:00:00+08:00",
        "access_channel": "app",
        "details": {"amount": "120.00"},
        **overrides,
    }


def test_a_batch_stores_each_new_event_once_answers_in_its_order_and_asks_for_planning_once(
    api, wang, asked, django_capture_on_commit_callbacks
):
    factories.CampaignFactory(trigger=Campaign.Trigger.EVENT, trigger_event_kinds=["payment_failed"], channels=["sms"])
    li = factories.CustomerFactory(consent_given_at=MONDAY_EVENING - timedelta(days=9), consent_source="enrolment")
    batch = {"events": [an_event(wang, "EV-1"), an_event(li, "EV-2", kind="card_bound"), an_event(wang, "EV-3")]}

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, batch, format="json")

    assert response.status_code == 201
    assert response.json() == {
        "results": [
            {"bank_reference": "EV-1", "status": "created"},
            {"bank_reference": "EV-2", "status": "created"},
            {"bank_reference": "EV-3", "status": "created"},
        ]
    }
    stored = {event.bank_reference: event for event in WalletEvent.objects.all()}
    assert (stored["EV-2"].customer, stored["EV-2"].kind) == (li, "card_bound")
    assert stored["EV-1"].occurred_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert asked == [True]
    assert FollowUp.objects.filter(wallet_event__bank_reference__in=["EV-1", "EV-3"]).count() == 2
    assert ApiCall.objects.filter(path=URL, status=201).count() == 1


def test_the_same_batch_again_stores_nothing_and_answers_200(api, wang, asked, django_capture_on_commit_callbacks):
    batch = {"events": [an_event(wang, "EV-1"), an_event(wang, "EV-2")]}
    api.post(URL, batch, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(URL, batch, format="json")

    assert again.status_code == 200
    assert [result["status"] for result in again.json()["results"]] == ["already_received"] * 2
    assert WalletEvent.objects.count() == 2
    assert asked == []  # nothing new: no planning asked for


def test_a_reference_received_before_or_twice_in_the_batch_is_stored_once(api, wang):
    api.post("/api/v1/wallet-events/", an_event(wang, "EV-1"), format="json")
    batch = {"events": [an_event(wang, "EV-1"), an_event(wang, "EV-2"), an_event(wang, "EV-2", kind="card_bound")]}

    response = api.post(URL, batch, format="json")

    assert [result["status"] for result in response.json()["results"]] == [
        "already_received",
        "created",
        "already_received",
    ]
    assert WalletEvent.objects.get(bank_reference="EV-2").kind == "payment_failed"  # the first one
    assert WalletEvent.objects.count() == 2


def test_an_unknown_customer_refuses_the_whole_batch_naming_the_event(api, wang):
    batch = {"events": [an_event(wang, "EV-1"), an_event(wang, "EV-2", customer_reference="NOBODY")]}

    response = api.post(URL, batch, format="json")

    assert response.status_code == 400
    assert response.json() == {"events": {"1": {"customer_reference": ["No customer has this bank reference."]}}}
    assert not WalletEvent.objects.exists()


def test_a_bad_value_refuses_the_whole_batch_naming_the_event_and_field(api, wang):
    batch = {"events": [an_event(wang, "EV-1"), an_event(wang, "EV-2"), an_event(wang, "EV-3", kind="alien")]}

    response = api.post(URL, batch, format="json")

    assert response.status_code == 400
    errors = response.json()["events"]
    assert errors == {"2": {"kind": ['"alien" is not a valid choice.']}}
    assert not WalletEvent.objects.exists()


@pytest.mark.parametrize("size", [0, 501])
def test_an_empty_or_oversized_batch_is_a_400(api, wang, size):
    response = api.post(URL, {"events": [an_event(wang, f"EV-{n}") for n in range(size)]}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()
    assert not WalletEvent.objects.exists()


def test_a_batch_of_five_hundred_is_one_insert(api, wang, django_assert_max_num_queries):
    batch = {"events": [an_event(wang, f"EV-{n}") for n in range(500)]}
    # The token is cached after the first call; then the customers' SELECT, the INSERT, the call log.
    api.post(URL, {"events": [an_event(wang, "warm-up")]}, format="json")
    with django_assert_max_num_queries(6):
        response = api.post(URL, batch, format="json")
    assert response.status_code == 201
    assert WalletEvent.objects.count() == 501
