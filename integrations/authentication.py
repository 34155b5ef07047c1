"""Bearer-token authentication of an integration. Sessions never authenticate the API (so no CSRF).

A working token's row (with its integration) is kept in the cache (Redis in production, shared by every
web process) for TOKEN_CACHE_SECONDS, keyed by the token's hash: a busy integration's requests then cost
one cache read instead of a database query each. What stays exact:

- revoking or rotating tokens (integrations.services) deletes their cached rows, so a revoked token
  stops working at once, as before;
- the expiry of a rotated-out token is checked on every request against the cached row's `expires_at`;
- a wrong token is never cached: each one is looked up in the database.

What may lag by up to TOKEN_CACHE_SECONDS: an integration marked inactive in the admin, a token revoked
by a direct database change, and a revocation racing a request that read the token just before it.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from integrations import queries, services, tokens
from integrations.models import IntegrationToken

KEYWORD = "Bearer"
# A real token is 47 characters; anything much longer is refused before it is hashed and looked up.
MAX_TOKEN_LENGTH = 200


def cached_working_token(*, token: str, now: datetime) -> IntegrationToken | None:
    """queries.working_token, read through the cache for a few seconds (see the module's docstring)."""
    key = services.token_cache_key(tokens.hash_token(token))
    row = cache.get(key)
    if row is None:
        row = queries.working_token(token=token, now=now)
        if row is None:
            return None
        cache.set(key, row, timeout=services.TOKEN_CACHE_SECONDS)
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` → (Integration, IntegrationToken), or 401."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2 or len(header[1]) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <token>”."))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        row = cached_working_token(token=token, now=timezone.now())
        if row is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        return row.integration, row

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 when the token is missing or wrong.
        return f'{KEYWORD} realm="api"'


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer token in the OpenAPI schema (drf-spectacular finds it by this subclassing)."""

    target_class = "integrations.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration token (wfu_…)."}
