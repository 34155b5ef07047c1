from datetime import timedelta

import pytest
from django.utils import timezone

from ops.models import Heartbeat
from ops.queries import check_scheduler

pytestmark = pytest.mark.django_db


def test_the_health_page_reports_each_part_without_login(client):
    body = client.get("/health/").json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "scheduler"}


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
