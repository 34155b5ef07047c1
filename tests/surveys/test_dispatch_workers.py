"""The dispatcher in real Celery worker processes: racing workers and a worker killed mid-batch.

The pattern of tests/ops/test_celery_processes.py: subprocess workers on a queue of our own, the same
VAR_DIR and the test database; the broker is the embedded file transport, or Redis when REDIS_URL is
set. The workers run on the real clock, so the customers live in a fixed-offset zone where it is
around noon now, under a policy that also allows holidays: the messages are due and allowed whenever
the suite runs.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ops.models import Heartbeat
from surveys import dispatch
from surveys.messaging import FileSmsBackend
from surveys.models import Campaign, ContactAttempt, FollowUp
from surveys.tasks import dispatch_due_follow_ups
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]


class SlowFileSmsBackend(FileSmsBackend):
    """The file backend at a slow provider's pace, so a kill lands in the middle of a batch."""

    def send(self, *, to, text, idempotency_key):
        time.sleep(0.05)
        return super().send(to=to, text=text, idempotency_key=idempotency_key)


def database_url() -> str:
    db = connection.settings_dict  # the test database by now
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, timeout: float = 90.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


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
    name = f"test-dispatch-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    from wallet_followup.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.fixture
def start_worker(queue, outbox):
    started: list[subprocess.Popen] = []

    def _start(sms_backend: str = "surveys.messaging.FileSmsBackend", batch_size: int = 20) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wallet_followup.settings",
            "DEBUG": "1",
            "VAR_DIR": str(settings.VAR_DIR),
            "DATABASE_URL": database_url(),
            "CELERY_DEFAULT_QUEUE": queue,
            "HEARTBEAT_INTERVAL_SECONDS": "1",
            "SMS_BACKEND": sms_backend,
            "SMS_FILE_PATH": str(outbox),
            "DISPATCH_BATCH_SIZE": str(batch_size),
            "PYTHONPATH": str(ROOT),
        }
        process = subprocess.Popen(
            [CELERY, "-A", "wallet_followup", "worker", "--pool", "solo", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield _start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
        channels=["sms"], allow_holidays=True, messages_per_minute=100_000, status=Campaign.Status.RUNNING
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
    assert FollowUp.objects.filter(status=FollowUp.Status.IN_PROGRESS).exists()
    assert FollowUp.objects.filter(status=FollowUp.Status.PLANNED).exists()

    later = timezone.now() + timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS + 1)
    dispatch.recover_abandoned_claims(now=later)
    assert not FollowUp.objects.filter(status=FollowUp.Status.IN_PROGRESS).exists()

    start_worker()
    wait_until_workers_run(1)
    dispatch_due_follow_ups.delay()

    finished = wait_for(lambda: not FollowUp.objects.exclude(status=FollowUp.Status.INVITED).exists())
    assert finished, f"not all sent: {len(outbox_lines(outbox))} lines in the outbox"
    assert_each_sent_exactly_once(follow_ups, outbox)
