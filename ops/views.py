from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from ops import queries


@never_cache
def health(request):
    """Public, personal-data-free health report for load balancers and the operations team.

    503 when the database is down; the broker, scheduler, each queue's worker and e-mail delivery are
    reported ("ok": false with a detail) but do not fail the web tier's health, because the site keeps
    serving surveys while they recover. Cheap enough to poll: two small queries, a broker ping and one
    cache read.
    """
    database = queries.check_database()
    checks = [
        database,
        queries.check_broker(timeout=1.0),
        queries.check_scheduler(),
        *queries.check_workers(),
        queries.check_email(),
    ]
    body = {"ok": all(c.ok for c in checks), "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    return JsonResponse(body, status=200 if database.ok else 503)
