"""The dispatcher: claims, the re-check at the moment of contact, idempotent sends and recovery.

Times are Shanghai local unless said otherwise; 2026-03-11 is an ordinary Wednesday.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services as consent
from surveys import dispatch
from surveys.messaging import FileSmsBackend, SendError
from surveys.models import Campaign, ContactAttempt, FollowUp
from surveys.tokens import hash_token
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def contactable_customer(**fields):
    fields.setdefault("consent_given_at", at(9, day=1))
    fields.setdefault("consent_source", "enrolment")
    return factories.CustomerFactory(**fields)


def due_message(*, channel="sms", scheduled_for=None, campaign=None, customer=None, **fields):
    campaign = campaign or factories.CampaignFactory(channels=["sms", "email"])
    return factories.FollowUpFactory(
        campaign=campaign,
        customer=customer or contactable_customer(),
        channel=channel,
        scheduled_for=scheduled_for or timezone.now() - timedelta(minutes=5),
        **fields,
    )


def tick(now=None) -> dispatch.DispatchReport:
    return dispatch.dispatch_due_follow_ups(now=now or timezone.now())


@pytest.fixture
def wednesday_morning():
    with time_machine.travel(WEDNESDAY_10, tick=False) as traveller:
        yield traveller


# --- Sending ---------------------------------------------------------------------------------------------


def test_it_sends_a_due_sms_invitation_and_records_the_attempt(outbox, wednesday_morning):
    follow_up = due_message(customer=contactable_customer(language="en"))

    report = tick()

    follow_up.refresh_from_db()
    assert report.sent == 1
    assert follow_up.status == FollowUp.Status.INVITED
    assert follow_up.attempts == 1
    assert follow_up.claimed_by == "" and follow_up.claimed_at is None
    assert follow_up.expires_at == WEDNESDAY_10 + timedelta(days=14)
    attempt = follow_up.attempts_made.get()
    assert (attempt.number, attempt.channel, attempt.outcome) == (1, "sms", ContactAttempt.Outcome.SENT)
    [line] = outbox.lines()
    assert attempt.provider_message_id == line["message_id"]
    assert line["to"] == follow_up.customer.phone
    token = line["text"].split("/s/")[1].split("/")[0]
    assert hash_token(token) == attempt.link_token_hash
    assert attempt.verification_code in line["text"]
    assert "how was your experience" in line["text"]


def test_the_sms_is_in_the_customers_language(outbox, wednesday_morning):
    chinese = due_message(customer=contactable_customer(language="zh-hans")).customer
    english = due_message(customer=contactable_customer(language="en")).customer

    tick()

    # The survey's title in the customer's language (the message body follows the translation catalogue).
    texts = {line["to"]: line["text"] for line in outbox.lines()}
    assert texts[chinese.phone].startswith("钱包体验回访")
    assert texts[english.phone].startswith("Wallet experience follow-up: how was your experience")


def test_it_sends_an_email_invitation_through_djangos_mail_framework(outbox, wednesday_morning):
    follow_up = due_message(channel="email", customer=contactable_customer(language="en"))

    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED
    [message] = mail.outbox
    assert message.to == [follow_up.customer.email]
    assert message.subject == "Wallet experience follow-up: tell us how it went"
    assert follow_up.attempts_made.get().provider_message_id == message.extra_headers["Message-ID"]
    assert outbox.lines() == []


# --- Re-checked at the moment of contact -------------------------------------------------------------------


def test_a_message_whose_moment_passed_during_an_outage_is_rescheduled_not_sent_at_23_00(outbox):
    follow_up = due_message(scheduled_for=at(19, 50))

    with time_machine.travel(at(23, 0), tick=False):
        report = tick()

    follow_up.refresh_from_db()
    assert report.rescheduled == 1 and report.sent == 0
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == at(9, 0, day=12)
    assert outbox.lines() == []
    assert not ContactAttempt.objects.exists()


def test_a_rescheduled_message_goes_out_at_its_new_slot(outbox):
    follow_up = due_message(scheduled_for=at(19, 50))
    with time_machine.travel(at(23, 0), tick=False):
        tick()

    with time_machine.travel(at(9, 0, day=12), tick=False):
        tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED
    assert len(outbox.lines()) == 1


def test_a_customer_who_opted_out_meanwhile_is_not_sent_anything(outbox, wednesday_morning):
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms"]))
    consent.record_opt_out(customer=follow_up.customer, channels=("sms",), source="link")

    report = tick()

    follow_up.refresh_from_db()
    assert report.closed == 1
    assert follow_up.status == FollowUp.Status.CANCELLED
    assert follow_up.close_reason.startswith("opted_out")
    assert follow_up.closed_at == WEDNESDAY_10
    assert outbox.lines() == []


def test_a_customer_who_opted_out_of_sms_gets_the_campaigns_next_channel(outbox, wednesday_morning):
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms", "email"]))
    consent.record_opt_out(customer=follow_up.customer, channels=("sms",), source="link")

    tick()

    follow_up.refresh_from_db()
    assert follow_up.channel == "email"
    assert follow_up.status == FollowUp.Status.INVITED
    assert outbox.lines() == []
    assert len(mail.outbox) == 1


def test_a_do_not_contact_customer_is_closed_without_a_message(outbox, wednesday_morning):
    follow_up = due_message()
    consent.record_do_not_contact(customer=follow_up.customer, source="agent")

    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED
    assert follow_up.close_reason.startswith("do_not_contact")
    assert follow_up.closed_at is not None
    assert outbox.lines() == [] and mail.outbox == []


def test_an_event_follow_up_past_its_deadline_expires(outbox):
    customer = contactable_customer()
    event = factories.WalletEventFactory(customer=customer, occurred_at=at(10, 0, day=9))
    follow_up = due_message(customer=customer, wallet_event=event, scheduled_for=at(19, 0, day=10))

    with time_machine.travel(at(10, 30, day=11), tick=False):  # 48 h 30 min after the event
        tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.EXPIRED
    assert follow_up.close_reason.startswith("deadline_passed")
    assert outbox.lines() == []


def test_an_event_follow_up_whose_next_slot_is_past_its_deadline_expires(outbox):
    customer = contactable_customer()
    event = factories.WalletEventFactory(customer=customer, occurred_at=at(22, 30, day=9))
    follow_up = due_message(customer=customer, wallet_event=event, scheduled_for=at(19, 55, day=11))

    # 21:30 on the 11th: too late today, and the deadline (22:30) comes before tomorrow's 09:00.
    with time_machine.travel(at(21, 30), tick=False):
        tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.EXPIRED
    assert follow_up.close_reason.startswith("no_slot_before_deadline")
    assert outbox.lines() == []


def test_a_follow_up_of_a_campaign_that_has_ended_expires(outbox, wednesday_morning):
    campaign = factories.CampaignFactory(starts_at=at(9, day=1), ends_at=at(9, 30))
    follow_up = due_message(campaign=campaign)

    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.EXPIRED
    assert follow_up.close_reason.startswith("campaign_ended")


def test_a_paused_campaign_is_not_dispatched(outbox, wednesday_morning):
    follow_up = due_message(campaign=factories.CampaignFactory(status=Campaign.Status.PAUSED))

    report = tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PLANNED
    assert report.sent == 0
    assert outbox.lines() == []


def test_the_attempt_cap_holds_across_campaigns_and_channels(outbox, wednesday_morning):
    customer = contactable_customer()
    earlier = factories.FollowUpFactory(
        customer=customer, status=FollowUp.Status.COMPLETED, channel="phone", campaign__channels=["phone"]
    )
    first = at(10, day=1)
    for number, (channel, started_at) in enumerate(
        [("phone", first), ("phone", at(15, day=3)), ("email", at(11, day=5)), ("sms", at(9, 30, day=8))], start=1
    ):
        factories.ContactAttemptFactory(follow_up=earlier, number=number, channel=channel, started_at=started_at)
    follow_up = due_message(customer=customer)

    report = tick()

    follow_up.refresh_from_db()
    assert report.rescheduled == 1
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == first + timedelta(days=30)  # 10:00, inside the message window
    assert outbox.lines() == []


def test_failed_sends_do_not_count_towards_the_customers_cap(outbox, wednesday_morning):
    customer = contactable_customer()
    earlier = factories.FollowUpFactory(customer=customer, status=FollowUp.Status.UNREACHABLE, channel="sms")
    for number in range(1, 5):
        factories.ContactAttemptFactory(
            follow_up=earlier,
            number=number,
            channel="sms",
            started_at=at(10, day=number),
            outcome=ContactAttempt.Outcome.FAILED,
        )
    follow_up = due_message(customer=customer)

    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED


# --- Failures and retries ------------------------------------------------------------------------------------


class FailingSmsBackend:
    """Refuses every message; the test sets how."""

    retryable = True
    calls = 0

    def send(self, *, to, text, idempotency_key):
        type(self).calls += 1
        raise SendError("provider answered 503", retryable=type(self).retryable)


@pytest.fixture
def failing(settings, outbox):
    settings.SMS_BACKEND = f"{__name__}.FailingSmsBackend"
    FailingSmsBackend.calls = 0
    FailingSmsBackend.retryable = True
    return FailingSmsBackend


def test_a_retryable_failure_is_retried_later_and_then_sent(failing, settings, outbox, wednesday_morning):
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms"], max_attempts=3))

    report = tick()

    follow_up.refresh_from_db()
    assert report.failed == 1
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.attempts == 1
    assert follow_up.scheduled_for == WEDNESDAY_10 + timedelta(minutes=10)
    failed = follow_up.attempts_made.get()
    assert failed.outcome == ContactAttempt.Outcome.FAILED and "503" in failed.notes

    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    wednesday_morning.shift(timedelta(minutes=10))
    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED
    assert follow_up.attempts == 2
    assert list(follow_up.attempts_made.values_list("number", "outcome")) == [(1, "failed"), (2, "sent")]
    assert len(outbox.lines()) == 1


def test_retries_back_off_and_stop_at_the_campaigns_maximum(failing, wednesday_morning):
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms"], max_attempts=3))

    tick()
    wednesday_morning.shift(timedelta(minutes=10))
    tick()
    follow_up.refresh_from_db()
    assert follow_up.scheduled_for == WEDNESDAY_10 + timedelta(minutes=10 + 20)
    wednesday_morning.shift(timedelta(minutes=20))
    tick()

    follow_up.refresh_from_db()
    assert failing.calls == 3
    assert follow_up.status == FollowUp.Status.UNREACHABLE
    assert follow_up.attempts == 3
    assert follow_up.closed_at is not None
    assert "503" in follow_up.close_reason


def test_a_permanent_failure_moves_to_the_next_channel(failing, outbox, wednesday_morning):
    failing.retryable = False
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms", "email"]))

    tick()

    follow_up.refresh_from_db()
    assert follow_up.channel == "email"
    assert follow_up.status == FollowUp.Status.INVITED
    assert list(follow_up.attempts_made.values_list("channel", "outcome")) == [("sms", "failed"), ("email", "sent")]
    assert len(mail.outbox) == 1


def test_a_permanent_failure_without_another_channel_closes_the_follow_up_as_unreachable(failing, wednesday_morning):
    failing.retryable = False
    follow_up = due_message(campaign=factories.CampaignFactory(channels=["sms"]))

    tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.UNREACHABLE
    assert follow_up.close_reason.startswith("send_failed")


# --- Throttle -----------------------------------------------------------------------------------------------


def test_messages_are_throttled_per_campaign_and_the_rest_wait_for_the_next_tick(outbox, wednesday_morning):
    slow = factories.CampaignFactory(channels=["sms"], messages_per_minute=2)
    follow_ups = [due_message(campaign=slow) for _ in range(5)]
    other = due_message()

    report = tick()

    assert report.sent == 3 and report.deferred >= 1
    statuses = sorted(FollowUp.objects.filter(campaign=slow).values_list("status", flat=True))
    assert statuses == ["invited", "invited", "planned", "planned", "planned"]
    other.refresh_from_db()
    assert other.status == FollowUp.Status.INVITED

    wednesday_morning.shift(timedelta(minutes=1))
    tick()
    assert FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups], status="invited").count() == 4


# --- Idempotency and recovery ------------------------------------------------------------------------------


def test_dispatching_twice_sends_each_invitation_once(outbox, wednesday_morning):
    follow_ups = [due_message() for _ in range(3)]

    first, second = tick(), tick()

    assert (first.sent, second.sent) == (3, 0)
    assert len(outbox.lines()) == 3
    assert ContactAttempt.objects.count() == 3
    assert all(f.attempts_made.count() == 1 for f in follow_ups)


def test_two_claims_never_share_a_row(wednesday_morning):
    for _ in range(6):
        due_message()
    now = timezone.now()

    first = dispatch.claim_due_follow_ups(now=now, limit=4, claim_id="dispatch:a", exclude_campaigns=set())
    second = dispatch.claim_due_follow_ups(now=now, limit=4, claim_id="dispatch:b", exclude_campaigns=set())

    assert len(first) == 4 and len(second) == 2
    assert not set(first) & set(second)
    assert FollowUp.objects.filter(status="in_progress", claimed_by="dispatch:a").count() == 4


class CrashAfterSendingBackend(FileSmsBackend):
    """The provider accepts the message, then the worker dies before recording it."""

    def send(self, *, to, text, idempotency_key):
        super().send(to=to, text=text, idempotency_key=idempotency_key)
        raise RuntimeError("worker killed")


def test_a_crash_between_queued_and_sent_is_recovered_without_a_second_sms(settings, outbox, wednesday_morning):
    follow_up = due_message()
    settings.SMS_BACKEND = f"{__name__}.CrashAfterSendingBackend"

    with pytest.raises(RuntimeError):
        tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.IN_PROGRESS
    attempt = follow_up.attempts_made.get()
    assert attempt.outcome == ContactAttempt.Outcome.QUEUED
    token_hash = attempt.link_token_hash
    [sent] = outbox.lines()

    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    assert dispatch.recover_abandoned_claims(now=timezone.now()).sent == 0  # not abandoned yet
    wednesday_morning.shift(timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1))
    report = dispatch.recover_abandoned_claims(now=timezone.now())

    follow_up.refresh_from_db()
    attempt.refresh_from_db()
    assert report.sent == 1
    assert follow_up.status == FollowUp.Status.INVITED and follow_up.attempts == 1
    assert attempt.link_token_hash == token_hash  # the link the customer holds still works
    assert attempt.outcome == ContactAttempt.Outcome.SENT
    assert attempt.provider_message_id == sent["message_id"]
    assert outbox.lines() == [sent]
    assert dispatch.recover_abandoned_claims(now=timezone.now()).sent == 0
    assert tick().sent == 0


def test_a_recovered_attempt_is_not_resent_outside_the_window(settings, outbox):
    follow_up = due_message(scheduled_for=at(19, 55))
    settings.SMS_BACKEND = f"{__name__}.CrashAfterSendingBackend"
    with time_machine.travel(at(19, 58), tick=False), pytest.raises(RuntimeError):
        tick()
    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"

    with time_machine.travel(at(23, 0), tick=False):
        dispatch.recover_abandoned_claims(now=timezone.now())

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == at(9, 0, day=12)
    assert follow_up.attempts_made.get().outcome == ContactAttempt.Outcome.QUEUED

    with time_machine.travel(at(9, 0, day=12), tick=False):
        tick()

    follow_up.refresh_from_db()
    attempt = follow_up.attempts_made.get()  # the same attempt, resent with the same key: still one SMS
    assert (follow_up.status, attempt.outcome) == (FollowUp.Status.INVITED, ContactAttempt.Outcome.SENT)
    assert len(outbox.lines()) == 1


def test_recovery_puts_a_claim_without_an_attempt_back_to_planned(settings, wednesday_morning):
    follow_up = due_message()
    dispatch.claim_due_follow_ups(now=timezone.now(), limit=10, claim_id="dispatch:dead", exclude_campaigns=set())

    wednesday_morning.shift(timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1))
    report = dispatch.recover_abandoned_claims(now=timezone.now())

    follow_up.refresh_from_db()
    assert report.rescheduled == 1
    assert (follow_up.status, follow_up.claimed_by, follow_up.claimed_at) == (FollowUp.Status.PLANNED, "", None)


def test_recovery_leaves_rows_held_by_someone_other_than_the_dispatcher_alone(settings, wednesday_morning):
    follow_up = due_message(status=FollowUp.Status.IN_PROGRESS, claimed_at=timezone.now(), claimed_by="agent:alice")

    wednesday_morning.shift(timedelta(hours=2))
    dispatch.recover_abandoned_claims(now=timezone.now())

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.IN_PROGRESS and follow_up.claimed_by == "agent:alice"


# --- Calls -----------------------------------------------------------------------------------------------------


def test_a_due_call_that_may_be_made_now_stays_in_the_queue(wednesday_morning):
    follow_up = factories.FollowUpFactory(customer=contactable_customer(), channel="phone")
    scheduled_for = follow_up.scheduled_for

    report = tick()

    follow_up.refresh_from_db()
    assert report.calls_checked == 1
    assert (follow_up.status, follow_up.scheduled_for) == (FollowUp.Status.PLANNED, scheduled_for)
    assert not ContactAttempt.objects.exists()


def test_a_due_call_at_night_moves_to_the_next_allowed_call_slot():
    follow_up = factories.FollowUpFactory(customer=contactable_customer(), channel="phone", scheduled_for=at(19, 30))

    with time_machine.travel(at(22, 0), tick=False):
        tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == at(9, 0, day=12)


def test_a_requested_call_back_is_honoured_outside_the_call_windows(wednesday_morning):
    follow_up = factories.FollowUpFactory(
        customer=contactable_customer(), channel="phone", status=FollowUp.Status.AWAITING_CALLBACK
    )

    with time_machine.travel(at(12, 30), tick=False):  # the lunch break: no ordinary calls, but they asked
        tick()
        follow_up.refresh_from_db()
        assert follow_up.scheduled_for < timezone.now()
    with time_machine.travel(at(21, 30), tick=False):  # quiet hours win even over a call-back
        follow_up.scheduled_for = at(21, 20)
        follow_up.save()
        tick()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.AWAITING_CALLBACK
    assert follow_up.scheduled_for == at(9, 0, day=12)


def test_a_due_call_to_a_customer_who_opted_out_of_calls_moves_to_the_next_channel(outbox, wednesday_morning):
    follow_up = factories.FollowUpFactory(
        customer=contactable_customer(), channel="phone", campaign__channels=["phone", "sms"]
    )
    consent.record_opt_out(customer=follow_up.customer, channels=("phone",), source="agent")

    tick()

    follow_up.refresh_from_db()
    assert follow_up.channel == "sms"
    assert follow_up.status == FollowUp.Status.INVITED
    assert len(outbox.lines()) == 1


def test_a_message_waits_rather_than_closes_when_next_years_holiday_calendar_is_not_published(outbox):
    # 23:00 on New Year's Eve: the next allowed SMS time is in 2027, whose official schedule is not known yet.
    follow_up = due_message(scheduled_for=datetime(2026, 12, 31, 19, 0, tzinfo=SHANGHAI))

    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False):
        report = tick()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PLANNED
    assert follow_up.scheduled_for == datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)  # re-checked in an hour
    assert report.failed == 1 and report.sent == 0
    assert outbox.lines() == []
