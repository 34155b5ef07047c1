"""Real Celery processes for tests: a queue of the test's own, worker/beat subprocesses, bounded waits.

The processes use the test database and the test run's VAR_DIR, so they share the broker (the embedded
file transport, or Redis when REDIS_URL is set) and the data with the test. Use through the fixtures
``celery_queue`` and ``celery_processes`` (tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def database_url() -> str:
    """The URL of the test database (connection.settings_dict points at it once the test runs)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate: Callable[[], bool], timeout: float = 90.0, step: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False): never hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def use_own_queue(test_settings, prefix: str = "test"):
    """Route this test's tasks to queues of its own, so a worker elsewhere on the same Redis cannot take them.

    A generator for a fixture: yields the queue prefix (the three queues are the prefix plus dispatch,
    messages, analytics: wallet_followup/queues.py) and restores the Celery app afterwards.
    """
    from wallet_followup.celery import app

    name = f"{prefix}-{uuid.uuid4().hex[:8]}-"
    test_settings.CELERY_QUEUE_PREFIX = name
    test_settings.CELERY_TASK_DEFAULT_QUEUE = f"{name}dispatch"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = f"{name}dispatch"
    yield name
    app.conf.task_default_queue = previous


class CeleryProcesses:
    """Starts ``celery -A wallet_followup <args>`` subprocesses and stops them all at the end."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.started: list[subprocess.Popen] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wallet_followup.settings",
            "DEBUG": "1",
            "VAR_DIR": str(settings.VAR_DIR),
            "DATABASE_URL": database_url(),
            "CELERY_QUEUE_PREFIX": self.queue,
            "HEARTBEAT_INTERVAL_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        process = subprocess.Popen(
            [CELERY, "-A", "wallet_followup", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
