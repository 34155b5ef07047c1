"""GET a follow-up's status and a customer's contact history: ids, states and times, no personal data."""

from datetime import UTC, datetime

import pytest

from surveys.models import ContactAttempt, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def unreachable(customer):
    """A phone follow-up closed after one unanswered call, whose agent wrote a note about the customer."""
    event = factories.WalletEventFactory(customer=customer, bank_reference="EV-9")
    follow_up = factories.FollowUpFactory(
        customer=customer,
        wallet_event=event,
        campaign__slug="failed-payments",
        status=FollowUp.Status.UNREACHABLE,
        close_reason="Unreachable after the campaign's maximum attempts",
        scheduled_for=TUESDAY,
        attempts=1,
    )
    factories.ContactAttemptFactory(
        follow_up=follow_up, started_at=TUESDAY, outcome=ContactAttempt.Outcome.NO_ANSWER, notes="王芳's husband said…"
    )
    return follow_up


def test_a_follow_ups_status_reads_by_ids_only(api, customer, unreachable):
    response = api.get(f"/api/v1/follow-ups/{unreachable.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == unreachable.pk
    assert body["campaign"] == "failed-payments"
    assert body["customer_reference"] == customer.bank_reference
    assert body["wallet_event_reference"] == "EV-9"
    assert (body["status"], body["channel"], body["attempts"]) == ("unreachable", "phone", 1)
    assert body["closed_reason"] == "Unreachable after the campaign's maximum attempts"
    assert body["scheduled_for"].startswith("2026-03-03T10:00:00")
    text = response.content.decode()
    assert customer.name not in text and customer.phone not in text and customer.email not in text


def test_an_unknown_follow_up_is_a_404(api, db):
    assert api.get("/api/v1/follow-ups/999999/").status_code == 404
    assert api.get(f"/api/v1/follow-ups/{'9' * 18}/").status_code == 404
    assert api.get(f"/api/v1/follow-ups/{'9' * 40}/").status_code == 404


def test_the_contact_history_lists_follow_ups_newest_first_with_their_attempts(api, customer, unreachable):
    newer = factories.FollowUpFactory(customer=customer, channel="sms", status=FollowUp.Status.PLANNED)
    response = api.get(f"/api/v1/customers/{customer.bank_reference}/contact-history/")
    assert response.status_code == 200
    body = response.json()
    assert body["customer_reference"] == customer.bank_reference
    assert [item["id"] for item in body["follow_ups"]] == [newer.pk, unreachable.pk]
    (attempt,) = body["follow_ups"][1]["attempts"]
    assert (attempt["number"], attempt["channel"], attempt["outcome"]) == (1, "phone", "no_answer")
    assert attempt["started_at"].startswith("2026-03-03T10:00:00")
    text = response.content.decode()
    assert "husband" not in text and customer.name not in text and customer.phone not in text


def test_the_contact_history_of_an_unknown_customer_is_a_404(api, db):
    assert api.get("/api/v1/customers/NOBODY/contact-history/").status_code == 404
