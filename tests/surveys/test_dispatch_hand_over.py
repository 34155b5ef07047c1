"""The dispatcher split across queues: the tick records a claim, the messages queue sends it.

``dispatch_due_follow_ups(hand_over=…)`` is what the dispatch queue's task runs; ``send_claimed_messages``
is what ``surveys.send_invitations`` runs on the messages queue, possibly much later. Times are Shanghai
local; 2026-03-11 is an ordinary Wednesday; messages may go out 09:00–20:00.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services as consent
from surveys import dispatch
from surveys.messaging import FileSmsBackend
from surveys.models import ContactAttempt, FollowUp
from tests import factories
from tests.surveys.test_dispatch import WEDNESDAY_10, at, due_message

pytestmark = pytest.mark.django_db

Status = FollowUp.Status
Outcome = ContactAttempt.Outcome


class HandOver:
    """Collects the claims a tick hands over, as the messages queue would receive them."""

    def __init__(self, *, room: int = 1_000) -> None:
        self.claims: list[str] = []
        self.room = room  # claims the queue takes before it is backed up

    def __call__(self, claim_id: str) -> None:
        self.claims.append(claim_id)

    def backed_up(self) -> bool:
        return len(self.claims) >= self.room

    def send_all(self, now=None) -> dispatch.DispatchReport:
        report = dispatch.DispatchReport()
        for claim_id in self.claims:
            report.add(dispatch.send_claimed_messages(claim_id=claim_id, now=now or timezone.now()))
        return report


@pytest.fixture
def wednesday_morning():
    with time_machine.travel(WEDNESDAY_10, tick=False) as traveller:
        yield traveller


def test_the_tick_records_the_invitations_and_the_messages_queue_sends_each_once(outbox, wednesday_morning):
    follow_ups = [due_message() for _ in range(3)]
    hand_over = HandOver()

    report = dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=hand_over)

    assert (report.handed_over, report.sent) == (3, 0)
    assert len(hand_over.claims) == 1
    assert outbox.lines() == [], "the dispatch queue must not send"
    assert set(FollowUp.objects.values_list("status", flat=True)) == {Status.IN_PROGRESS}
    assert set(ContactAttempt.objects.values_list("outcome", flat=True)) == {Outcome.QUEUED}

    assert hand_over.send_all().sent == 3
    assert hand_over.send_all().sent == 0, "a claim delivered twice sends nothing twice"
    assert sorted(line["to"] for line in outbox.lines()) == sorted(f.customer.phone for f in follow_ups)
    assert set(FollowUp.objects.values_list("status", flat=True)) == {Status.INVITED}


def test_a_claim_sent_after_the_window_closed_waits_for_the_next_window_with_the_same_link(outbox):
    follow_up = due_message(scheduled_for=at(19, 50))
    hand_over = HandOver()
    with time_machine.travel(at(19, 55), tick=False):
        dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=hand_over)
    recorded = follow_up.attempts_made.get()

    with time_machine.travel(at(20, 30), tick=False):  # the messages queue was backed up
        report = hand_over.send_all()

    follow_up.refresh_from_db()
    assert report.sent == 0 and report.rescheduled == 1
    assert outbox.lines() == []
    assert follow_up.status == Status.PLANNED
    assert follow_up.scheduled_for == at(9, 0, day=12)
    assert follow_up.attempts_made.get().outcome == Outcome.QUEUED

    with time_machine.travel(at(9, 1, day=12), tick=False):
        dispatch.dispatch_due_follow_ups(now=timezone.now())
    [line] = outbox.lines()
    assert follow_up.attempts_made.get().pk == recorded.pk, "the recorded attempt (and its link) is reused"
    assert follow_up.attempts_made.get().outcome == Outcome.SENT


def test_a_customer_who_opts_out_before_the_messages_queue_sends_gets_nothing(outbox, wednesday_morning):
    follow_up = due_message()
    hand_over = HandOver()
    dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=hand_over)

    consent.record_do_not_contact(customer=follow_up.customer, source="agent", note="asked on the phone")
    hand_over.send_all()

    follow_up.refresh_from_db()
    assert outbox.lines() == []
    assert follow_up.status == Status.CANCELLED


def test_a_claim_that_recovery_took_over_is_sent_once_by_the_recovered_claim(settings, outbox, wednesday_morning):
    due_message()
    late, recovered = HandOver(), HandOver()
    dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=late)

    wednesday_morning.shift(timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1))
    dispatch.recover_abandoned_claims(now=timezone.now(), hand_over=recovered)
    assert late.send_all().sent == 0, "the first claim is no longer ours"
    assert recovered.send_all().sent == 1
    assert late.send_all().sent == 0
    assert len(outbox.lines()) == 1


class ShiftingSmsBackend(FileSmsBackend):
    """A provider so slow that each message takes ten minutes of the clock."""

    traveller = None

    def send(self, *, to, text, idempotency_key):
        message_id = super().send(to=to, text=text, idempotency_key=idempotency_key)
        self.traveller.shift(timedelta(minutes=10))
        return message_id


def test_sending_that_runs_past_the_window_stops_at_the_window_end(settings, outbox):
    settings.SMS_BACKEND = f"{__name__}.ShiftingSmsBackend"
    campaign = factories.CampaignFactory(channels=["sms"])
    follow_ups = [due_message(campaign=campaign, scheduled_for=at(19, 30)) for _ in range(4)]

    with time_machine.travel(at(19, 45), tick=False) as traveller:
        ShiftingSmsBackend.traveller = traveller
        report = dispatch.dispatch_due_follow_ups(now=timezone.now())

    # 19:45 and 19:55 went out; at 20:05 the window had closed: the rest wait for tomorrow's window.
    assert report.sent == 2
    assert len(outbox.lines()) == 2
    rows = FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups])
    assert rows.filter(status=Status.INVITED).count() == 2
    assert (
        list(rows.exclude(status=Status.INVITED).values_list("status", "scheduled_for"))
        == [(Status.PLANNED, at(9, 0, day=12))] * 2
    )


class BrokenAfterTwo:
    """Django's mail framework failing with an unexpected error on the third e-mail (a crash stand-in)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if len(mail.outbox) >= 2:
            raise RuntimeError("worker crashed")
        mail.outbox.extend(messages)
        return len(messages)


