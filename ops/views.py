from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from ops import queries


@never_cache
def health(request):
    """Public, personal-data-free health report for load balancers and the operations team.

    503 when the database is down; the broker and scheduler are reported but do not fail the web
    tier's health, because the site keeps serving surveys while they recover.
    """
    checks = [queries.check_database(), queries.check_broker(timeout=1.0), queries.check_scheduler()]
    body = {"ok": all(c.ok for c in checks), "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    return JsonResponse(body, status=200 if checks[0].ok else 503)
