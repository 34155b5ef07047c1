"""The server-error handler: a database outage is "try again in a minute" (503), anything else a 500.

While PostgreSQL restarts (seconds), a request that needed it cannot be served. Telling the customer and the
load balancer that it is temporary (503 with Retry-After, the same as /health/) is the truth; a 500 would
say the application is broken. Both pages are static and bilingual: they must render with the database gone.
"""

from __future__ import annotations

import sys

from django import db
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

RETRY_AFTER_SECONDS = 30


def server_error(request, template_name: str = "500.html"):
    """handler500: Django calls it inside the except block, so the exception is at hand."""
    error = sys.exc_info()[1]
    if isinstance(error, db.OperationalError | db.InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())