def test_each_email_is_recorded_as_sent_as_soon_as_the_server_took_it(settings, outbox, wednesday_morning):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenAfterTwo"
    mail.outbox = []
    campaign = factories.CampaignFactory(channels=["email"])
    for _ in range(4):
        due_message(campaign=campaign, channel="email")

    with pytest.raises(RuntimeError):
        dispatch.dispatch_due_follow_ups(now=timezone.now())

    # The two accepted e-mails are recorded, so recovery will not send them again; the rest stay claimed.
    assert FollowUp.objects.filter(status=Status.INVITED).count() == 2
    assert ContactAttempt.objects.filter(outcome=Outcome.SENT).count() == 2
    assert FollowUp.objects.filter(status=Status.IN_PROGRESS).count() == 2


def test_the_tick_records_no_more_claims_while_the_messages_queue_is_backed_up(settings, monkeypatch, outbox):
    settings.DISPATCH_BATCH_SIZE = 2
    monkeypatch.setattr(dispatch, "BACKED_UP_PATIENCE_SECONDS", 0.2)
    campaign = factories.CampaignFactory(channels=["sms"], messages_per_minute=1_000)
    with time_machine.travel(WEDNESDAY_10, tick=True):
        for _ in range(7):
            due_message(campaign=campaign)
        hand_over = HandOver(room=2)

        report = dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=hand_over)

        assert report.backed_up and report.handed_over == 4
        assert FollowUp.objects.filter(status=Status.IN_PROGRESS).count() == 4
        assert FollowUp.objects.filter(status=Status.PLANNED).count() == 3, "left due for a later tick"

        hand_over.send_all()  # the senders catch up
        caught_up = HandOver()
        report = dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=caught_up)
        assert report.handed_over == 3 and not report.backed_up
        caught_up.send_all()
    assert len(outbox.lines()) == 7
    assert set(FollowUp.objects.values_list("status", flat=True)) == {Status.INVITED}


def test_recovery_leaves_old_claims_alone_while_the_messages_queue_is_backed_up(settings, wednesday_morning, outbox):
    due_message()
    waiting = HandOver()
    dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=waiting)
    wednesday_morning.shift(timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1))

    report = dispatch.recover_abandoned_claims(now=timezone.now(), hand_over=HandOver(room=0))

    assert report.backed_up
    assert waiting.send_all().sent == 1, "the waiting claim is still its own and is sent when its turn comes"
    assert len(outbox.lines()) == 1
