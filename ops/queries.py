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

    try:
        beat = Heartbeat.objects.filter(component=Heartbeat.Component.BEAT).first()
    except Exception as exc:
        return Check("scheduler", False, _first_line(exc))
    return _heartbeat_check("scheduler", beat, now or timezone.now(), "are the worker and beat running?")


def check_workers(now: datetime | None = None) -> list[Check]:
    """One check per queue ("worker:dispatch", …): down when beat's heartbeat sent to that queue was not run
    by a worker within 3 intervals. All three down together usually means beat (see "scheduler") is."""
    from ops.models import Heartbeat
    from wallet_followup.queues import KINDS

    names = [f"worker:{kind}" for kind in KINDS]
    try:
        rows = {row.component: row for row in Heartbeat.objects.filter(component__in=names)}
    except Exception as exc:
        return [Check(name, False, _first_line(exc)) for name in names]
    now = now or timezone.now()
    return [
        _heartbeat_check(name, rows.get(name), now, f"is a worker consuming the {name[7:]} queue?") for name in names
    ]


def _heartbeat_check(name: str, heartbeat, now: datetime, hint: str) -> Check:
    if heartbeat is None:
        return Check(name, False, f"no heartbeat yet: {hint}")
    age = now - heartbeat.last_seen
    allowed = timedelta(seconds=3 * settings.HEARTBEAT_INTERVAL_SECONDS)
    return Check(name, age <= allowed, f"last heartbeat {int(age.total_seconds())} s ago")


def check_email(now: datetime | None = None) -> Check:
    """The SMTP server as the last real sends found it (ops/mail.py records each one in the cache).

    Failing when the last attempt to hand a message over failed at the server (connection refused, timeout,
    a 4xx/5xx to MAIL or DATA) and no success came since; slow when the last successful hand-over took
    longer than EMAIL_SLOW_SECONDS. No probe: a probe would cost a connection per poll and prove less
    than the real sends do. When nothing was sent yet (or the cache was emptied) it says so and is ok.
    """
    from ops import mail

    try:
        success, failure = mail.last_outcomes()
    except Exception as exc:  # the cache (Redis) unreachable: the broker check says more
        return Check("email", False, f"unknown: {_first_line(exc)}")
    now_ts = (now or timezone.now()).timestamp()
    if failure and (not success or failure["at"] >= success["at"]):
        return Check("email", False, f"failing: {failure['reason']} ({int(now_ts - failure['at'])} s ago)")
    if not success:
        return Check("email", True, "no e-mail sent yet")
    ago = int(now_ts - success["at"])
    if success["seconds"] > mail.EMAIL_SLOW_SECONDS:
        return Check("email", False, f"slow: last hand-over took {success['seconds']:.1f} s ({ago} s ago)")
    return Check("email", True, f"last hand-over took {success['seconds']:.1f} s ({ago} s ago)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
