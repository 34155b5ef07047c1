"""Bearer-token authentication of an integration. Sessions never authenticate the API (so no CSRF)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from integrations import queries

KEYWORD = "Bearer"
# A real token is 47 characters; anything much longer is refused before it is hashed and looked up.
MAX_TOKEN_LENGTH = 200


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
        row = queries.working_token(token=token, now=timezone.now())
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
