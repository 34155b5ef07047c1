from __future__ import annotations

from django.conf import settings

from audit.context import request_context, using


class RequestContextMiddleware:
    """Puts the request's IP address, user agent and request id where audit.services.record finds them."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with using(request_context(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)):
            return self.get_response(request)
