"""The project's URLs plus one trivial view, the reference the HTTP benchmarks compare with.

The trivial view goes through the same middleware as every page (sessions, locale, CSRF, auth,
messages, security headers), so "a quarter of the trivial view's requests per second" compares the
survey's own work with Django's fixed cost per request on the same server.
"""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("wallet_followup.urls")),
]
