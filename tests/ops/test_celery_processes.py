"""Web, worker and beat are separate processes that really talk through the configured broker.

The broker is the embedded file-system transport by default and Redis when REDIS_URL is set (CI).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from ops.models import Heartbeat
from ops.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]


def database_url() -> str:
    db = connection.settings_dict  # points at the test database by now
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or ""
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def queue(settings):
    # A queue of our own, so a worker elsewhere on the same Redis cannot take our messages.
    name = f"test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    from wallet_followup.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.fixture
def start(queue):
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wallet_followup.settings",
        "DEBUG": "1",
        "VAR_DIR": str(settings.VAR_DIR),
        "DATABASE_URL": database_url(),
        "CELERY_DEFAULT_QUEUE": queue,
        "HEARTBEAT_INTERVAL_SECONDS": "1",
    }

    def _start(*args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [CELERY, "-A", "wallet_followup", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield _start
    for process in started:
        process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_task_sent_from_the_web_process_runs_in_a_separate_worker(start, tmp_path):
    worker = start("worker", "--pool", "solo", "--loglevel", "WARNING")
    assert wait_for(lambda: Heartbeat.objects.filter(component="worker").exists()), "worker never started"

    record_heartbeat.delay(component="beat")

    assert wait_for(lambda: Heartbeat.objects.filter(component="beat").exists()), "the worker did not run the task"
    assert worker.poll() is None
    assert not (ROOT / "control").exists(), "the broker wrote its control folder into the source tree"


def test_beat_ticks_reach_the_worker_through_the_broker(start, tmp_path):
    schedule = tmp_path / "beat-schedule"
    start("worker", "--pool", "solo", "--loglevel", "WARNING")
    start("beat", "--loglevel", "WARNING", "--schedule", str(schedule))

    assert wait_for(lambda: Heartbeat.objects.filter(component="beat").exists()), "no beat tick arrived"
    first = Heartbeat.objects.get(component="beat").last_seen
    assert wait_for(lambda: Heartbeat.objects.get(component="beat").last_seen > first), "beat ticked only once"
