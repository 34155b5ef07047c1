"""The public "is this message really from my bank?" page: a code → the campaign and the date, nothing personal."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from surveys import verification
from surveys.models import ContactAttempt
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
URL = reverse("trust:verify")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sent_sms(customer):
    """Wang Fang's invitation, sent by SMS on 2026-03-08 at 23:30 UTC, i.e. 9 March in Shanghai."""
    follow_up = factories.FollowUpFactory(
        customer=customer,
        channel="sms",
        status="invited",
        campaign=factories.CampaignFactory(name="Failed payments, spring"),
    )
    return factories.ContactAttemptFactory(
        follow_up=follow_up,
        channel="sms",
        outcome=ContactAttempt.Outcome.SENT,
        started_at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC),
        verification_code="K7M2QX",
    )


def check(client, code, **extra):
    return client.post(URL + "?lang=en", {"code": code}, **extra)


def test_a_known_code_shows_the_campaign_the_banks_date_and_the_channel_and_nothing_personal(client, sent_sms):
    page = check(client, "K7M2QX")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Yes, this message was sent by" in html
    assert "Failed payments, spring" in html
    assert "March 9, 2026" in html  # the bank's (Shanghai) date, not UTC's 8 March
    assert "SMS" in html
    for personal in ("王芳", "+8613800138000", "13800138000", sent_sms.follow_up.customer.email, "/s/"):
        assert personal not in html
    assert page.headers["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("typed", ["k7m2qx", " K7M 2QX ", "k7m-2qx", "Ｋ７Ｍ２ＱＸ", "K7M\u30002QX"])
def test_a_code_typed_in_lower_case_with_spaces_dashes_or_full_width_is_found(client, sent_sms, typed):
    page = check(client, typed)

    assert "Failed payments, spring" in page.content.decode()


def test_a_delivered_message_is_found_too(client, sent_sms):
    ContactAttempt.objects.filter(pk=sent_sms.pk).update(outcome=ContactAttempt.Outcome.DELIVERED)

    assert "Failed payments, spring" in check(client, "K7M2QX").content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"started_at": NOW - timedelta(days=61)},
        {"outcome": ContactAttempt.Outcome.FAILED},
        {"outcome": ContactAttempt.Outcome.QUEUED},
        {"verification_code": "K7M2QY"},
    ],
    ids=["61 days old", "failed", "never sent", "another code"],
)
def test_an_old_failed_unsent_or_unknown_message_is_not_found(client, sent_sms, change):
    ContactAttempt.objects.filter(pk=sent_sms.pk).update(**change)

    page = check(client, "K7M2QX")

    assert page.status_code == 200
    html = page.content.decode()
    assert "We have no message with this code from the last 60 days." in html
    assert "Do not open its link or give any information; call 95500." in html
    assert "Failed payments, spring" not in html


def test_found_and_not_found_take_the_same_path_and_have_the_same_shape(client, sent_sms):
    with CaptureQueriesContext(connection) as found_queries:
        found = check(client, "K7M2QX").content.decode()
    with CaptureQueriesContext(connection) as missing_queries:
        missing = check(client, "ABCDEF").content.decode()

    assert len(found_queries) == len(missing_queries)
    for html in (found, missing):
        assert html.count('role="status"') == 1 and html.count('id="result-title"') == 1


@pytest.mark.parametrize("typed", ["K7M2Q0", "K7M2QI", "K7M2Q", "K7M2QXX", "<script>", "1' OR 1=1", "验证码验证码", ""])
def test_a_code_with_wrong_characters_or_length_gets_a_form_error_naming_the_field(client, sent_sms, typed):
    page = check(client, typed)

    assert page.status_code == 200
    html = page.content.decode()
    assert "is-invalid" in html
    assert "Verification code" in html
    assert "Yes, this message was sent by" not in html and "We have no message" not in html
    assert "<script>" not in html


def test_the_page_never_fails_on_odd_requests(client):
    assert client.get(URL).status_code == 200
    assert client.get(URL + "?lang=klingon").status_code == 200
    assert client.post(URL, {"code": "x" * 10_000}).status_code == 200
    assert client.post(URL, {"code": ["A", "B"]}).status_code == 200
    assert client.post(URL, "\x00\xff", content_type="application/octet-stream").status_code == 200
    assert client.put(URL).status_code == 405


def test_the_page_follows_the_browser_language_and_the_switch(client):
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    switched = client.get(URL + "?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="en">' in switched.content.decode()
    assert 'href="?lang=zh-hans"' in switched.content.decode()


def test_the_query_returns_only_what_the_page_shows(sent_sms):
    (message,) = verification.messages_with_code("k7m2qx", now=NOW)

    assert message == verification.SentMessage(
        campaign_name="Failed payments, spring", sent_on=date(2026, 3, 9), channel="sms"
    )
    with translation.override("en"):
        assert message.channel_label == "SMS"


def test_the_query_refuses_what_cannot_be_a_code():
    with pytest.raises(verification.InvalidCode):
        verification.messages_with_code("OOOOOO", now=NOW)
