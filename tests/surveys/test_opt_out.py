"""The opt-out page of a message's link: GET shows, POST records evidence and cancels what must stop.

Wang Fang (the customer persona) got an SMS with a link; she stops SMS, or all contact. Li Lei is
another customer whose follow-ups must never be touched by her choice.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import ConsentRecord, EvidenceSource
from surveys import optouts, tokens
from surveys.models import FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, a Tuesday


def message_link(follow_up, *, channel="sms", outcome="sent", number=1):
    """A message of ``follow_up`` carrying a working link: (token, attempt)."""
    token, token_hash = tokens.new_link_token()
    attempt = factories.ContactAttemptFactory(
        follow_up=follow_up, number=number, channel=channel, outcome=outcome, link_token_hash=token_hash
    )
    return token, attempt


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def invited(customer):
    return factories.FollowUpFactory(
        customer=customer,
        channel="sms",
        status=FollowUp.Status.INVITED,
        scheduled_for=NOW + timedelta(days=3),
        expires_at=NOW + timedelta(days=14),
    )


@pytest.fixture
def other_customers_follow_up():
    li_lei = factories.CustomerFactory(name="李雷", phone="+8613900000001")
    return factories.FollowUpFactory(customer=li_lei, channel="sms", status=FollowUp.Status.PLANNED)


def opt_out_url(token):
    return reverse("trust:opt-out", args=[token])


def test_it_shows_the_choice_on_get_and_records_nothing(client, customer, invited):
    token, _attempt = message_link(invited)

    page = client.get(opt_out_url(token))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="radio"' in html and 'value="channel"' in html and 'value="all"' in html
    assert "王芳" not in html and "13800138000" not in html
    assert page.headers["Cache-Control"].startswith("max-age=0")
    customer.refresh_from_db()
    invited.refresh_from_db()
    assert not ConsentRecord.objects.exists()
    assert customer.sms_opt_out_at is None and customer.do_not_contact_at is None
    assert invited.status == FollowUp.Status.INVITED


def test_it_records_an_sms_opt_out_as_link_evidence_and_cancels_the_open_sms_follow_up(
    client, customer, invited, other_customers_follow_up
):
    token, attempt = message_link(invited)

    page = client.post(opt_out_url(token), {"scope": "channel"})

    assert page.status_code == 200
    assert "2026" in page.content.decode()
    record = ConsentRecord.objects.get()
    assert (record.customer, record.kind, record.channel) == (customer, ConsentRecord.Kind.OPT_OUT, "sms")
    assert record.source == EvidenceSource.LINK
    assert record.reference == f"attempt:{attempt.pk}"
    customer.refresh_from_db()
    assert customer.sms_opt_out_at == NOW
    assert customer.email_opt_out_at is None and customer.phone_opt_out_at is None
    assert customer.do_not_contact_at is None
    invited.refresh_from_db()
    assert invited.status == FollowUp.Status.CANCELLED
    assert invited.closed_at == NOW and invited.close_reason == "opted_out_by_link"
    other_customers_follow_up.refresh_from_db()
    assert other_customers_follow_up.status == FollowUp.Status.PLANNED


def test_stopping_sms_leaves_an_open_call_follow_up_alone_but_stopping_all_cancels_it(client, customer):
    answered = factories.FollowUpFactory(customer=customer, channel="sms", status=FollowUp.Status.COMPLETED)
    token, _attempt = message_link(answered)
    call = factories.FollowUpFactory(customer=customer, channel="phone", status=FollowUp.Status.PLANNED)

    client.post(opt_out_url(token), {"scope": "channel"})
    call.refresh_from_db()
    assert call.status == FollowUp.Status.PLANNED

    client.post(opt_out_url(token), {"scope": "all"})
    call.refresh_from_db()
    answered.refresh_from_db()
    assert call.status == FollowUp.Status.CANCELLED and call.close_reason == "opted_out_by_link"
    assert answered.status == FollowUp.Status.COMPLETED  # a closed follow-up keeps its outcome


def test_stopping_all_contact_records_do_not_contact_and_cancels_every_open_follow_up(
    client, customer, invited, other_customers_follow_up
):
    token, attempt = message_link(invited)

    page = client.post(opt_out_url(token), {"scope": "all"})

    assert page.status_code == 200
    record = ConsentRecord.objects.get()
    assert (record.kind, record.channel, record.source) == (ConsentRecord.Kind.DO_NOT_CONTACT, "", "link")
    assert record.reference == f"attempt:{attempt.pk}"
    customer.refresh_from_db()
    assert customer.do_not_contact_at == NOW and customer.do_not_contact_source == "link"
    invited.refresh_from_db()
    assert invited.status == FollowUp.Status.CANCELLED
    other_customers_follow_up.refresh_from_db()
    assert other_customers_follow_up.status == FollowUp.Status.PLANNED


def test_a_repeated_post_adds_evidence_changes_nothing_else_and_shows_the_same_confirmation(client, customer, invited):
    token, _attempt = message_link(invited)
    first = client.post(opt_out_url(token), {"scope": "channel"})

    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        second = client.post(opt_out_url(token), {"scope": "channel"})

    assert second.status_code == 200
    assert second.content == first.content  # the date of record stays the first request's
    assert ConsentRecord.objects.count() == 2
    customer.refresh_from_db()
    invited.refresh_from_db()
    assert customer.sms_opt_out_at == NOW
    assert invited.status == FollowUp.Status.CANCELLED and invited.closed_at == NOW


def test_an_expired_or_answered_link_still_opens_the_opt_out_page(client, customer):
    expired = factories.FollowUpFactory(
        customer=customer, channel="email", status=FollowUp.Status.EXPIRED, expires_at=NOW - timedelta(days=1)
    )
    token, _attempt = message_link(expired, channel="email")

    assert client.get(opt_out_url(token)).status_code == 200
    page = client.post(opt_out_url(token), {"scope": "channel"})

    assert page.status_code == 200
    customer.refresh_from_db()
    assert customer.email_opt_out_at == NOW and customer.sms_opt_out_at is None


@pytest.mark.parametrize("token", ["x" * 43, "not-a-token", "a" * 300, "%00%2e%2e"])
def test_an_unknown_token_gets_the_link_does_not_work_page_revealing_nothing(client, customer, invited, token):
    message_link(invited)

    for page in (client.get(opt_out_url(token)), client.post(opt_out_url(token), {"scope": "all"})):
        assert page.status_code == 404
        html = page.content.decode()
        assert "王芳" not in html and "13800138000" not in html and invited.campaign.name not in html
    assert not ConsentRecord.objects.exists()


def test_an_unknown_token_gets_the_same_page_as_an_unknown_survey_link(client):
    token = "x" * 43

    assert client.get(opt_out_url(token)).content == client.get(f"/s/{token}/").content


def test_an_unknown_scope_gets_a_form_error_and_records_nothing(client, customer, invited):
    token, _attempt = message_link(invited)

    page = client.post(opt_out_url(token), {"scope": "everything-please"})

    assert page.status_code == 200
    assert "is-invalid" in page.content.decode()
    assert not ConsentRecord.objects.exists()


def test_a_form_post_without_a_csrf_token_is_refused(customer, invited):
    token, _attempt = message_link(invited)

    page = Client(enforce_csrf_checks=True).post(opt_out_url(token), {"scope": "all"})

    assert page.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_a_one_click_post_without_csrf_stops_the_links_channel(customer, invited):
    token, attempt = message_link(invited, channel="email")
    url = reverse("trust:opt-out-one-click", args=[token])

    page = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert page.status_code == 200
    record = ConsentRecord.objects.get()
    assert (record.kind, record.channel, record.reference) == ("opt_out", "email", f"attempt:{attempt.pk}")
    customer.refresh_from_db()
    assert customer.email_opt_out_at == NOW and customer.do_not_contact_at is None


def test_one_click_accepts_nothing_but_the_rfc_8058_body(customer, invited):
    token, _attempt = message_link(invited)
    url = reverse("trust:opt-out-one-click", args=[token])
    csrf_free = Client(enforce_csrf_checks=True)

    assert csrf_free.post(url, {"scope": "all"}).status_code == 400
    assert csrf_free.post(url, {"List-Unsubscribe": "yes"}).status_code == 400
    unknown = csrf_free.post(reverse("trust:opt-out-one-click", args=["x" * 43]), {"List-Unsubscribe": "One-Click"})
    assert unknown.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_opening_the_one_click_address_in_a_browser_shows_the_choice_and_records_nothing(client, customer, invited):
    token, _attempt = message_link(invited)

    page = client.get(reverse("trust:opt-out-one-click", args=[token]), follow=True)

    assert page.redirect_chain == [(opt_out_url(token), 302)]
    assert page.status_code == 200
    assert not ConsentRecord.objects.exists()


def test_the_page_speaks_the_customers_language_and_switches_on_request(client, customer, invited):
    token, _attempt = message_link(invited)

    chinese = client.get(opt_out_url(token), HTTP_ACCEPT_LANGUAGE="en")
    english = client.get(opt_out_url(token) + "?lang=en")

    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert 'action="?lang=en"' in english.content.decode()
    assert "Stop all follow-up contact, including calls" in english.content.decode()


def test_a_follow_up_being_sent_right_now_is_cancelled_and_the_dispatchers_result_is_dropped(customer):
    claimed = factories.FollowUpFactory(
        customer=customer,
        channel="sms",
        status=FollowUp.Status.IN_PROGRESS,
        claimed_at=NOW,
        claimed_by="worker-1",
    )
    _token, attempt = message_link(claimed)

    result = optouts.opt_out_by_link(follow_up=claimed, attempt=attempt, scope="channel", now=NOW)

    assert result.cancelled == 1
    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by, claimed.claimed_at) == (FollowUp.Status.CANCELLED, "", None)
    # What the dispatcher writes after its send (surveys/dispatch.py, _finish) now matches no row.
    finished = FollowUp.objects.filter(pk=claimed.pk, status=FollowUp.Status.IN_PROGRESS, claimed_by="worker-1")
    assert finished.update(status=FollowUp.Status.INVITED) == 0
