from __future__ import annotations

from django.utils import timezone

from ops.models import Heartbeat


def record_heartbeat(*, component: str, detail: str = "") -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        component=component, defaults={"last_seen": timezone.now(), "detail": detail[:200]}
    )
    return heartbeat
