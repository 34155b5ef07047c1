"""Rate limiting per integration, counted in Django's cache (Redis in production).

One counter per integration and clock minute, incremented atomically (wallet_followup/ratelimit.py).
DRF's SimpleRateThrottle, used before, keeps the time of every request of the last minute in one cache
value and reads and rewrites all of it on each request: at the 30,000 events a minute a busy bank posts
(bench/api_events.py), each request moved 30,000 timestamps to and from Redis. A counter costs the same at any rate.

The window is the clock minute, not the last sixty seconds: within a minute at most API_RATE_PER_MINUTE
requests pass, so across a minute boundary a client can send up to twice the rate in a few seconds.
"""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from integrations.models import Integration
from wallet_followup.ratelimit import count

WINDOW_SECONDS = 60


class IntegrationRateThrottle(BaseThrottle):
    """At most settings.API_RATE_PER_MINUTE requests a minute per integration; then 429 with Retry-After."""

    timer = time.time

    def allow_request(self, request, view) -> bool:
        integration = request.user
        if not isinstance(integration, Integration):
            return True  # no token: authentication refuses the request, there is no one to count
        now = self.timer()
        window = int(now // WINDOW_SECONDS)
        # Ids come back after a database restore (and in every test run); the creation instant keeps a
        # new integration from inheriting an old one's count. The rate is read per request (not at
        # import) so a changed setting applies.
        key = f"api-rate:{integration.pk}:{integration.created_at.timestamp():.6f}:{window}"
        if count(key, window_seconds=WINDOW_SECONDS) <= settings.API_RATE_PER_MINUTE:
            return True
        self.retry_after = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        return False

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)
