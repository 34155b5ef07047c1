"""Reminders to customers who have not answered, and the expiry of their links.

Shanghai times; 2026-03-11 is an ordinary Wednesday.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from surveys import reminders
from surveys.links import LinkState, resolve_link
from surveys.models import Campaign, ContactAttempt, FollowUp
from surveys.tokens import hash_token
from tests import factories
from tests.surveys.test_dispatch import WEDNESDAY_10, at, contactable_customer, due_message, tick

pytestmark = pytest.mark.django_db


def _token(line: dict) -> str:
    return line["text"].split("/s/")[1].split("/")[0]


def _remind_and_send():
    reminders.queue_due_reminders(now=timezone.now())
    return tick()


def test_a_customer_who_has_not_answered_gets_a_reminder_with_a_new_link_and_the_old_one_still_works(outbox):
    with time_machine.travel(WEDNESDAY_10, tick=False) as clock:
        follow_up = due_message()
        tick()
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUp.Status.INVITED
        assert follow_up.scheduled_for == WEDNESDAY_10 + timedelta(days=3)  # the reminder's moment

        clock.move_to(at(10, day=13))  # Friday: not yet three days
        assert _remind_and_send().sent == 0

        clock.move_to(at(10, 5, day=14))  # Saturday morning: three days have passed
        report = _remind_and_send()

    follow_up.refresh_from_db()
    assert report.sent == 1
    assert follow_up.status == FollowUp.Status.INVITED and follow_up.attempts == 2
    first, second = outbox.lines()
    assert _token(first) != _token(second)
    attempts = list(follow_up.attempts_made.order_by("number"))
    assert [a.outcome for a in attempts] == [ContactAttempt.Outcome.SENT] * 2
    assert attempts[1].link_token_hash == hash_token(_token(second))
    assert follow_up.expires_at == WEDNESDAY_10 + timedelta(days=14)  # a reminder does not extend the link
    with time_machine.travel(at(12, day=14), tick=False):
        assert resolve_link(_token(first), now=timezone.now()).state == LinkState.OPEN
        assert resolve_link(_token(second), now=timezone.now()).follow_up == follow_up


def test_reminders_stop_at_the_campaigns_maximum_attempts(outbox):
    campaign = factories.CampaignFactory(channels=["sms"], max_attempts=2, remind_after=timedelta(days=2))
    with time_machine.travel(WEDNESDAY_10, tick=False) as clock:
        follow_up = due_message(campaign=campaign)
        tick()
        clock.move_to(at(10, day=13))
        assert _remind_and_send().sent == 1
        clock.move_to(at(10, day=20))
        assert _remind_and_send().sent == 0

    follow_up.refresh_from_db()
    assert follow_up.attempts == 2 and follow_up.scheduled_for is None
    assert len(outbox.lines()) == 2


def test_a_reminder_waits_for_the_customers_window_instead_of_arriving_at_night(outbox):
    with time_machine.travel(WEDNESDAY_10, tick=False) as clock:
        follow_up = due_message()
        tick()
        clock.move_to(at(22, day=14))  # Saturday 22:00: due, but nobody is messaged at night
        assert _remind_and_send().sent == 0
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUp.Status.PLANNED
        assert timezone.localtime(follow_up.scheduled_for, at(0).tzinfo).hour >= 9

        clock.move_to(follow_up.scheduled_for + timedelta(minutes=1))
        assert tick().sent == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"status": FollowUp.Status.COMPLETED}, id="answered"),
        pytest.param({"campaign_status": Campaign.Status.PAUSED}, id="campaign-paused"),
        pytest.param({"expires_in": timedelta(hours=12)}, id="link-expires-within-a-day"),
        pytest.param({"campaign_remind_after": None}, id="campaign-without-reminders"),
    ],
)
def test_no_reminder_is_queued_when_it_would_not_help(change):
    now = timezone.now()
    campaign = factories.CampaignFactory(
        status=change.get("campaign_status", Campaign.Status.RUNNING),
        remind_after=change.get("campaign_remind_after", timedelta(days=3)),
    )
    follow_up = factories.FollowUpFactory(
        campaign=campaign,
        channel="sms",
        status=change.get("status", FollowUp.Status.INVITED),
        attempts=1,
        scheduled_for=now - timedelta(minutes=1),
        expires_at=now + change.get("expires_in", timedelta(days=10)),
    )

    assert reminders.queue_due_reminders(now=now) == 0
    follow_up.refresh_from_db()
    assert follow_up.status == change.get("status", FollowUp.Status.INVITED)


def test_an_event_follow_up_past_its_deadline_is_not_reminded():
    now = timezone.now()
    event = factories.WalletEventFactory(occurred_at=now - timedelta(days=3))
    follow_up = factories.FollowUpFactory(
        campaign=factories.CampaignFactory(deadline=timedelta(hours=48)),
        customer=event.customer,
        wallet_event=event,
        channel="sms",
        status=FollowUp.Status.INVITED,
        attempts=1,
        scheduled_for=now - timedelta(minutes=1),
        expires_at=now + timedelta(days=10),
    )

    assert reminders.queue_due_reminders(now=now) == 0
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.INVITED


def test_unanswered_follow_ups_close_as_expired_when_their_links_expire_and_free_the_customer():
    now = timezone.now()
    customer = contactable_customer()
    expired = factories.FollowUpFactory(
        customer=customer, channel="sms", status=FollowUp.Status.INVITED, expires_at=now - timedelta(minutes=1)
    )
    answered = factories.ResponseFactory(
        follow_up__status=FollowUp.Status.COMPLETED, follow_up__expires_at=now - timedelta(days=1)
    ).follow_up
    still_valid = factories.FollowUpFactory(
        channel="sms", status=FollowUp.Status.INVITED, expires_at=now + timedelta(days=1)
    )

    assert reminders.expire_unanswered(now=now) == 1

    expired.refresh_from_db()
    assert expired.status == FollowUp.Status.EXPIRED and expired.closed_at == now
    assert expired.close_reason == "link_expired"
    assert FollowUp.objects.get(pk=answered.pk).status == FollowUp.Status.COMPLETED
    assert FollowUp.objects.get(pk=still_valid.pk).status == FollowUp.Status.INVITED
    factories.FollowUpFactory(customer=customer)  # one open follow-up per customer: there is room again
