"""Writes about integrations: creating one, issuing, rotating and revoking its tokens, logging calls."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from integrations import tokens
from integrations.models import ApiCall, Integration, IntegrationToken

# How long integrations.authentication keeps a working token's row in the cache.
TOKEN_CACHE_SECONDS = 5


def token_cache_key(token_hash: str) -> str:
    return f"api-token:{token_hash}"


def _forget_cached_tokens(token_hashes: list[str]) -> None:
    """Drop cached rows now and again after commit (a request may have cached one in between)."""
    keys = [token_cache_key(token_hash) for token_hash in token_hashes]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


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
    _forget_cached_tokens(list(working.values_list("token_hash", flat=True)))
    working.filter(expires_at__isnull=True).update(expires_at=now + grace)
    working.filter(expires_at__gt=now + grace).update(expires_at=now + grace)
    return issue_token(integration=integration, now=now)


def revoke_tokens(*, integration: Integration, now: datetime | None = None) -> int:
    """Every token of the integration stops working at once; returns how many were still unrevoked."""
    with transaction.atomic():
        working = IntegrationToken.objects.select_for_update().filter(integration=integration, revoked_at__isnull=True)
        _forget_cached_tokens(list(working.values_list("token_hash", flat=True)))
        return working.update(revoked_at=now or timezone.now())


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
    """One INSERT per request, outside any transaction of the request itself.

    Written as SQL with the model's own table and column names: on every API request the ORM's
    compilation of ApiCall.objects.create() cost more than the INSERT itself.
    """
    fields = [ApiCall._meta.get_field(name) for name in _API_CALL_COLUMNS]
    values = [integration_id, method[:8], path[:300], status, max(0, duration_ms), at, request_id[:64]]
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_api_call_insert(connection.vendor), params)


_API_CALL_COLUMNS = ("integration", "method", "path", "status", "duration_ms", "at", "request_id")


@functools.cache
def _api_call_insert(vendor: str = "") -> str:
    """The INSERT, built once per database vendor (the argument: names are quoted per database)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ApiCall._meta.get_field(name).column) for name in _API_CALL_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_API_CALL_COLUMNS))
    return f"INSERT INTO {quote(ApiCall._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
