"""Rate limiting per integration, counted in Django's cache (Redis in production)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from integrations.models import Integration


class IntegrationRateThrottle(SimpleRateThrottle):
    """At most settings.API_RATE_PER_MINUTE requests a minute per integration; then 429 with Retry-After."""

    scope = "integration"

    def get_rate(self) -> str:
        # Read per request (not at import, as DRF's THROTTLE_RATES is) so a changed setting applies.
        return f"{settings.API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view) -> str | None:
        integration = request.user
        if not isinstance(integration, Integration):
            return None
        # Ids come back after a database restore (and in every test run); the creation instant keeps a
        # new integration from inheriting an old one's count.
        return f"api-rate:{integration.pk}:{integration.created_at.timestamp():.6f}"
