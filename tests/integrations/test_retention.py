"""The API call log is kept for API_LOG_RETENTION_DAYS, then deleted."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations import retention
from integrations.models import ApiCall

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 19, 0, tzinfo=UTC)


def call(at: datetime) -> ApiCall:
    return ApiCall.objects.create(method="GET", path="/api/v1/x/", status=200, duration_ms=3, at=at, request_id="r")


def test_calls_older_than_the_retention_period_are_deleted_in_batches(settings, monkeypatch):
    settings.API_LOG_RETENTION_DAYS = 30
    monkeypatch.setattr(retention, "BATCH", 2)
    old = [call(NOW - timedelta(days=31, minutes=n)) for n in range(5)]
    recent = call(NOW - timedelta(days=29))

    assert retention.purge_api_calls(now=NOW) == len(old)

    assert list(ApiCall.objects.all()) == [recent]
