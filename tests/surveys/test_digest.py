"""The managers' daily case digest, sent through a real SMTP conversation."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from surveys import digest
from surveys.messaging import SendError
from surveys.models import Case
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_8 = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def own_cache(settings):
    """The configured cache (Redis or the file cache), under a prefix of this test's own: another run's
    claim of the same date must not hide this run's digest."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-digest-{uuid.uuid4().hex}"}}
    yield
    cache.delete(digest.claim_key(MONDAY_8.date()))


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://followup.bank.example"


@pytest.fixture
def monday_morning():
    with time_machine.travel(MONDAY_8, tick=False) as traveller:
        yield traveller


def a_case(*, hours_to_sla, status=Case.Status.OPEN, **fields):
    now = timezone.now()
    if status == Case.Status.RESOLVED:
        fields |= {"resolved_at": now, "root_cause": "app", "resolution_code": "fixed"}
    return factories.CaseFactory(
        status=status,
        opened_at=now - timedelta(days=2),
        sla_due_at=now + timedelta(hours=hours_to_sla),
        **fields,
    )


def some_cases():
    """Two open (one overdue), one in progress and overdue, one resolved."""
    customer = factories.CustomerFactory(name="王芳", phone="+8613800138000", email="wang.fang@example.com")
    a_case(hours_to_sla=-5, customer=customer, follow_up__customer=customer, summary="王芳 says her card was used")
    a_case(hours_to_sla=20, category=Case.Category.DATA_LEAK)
    a_case(hours_to_sla=-1, status=Case.Status.IN_PROGRESS, category=Case.Category.DATA_LEAK)
    a_case(hours_to_sla=-30, status=Case.Status.RESOLVED)
    return customer


def text_and_html(message):
    """The bodies as written (SMTP carries CRLF line ends)."""
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


def test_it_sends_a_manager_one_email_with_the_counts(sink, monday_morning, manager):
    manager.language = "en"
    manager.save()
    some_cases()

    assert digest.send_case_digest(now=timezone.now()) == 1

    [message] = sink.messages
    assert message["To"] == manager.email
    assert message["Subject"].strip() == "Case digest March 2, 2026: 2 open, 1 in progress, 2 overdue"
    assert message["Message-ID"] == f"<case-digest-2026-03-02-{manager.pk}@bank.example>"
    text, html = text_and_html(message)
    assert "Open: 2\nIn progress: 1\nOverdue: 2\n" in text
    assert "- Suspected fraud: 1 / 0 / 1\n" in text
    assert "- Personal data leak: 1 / 1 / 1\n" in text
    assert "The 2 most overdue cases:" in text
    # The most overdue first; dates in the bank's zone.
    assert text.index("1. Suspected fraud · Normal") < text.index("2. Personal data leak · Normal")
    assert "SLA due: 03/02/2026 3 a.m." in text
    assert "https://followup.bank.example/cases/" in text
    assert 'href="https://followup.bank.example/cases/"' in html
    assert "Personal data leak" in html


def test_it_writes_to_a_chinese_manager_in_chinese(sink, monday_morning, manager):
    assert manager.language == "zh-hans"
    some_cases()

    digest.send_case_digest(now=timezone.now())

    [message] = sink.messages
    assert message["Subject"].strip() == "案件日报 2026年3月2日：待处理 2 件，处理中 1 件，逾期 2 件"
    text, html = text_and_html(message)
    assert "疑似欺诈" in text and "疑似欺诈" in html
    assert "逾期: 2" in text
    assert 'lang="zh-Hans"' in html


def test_no_customer_personal_data_leaves_in_the_email(sink, monday_morning, manager):
    customer = some_cases()

    digest.send_case_digest(now=timezone.now())

    [message] = sink.messages
    everything = message.as_string() + "".join(text_and_html(message))
    for personal in (customer.name, customer.phone, customer.phone[3:], customer.email, customer.bank_reference):
        assert personal not in everything
    assert "says her card" not in everything


def test_it_names_the_owner_and_says_when_nobody_owns_a_case(sink, monday_morning, manager, agent):
    manager.language = "en"
    manager.save()
    a_case(hours_to_sla=-2, owner=agent)
    a_case(hours_to_sla=-1)

    digest.send_case_digest(now=timezone.now())

    text, _html = text_and_html(sink.messages[0])
    assert "Owner: Alice" in text and "Owner: Unassigned" in text


def test_it_lists_at_most_twenty_cases(sink, monday_morning, manager):
    manager.language = "en"
    manager.save()
    for hours in range(1, 23):
        a_case(hours_to_sla=-hours)

    digest.send_case_digest(now=timezone.now())

    text, _html = text_and_html(sink.messages[0])
    assert "Overdue: 22" in text and "The 20 most overdue cases:" in text
    assert "20. " in text and "21. " not in text


def test_an_agent_gets_no_digest(sink, monday_morning, manager, agent):
    some_cases()

    assert digest.send_case_digest(now=timezone.now()) == 1

    assert [message["To"] for message in sink.messages] == [manager.email]


def test_inactive_managers_and_managers_without_an_address_get_none(sink, monday_morning, manager):
    factories.UserFactory(username="mona", roles=["manager"], is_active=False)
    factories.UserFactory(username="max", roles=["manager"], email="")
    some_cases()

    assert digest.send_case_digest(now=timezone.now()) == 1
    assert [message["To"] for message in sink.messages] == [manager.email]


def test_a_second_run_the_same_day_sends_nothing(sink, monday_morning, manager):
    some_cases()
    assert digest.send_case_digest(now=timezone.now()) == 1

    monday_morning.shift(timedelta(hours=15, minutes=59))  # 23:59 in Shanghai, still Monday
    assert digest.send_case_digest(now=timezone.now()) == 0

    assert len(sink.messages) == 1


def test_the_next_local_day_sends_again(sink, monday_morning, manager):
    some_cases()
    digest.send_case_digest(now=timezone.now())

    monday_morning.shift(timedelta(hours=16))  # Tuesday 00:00 in Shanghai, still Monday in UTC
    try:
        assert digest.send_case_digest(now=timezone.now()) == 1
    finally:
        cache.delete(digest.claim_key(MONDAY_8.date() + timedelta(days=1)))

    assert len(sink.messages) == 2


def test_nothing_open_sends_nothing(sink, monday_morning, manager):
    a_case(hours_to_sla=-30, status=Case.Status.RESOLVED)

    assert digest.send_case_digest(now=timezone.now()) == 0

    assert sink.messages == []


def test_when_every_email_fails_the_day_is_released_for_a_retry(sink, monday_morning, manager):
    some_cases()
    sink.rcpt_answer = "451 4.3.0 Mailbox temporarily unavailable"

    with pytest.raises(SendError) as refused:
        digest.send_case_digest(now=timezone.now())
    assert refused.value.retryable

    sink.rcpt_answer = None
    assert digest.send_case_digest(now=timezone.now()) == 1
    assert len(sink.messages) == 1


def test_one_failing_address_does_not_stop_the_others(sink, monday_morning, manager):
    factories.UserFactory(username="mike", roles=["manager"], email="mike@bank.example\nBcc: x@example.com")
    some_cases()

    assert digest.send_case_digest(now=timezone.now()) == 1
    assert [message["To"] for message in sink.messages] == [manager.email]
