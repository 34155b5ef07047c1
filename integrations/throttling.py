"""Rate limiting per integration, counted in Django's cache (Redis in production).

One counter per integration and clock minute, incremented atomically. DRF's SimpleRateThrottle, used
before, keeps the time of every request of the last minute in one cache value and reads and rewrites
all of it on each request: at the 30,000 events a minute a busy bank posts (bench/api_events.py), each
request moved 30,000 timestamps to and from Redis. A counter costs the same at any rate.

The window is the clock minute, not the last sixty seconds: within a minute at most API_RATE_PER_MINUTE
requests pass, so across a minute boundary a client can send up to twice the rate in a few seconds.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

from integrations.models import Integration

WINDOW_SECONDS = 60


def _count(key: str) -> int:
    """Add one to the counter under ``key`` (created for two windows) and return the new value."""
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy to it)
    if isinstance(cache, RedisCache):
        # One round trip: INCR creates the key at 1; EXPIRE NX sets its lifetime only once. Django's
        # own add() + incr() would take three (incr checks that the key exists first).
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipeline.incr(full_key)
        pipeline.expire(full_key, 2 * WINDOW_SECONDS, nx=True)
        return int(pipeline.execute()[0])
    if cache.add(key, 1, timeout=2 * WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=2 * WINDOW_SECONDS)
        return 1


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
        if _count(key) <= settings.API_RATE_PER_MINUTE:
            return True
        self.retry_after = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        return False

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)
