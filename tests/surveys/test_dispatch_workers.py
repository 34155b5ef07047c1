"""The dispatcher in real Celery worker processes: racing workers and a worker killed mid-batch.

The pattern of tests/ops/test_celery_processes.py: subprocess workers on a queue of our own, the same
VAR_DIR and the test database; the broker is the embedded file transport, or Redis when REDIS_URL is
set. The workers run on the real clock, so the customers live in a fixed-offset zone where it is
around noon now, under a policy that also allows holidays: the messages are due and allowed whenever
the suite runs.
"""

import json
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ops.models import Heartbeat
from surveys import dispatch
from surveys.messaging import FileSmsBackend
from surveys.models import Campaign, ContactAttempt, FollowUp
from surveys.tasks import dispatch_due_follow_ups
from tests import factories
from tests.processes import CeleryProcesses, use_own_queue, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]


class SlowFileSmsBackend(FileSmsBackend):
    """The file backend at a slow provider's pace, so a kill lands in the middle of a batch."""

    def send(self, *, to, text, idempotency_key):
        time.sleep(0.05)
        return super().send(to=to, text=text, idempotency_key=idempotency_key)


@pytest.fixture
def outbox(settings, tmp_path):
    path = tmp_path / "sms-outbox.jsonl"
    settings.SMS_BACKEND = "surveys.messaging.FileSmsBackend"
    settings.SMS_FILE_PATH = str(path)
    return path


def outbox_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


@pytest.fixture
def queue(settings):
    yield from use_own_queue(settings, prefix="test-dispatch")


@pytest.fixture
def start_worker(queue, outbox):
    processes = CeleryProcesses(queue)

    def _start(
        sms_backend: str = "surveys.messaging.FileSmsBackend", batch_size: int = 20, queues: str = ""
    ) -> subprocess.Popen:
        only = ["-Q", ",".join(f"{queue}{kind}" for kind in queues.split(","))] if queues else []
        return processes.start(
            "worker",
            *only,
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            SMS_BACKEND=sms_backend,
            SMS_FILE_PATH=str(outbox),
            DISPATCH_BATCH_SIZE=str(batch_size),
            # These tests race one tick's claims; backpressure (tested in test_dispatch_hand_over) is off.
            DISPATCH_MAX_WAITING_CLAIMS="1000",
        )

    yield _start
    processes.stop_all()


def wait_until_workers_run(count: int) -> None:
    # Each worker records a heartbeat when it is up; one row per component, so wait for a fresh one.
    assert wait_for(lambda: Heartbeat.objects.filter(component="worker").exists()), "no worker started"
    time.sleep(1.0 if count == 1 else 2.0)


def noon_zone() -> str:
    """A fixed-offset zone where it is between 12:00 and 13:00 now (Etc/GMT-8 is UTC+8)."""
    offset = 12 - timezone.now().hour
    if offset > 12:
        offset -= 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def due_sms(count: int) -> list[FollowUp]:
    campaign = factories.CampaignFactory(
        channels=["sms"],
        contact_policy="united_states",  # a calendar known for every year: the workers run on the real clock
        allow_holidays=True,
        messages_per_minute=100_000,
        status=Campaign.Status.RUNNING,
    )
    zone, now = noon_zone(), timezone.now()
    follow_ups = []
    for index in range(count):
        customer = factories.CustomerFactory(
            time_zone=zone,
            phone=f"+86137{index:08d}",
            consent_given_at=now - timedelta(days=30),
            consent_source="enrolment",
        )
        follow_ups.append(
            FollowUp(campaign=campaign, customer=customer, channel="sms", scheduled_for=now - timedelta(minutes=1))
        )
    return FollowUp.objects.bulk_create(follow_ups)


