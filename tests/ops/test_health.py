from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ops import mail
from ops.models import Heartbeat
from ops.queries import check_email, check_scheduler, check_workers
from surveys.messaging import SendError, send_email
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def test_the_health_page_reports_each_part_without_login(client):
    body = client.get("/health/").json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert set(body["checks"]) == {
        "database",
        "broker",
        "scheduler",
        "worker:dispatch",
        "worker:messages",
        "worker:analytics",
        "email",
    }


def test_the_scheduler_is_unhealthy_until_beat_has_ticked(settings):
    assert check_scheduler().ok is False
    Heartbeat.objects.create(component="beat", last_seen=timezone.now())
    assert check_scheduler().ok is True


def test_the_scheduler_is_unhealthy_when_beat_falls_silent(settings):
    settings.HEARTBEAT_INTERVAL_SECONDS = 60
    Heartbeat.objects.create(component="beat", last_seen=timezone.now() - timedelta(minutes=4))
    check = check_scheduler()
    assert check.ok is False
    assert "240 s ago" in check.detail


def test_a_broken_broker_is_reported_while_the_site_stays_up(client, settings):
    from wallet_followup.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health/")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is False


# --- A worker per queue ---------------------------------------------------------------------------------


def test_each_queue_without_a_worker_heartbeat_is_reported_down():
    checks = {check.name: check for check in check_workers()}
    assert set(checks) == {"worker:dispatch", "worker:messages", "worker:analytics"}
    assert not any(check.ok for check in checks.values())
    assert "messages queue" in checks["worker:messages"].detail


def test_a_queue_whose_worker_fell_silent_is_down_and_recovers_with_the_next_heartbeat(settings):
    settings.HEARTBEAT_INTERVAL_SECONDS = 10
    now = timezone.now()
    for kind in ("dispatch", "messages", "analytics"):
        Heartbeat.objects.create(component=f"worker:{kind}", last_seen=now - timedelta(seconds=5))
    Heartbeat.objects.filter(component="worker:messages").update(last_seen=now - timedelta(seconds=31))

    down = {check.name: check.ok for check in check_workers(now)}
    assert down == {"worker:dispatch": True, "worker:messages": False, "worker:analytics": True}

    Heartbeat.objects.filter(component="worker:messages").update(last_seen=now)
    assert all(check.ok for check in check_workers(now))


def test_beat_sends_a_heartbeat_to_each_queue_by_name(settings):
    from wallet_followup.celery import app

    entries = {e["kwargs"]["component"]: e for e in app.conf.beat_schedule.values() if "kwargs" in e}
    prefix = settings.CELERY_QUEUE_PREFIX
    for kind in ("dispatch", "messages", "analytics"):
        assert entries[f"worker:{kind}"]["options"]["queue"] == f"{prefix}{kind}"


# --- E-mail delivery ------------------------------------------------------------------------------------


@pytest.fixture
def sink(settings):
    cache.delete_many([mail.SUCCESS_KEY, mail.FAILURE_KEY])
    with SmtpSink() as running:
        settings.EMAIL_BACKEND = "ops.mail.RecordingEmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield running
    cache.delete_many([mail.SUCCESS_KEY, mail.FAILURE_KEY])


def _send() -> None:
    send_email(to="customer@example.com", subject="Hi", text_body="Hi", html_body="<p>Hi</p>", headers={})


def test_email_is_ok_before_anything_was_sent(sink):
    check = check_email()
    assert check.ok is True
    assert check.detail == "no e-mail sent yet"


def test_a_failing_mail_server_is_reported_until_a_message_goes_through_again(sink):
    _send()
    assert check_email().ok is True

    sink.data_answer = "451 4.3.0 Try again later"
    with pytest.raises(SendError):
        _send()
    check = check_email()
    assert check.ok is False
    assert check.detail.startswith("failing: mail server answered 451")

    sink.data_answer = None
    _send()
    assert check_email().ok is True
    assert len(sink.messages) == 2


def test_an_unreachable_mail_server_is_reported_as_failing(sink, settings):
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(SendError):
        _send()
    assert check_email().detail.startswith("failing: mail server unreachable")


def test_a_refused_recipient_is_not_a_failing_server(sink):
    _send()
    sink.rcpt_answer = "550 5.1.1 No such user"
    with pytest.raises(SendError):
        _send()
    assert check_email().ok is True


def test_a_slow_mail_server_is_reported_and_recovers_when_it_is_fast_again(sink, monkeypatch):
    monkeypatch.setattr(mail, "EMAIL_SLOW_SECONDS", 0.3)
    original = sink._controller.handler.handle_DATA

    async def slow_data(server, session, envelope):
        import asyncio

        await asyncio.sleep(0.5)
        return await original(server, session, envelope)

    sink._controller.handler.handle_DATA = slow_data
    _send()
    check = check_email()
    assert check.ok is False
    assert check.detail.startswith("slow: last hand-over took 0.")

    sink._controller.handler.handle_DATA = original
    _send()
    assert check_email().ok is True


def test_the_health_page_shows_the_mail_failure_without_failing_the_web_tier(client, sink):
    sink.data_answer = "451 4.3.0 Try again later"
    with pytest.raises(SendError):
        _send()
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["checks"]["email"]["ok"] is False
    assert "customer@example.com" not in response.content.decode()
