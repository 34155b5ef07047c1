"""Writes about integrations: creating one, issuing, rotating and revoking its tokens, logging calls."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations import tokens
from integrations.models import ApiCall, Integration, IntegrationToken


def issue_token(*, integration: Integration, now: datetime | None = None) -> str:
    """A new working token for the integration; returns it in clear, the only time it is ever seen."""
    token, token_hash = tokens.new_token()
    IntegrationToken.objects.create(
        integration=integration, token_hash=token_hash, hint=tokens.hint(token), created_at=now or timezone.now()
    )
    return token


@transaction.atomic
def rotate_token(*, integration: Integration, now: datetime | None = None, grace: timedelta | None = None) -> str:
    """A new token; the ones still working keep working for the grace period, then stop.

    A token already on its way out keeps its earlier end: rotating twice does not prolong it.
    """
    now = now or timezone.now()
    grace = timedelta(hours=settings.API_TOKEN_GRACE_HOURS) if grace is None else grace
    working = IntegrationToken.objects.select_for_update().filter(integration=integration, revoked_at__isnull=True)
    working.filter(expires_at__isnull=True).update(expires_at=now + grace)
    working.filter(expires_at__gt=now + grace).update(expires_at=now + grace)
    return issue_token(integration=integration, now=now)


def revoke_tokens(*, integration: Integration, now: datetime | None = None) -> int:
    """Every token of the integration stops working at once; returns how many were still unrevoked."""
    return IntegrationToken.objects.filter(integration=integration, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


def create_integration(*, name: str, scopes: list[str], now: datetime | None = None) -> tuple[Integration, str]:
    """An integration with its first token (returned in clear, once)."""
    with transaction.atomic():
        integration = Integration.objects.create(name=name, scopes=list(scopes))
        token = issue_token(integration=integration, now=now)
    return integration, token


def log_api_call(
    *,
    integration_id: int | None,
    method: str,
    path: str,
    status: int,
    duration_ms: int,
    at: datetime,
    request_id: str,
) -> None:
    """One INSERT per request, outside any transaction of the request itself."""
    ApiCall.objects.create(
        integration_id=integration_id,
        method=method[:8],
        path=path[:300],
        status=status,
        duration_ms=max(0, duration_ms),
        at=at,
        request_id=request_id[:64],
    )
