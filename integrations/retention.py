"""How long the API call log is kept: API_LOG_RETENTION_DAYS (default 180), then it is deleted in batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from integrations.models import ApiCall

BATCH = 10_000  # rows per DELETE, so a long backlog never holds one huge transaction


def purge_api_calls(*, now: datetime) -> int:
    """Delete the API calls logged before the retention period; how many were deleted."""
    cutoff = now - timedelta(days=settings.API_LOG_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(ApiCall.objects.filter(at__lt=cutoff).order_by("at").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += ApiCall.objects.filter(pk__in=ids).delete()[0]