def assert_each_sent_exactly_once(follow_ups: list[FollowUp], outbox: Path) -> None:
    assert set(FollowUp.objects.values_list("status", flat=True)) == {FollowUp.Status.INVITED}
    attempts = list(ContactAttempt.objects.values_list("follow_up_id", "outcome"))
    assert sorted(follow_up_id for follow_up_id, _outcome in attempts) == sorted(f.pk for f in follow_ups)
    assert {outcome for _id, outcome in attempts} == {ContactAttempt.Outcome.SENT}
    lines = outbox_lines(outbox)
    assert len(lines) == len(follow_ups)
    assert sorted(line["to"] for line in lines) == sorted(f.customer.phone for f in follow_ups)
    sent_ids = set(ContactAttempt.objects.values_list("provider_message_id", flat=True))
    assert sent_ids == {line["message_id"] for line in lines}


def test_two_workers_racing_over_the_same_due_messages_send_each_invitation_once(start_worker, outbox):
    follow_ups = due_sms(200)
    start_worker()
    start_worker()
    wait_until_workers_run(2)

    for _ in range(6):  # duplicated ticks, picked up by both workers
        dispatch_due_follow_ups.delay()

    finished = wait_for(lambda: not FollowUp.objects.exclude(status=FollowUp.Status.INVITED).exists())
    assert finished, f"not all sent: {len(outbox_lines(outbox))} lines in the outbox"
    time.sleep(1.0)  # let the remaining duplicated ticks run: they must find nothing to send
    assert_each_sent_exactly_once(follow_ups, outbox)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(start_worker, outbox, settings):
    follow_ups = due_sms(100)
    worker = start_worker(sms_backend=f"{__name__}.SlowFileSmsBackend", batch_size=10)
    wait_until_workers_run(1)

    dispatch_due_follow_ups.delay()
    assert wait_for(lambda: len(outbox_lines(outbox)) >= 15, step=0.02), "the worker never started sending"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    sent_before = len(outbox_lines(outbox))
    assert 15 <= sent_before < 100, "the kill did not land mid-way"
    # The tick recorded every batch and handed them to the messages queue; the sender died mid-way.
    assert FollowUp.objects.filter(status=FollowUp.Status.IN_PROGRESS).exists()

    later = timezone.now() + timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1)
    dispatch.recover_abandoned_claims(now=later)
    assert not FollowUp.objects.filter(status=FollowUp.Status.IN_PROGRESS).exists()

    start_worker()
    wait_until_workers_run(1)
    dispatch_due_follow_ups.delay()

    finished = wait_for(lambda: not FollowUp.objects.exclude(status=FollowUp.Status.INVITED).exists())
    assert finished, f"not all sent: {len(outbox_lines(outbox))} lines in the outbox"
    assert_each_sent_exactly_once(follow_ups, outbox)


def test_the_dispatch_queue_records_the_invitations_and_the_messages_queue_sends_them(start_worker, outbox):
    follow_ups = due_sms(30)
    start_worker(queues="dispatch")
    wait_until_workers_run(1)

    dispatch_due_follow_ups.delay()
    recorded = wait_for(lambda: ContactAttempt.objects.count() == 30)
    assert recorded, "the dispatch worker did not claim and record the due invitations"
    time.sleep(1.0)
    assert outbox_lines(outbox) == [], "the dispatch worker sent messages itself"
    assert set(FollowUp.objects.values_list("status", flat=True)) == {FollowUp.Status.IN_PROGRESS}

    start_worker(queues="messages")
    finished = wait_for(lambda: not FollowUp.objects.exclude(status=FollowUp.Status.INVITED).exists())
    assert finished, f"the messages worker did not send them: {len(outbox_lines(outbox))} lines in the outbox"
    assert_each_sent_exactly_once(follow_ups, outbox)


def test_the_broker_counts_the_claims_waiting_on_the_messages_queue(queue):
    from surveys.tasks import send_invitations, waiting_messages
    from wallet_followup.queues import MESSAGES, queue_name

    name = queue_name(MESSAGES)
    assert waiting_messages(name) == 0  # no worker, nothing sent yet: the queue may not even exist
    for index in range(3):
        send_invitations.delay(claim_id=f"dispatch:test:{index}")
    assert waiting_messages(name) == 3
