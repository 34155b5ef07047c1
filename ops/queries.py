"""Health of the parts the app depends on, as the health page and `preflight` report it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, connection.vendor)
    except Exception as exc:  # any driver error means "down" to the operator
        return Check("database", False, _first_line(exc))


def check_broker(timeout: float = 3.0) -> Check:
    from wallet_followup.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return Check("broker", True, app.conf.broker_url.split("://")[0])
    except Exception as exc:
        return Check("broker", False, _first_line(exc))


def check_scheduler(now: datetime | None = None) -> Check:
    from ops.models import Heartbeat

    now = now or timezone.now()
    allowed = timedelta(seconds=3 * settings.HEARTBEAT_INTERVAL_SECONDS)
    try:
        beat = Heartbeat.objects.filter(component=Heartbeat.Component.BEAT).first()
    except Exception as exc:
        return Check("scheduler", False, _first_line(exc))
    if beat is None:
        return Check("scheduler", False, "no heartbeat yet: are the worker and beat running?")
    age = now - beat.last_seen
    if age > allowed:
        return Check("scheduler", False, f"last heartbeat {int(age.total_seconds())} s ago")
    return Check("scheduler", True, f"last heartbeat {int(age.total_seconds())} s ago")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
