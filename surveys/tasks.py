"""Celery tasks: thin interfaces that take ids, call the service of the same name, and own retries.

Every task is idempotent: planning claims the campaign with a conditional update, the dispatcher
claims follow-ups with row locks, so a duplicated or redelivered message does nothing twice.
Services are imported inside the tasks so that loading this module stays cheap for beat.
"""

import time

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from wallet_followup.queues import MESSAGES, queue_name


@shared_task(name="surveys.plan_campaign", soft_time_limit=25 * 60, time_limit=30 * 60)
def plan_campaign(campaign_id: int) -> None:
    from surveys import planning

    planning.plan_campaign(campaign_id=campaign_id)


@shared_task(name="surveys.plan_follow_ups_for_event")
def plan_follow_ups_for_event(wallet_event_id: int) -> None:
    """Kept for messages queued before events were planned in batches: it runs the batch planner, which
    claims its events (SKIP LOCKED), so it never plans an event a batch worker is planning at the same time."""
    from surveys import planning

    planning.plan_pending_event_follow_ups(now=timezone.now())


@shared_task(name="surveys.plan_pending_event_follow_ups")
def plan_pending_event_follow_ups() -> None:
    """Plan the events received and not planned yet: asked for as events arrive, and beat's safety net."""
    from surveys import planning

    planning.plan_pending_event_follow_ups(now=timezone.now())


# Asking for the planning of new events costs one Redis round trip at most twice a second per web process,
# where a message per event cost more than storing the event. Why no event is missed: a request sets the
# key for 1 s and its run starts 2 s later, so an event that found the key set, or whose process asked less
# than half a second before, was committed before a requested run begins (and that run plans until nothing
# is left). A request lost on the way is made up by beat's run every minute.
EVENT_PLANNING_KEY = "surveys:event-planning-requested"
_ASK_AGAIN_AFTER = 0.5
_asked_at = float("-inf")


def request_event_planning() -> None:
    """Ask a worker to plan the wallet events received so far (after their commit)."""
    global _asked_at
    now = time.monotonic()
    if now - _asked_at < _ASK_AGAIN_AFTER:
        return
    _asked_at = now
    if cache.add(EVENT_PLANNING_KEY, True, timeout=1):
        plan_pending_event_follow_ups.apply_async(countdown=2)


def forget_event_planning_request() -> None:
    """For tests: the next event asks again at once."""
    global _asked_at
    _asked_at = float("-inf")
    cache.delete(EVENT_PLANNING_KEY)


@shared_task(name="surveys.dispatch_due_follow_ups")
def dispatch_due_follow_ups() -> None:
    """Beat, every DISPATCH_INTERVAL_SECONDS: claim and record due messages; the messages queue sends them."""
    from surveys import dispatch

    dispatch.dispatch_due_follow_ups(now=timezone.now(), hand_over=_send_on_messages_queue)


@shared_task(name="surveys.recover_abandoned_claims")
def recover_abandoned_claims() -> None:
    from surveys import dispatch

    dispatch.recover_abandoned_claims(now=timezone.now(), hand_over=_send_on_messages_queue)


@shared_task(name="surveys.send_invitations")
def send_invitations(claim_id: str) -> None:
    """On the messages queue: hand a recorded claim's SMS and e-mails to the provider and the SMTP server.

    A message lost on the way (or a worker killed while sending) leaves the rows claimed; recovery takes
    them over after CLAIM_TIMEOUT_SECONDS and hands them over again.
    """
    from surveys import dispatch

    dispatch.send_claimed_messages(claim_id=claim_id, now=timezone.now())


class _MessagesQueue:
    """The dispatcher's hand-over (surveys.dispatch.HandOver): a send_invitations message per recorded claim,
    and backpressure from the broker's count of the messages waiting on the messages queue."""

    def __call__(self, claim_id: str) -> None:
        send_invitations.delay(claim_id=claim_id)

    def backed_up(self) -> bool:
        from django.conf import settings

        return waiting_messages(queue_name(MESSAGES)) >= settings.DISPATCH_MAX_WAITING_CLAIMS


def waiting_messages(queue: str) -> int:
    """How many messages wait on ``queue`` (not those a worker holds); 0 when it does not exist yet."""
    from wallet_followup.celery import app

    with app.connection_for_write() as connection:
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            return 0


_send_on_messages_queue = _MessagesQueue()


@shared_task(name="surveys.advance_campaign_schedules")
def advance_campaign_schedules() -> None:
    """Beat, every minute: start scheduled campaigns whose time has come, finish those whose end has passed."""
    from surveys import services

    services.advance_campaign_schedules(now=timezone.now())


@shared_task(name="surveys.queue_due_reminders")
def queue_due_reminders() -> None:
    """Beat, every five minutes: invited customers who have not answered get their reminder queued."""
    from surveys import reminders

    reminders.queue_due_reminders(now=timezone.now())


@shared_task(name="surveys.expire_unanswered")
def expire_unanswered() -> None:
    """Beat, every fifteen minutes: follow-ups whose links expired unanswered are closed."""
    from surveys import reminders

    reminders.expire_unanswered(now=timezone.now())


@shared_task(name="surveys.send_case_digest", bind=True, max_retries=6)
def send_case_digest(self) -> None:
    """Beat, daily at 08:30 Shanghai: the managers' case digest, at most once per Shanghai date."""
    from surveys import digest
    from surveys.messaging import SendError

    try:
        digest.send_case_digest(now=timezone.now())
    except SendError as exc:
        # Every e-mail failed, so nobody got one and the day's claim was released: try again later.
        if not exc.retryable:
            raise
        raise self.retry(countdown=15 * 60) from exc
