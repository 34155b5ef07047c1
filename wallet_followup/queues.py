"""Which Celery queue each task travels on, so each kind of work can have workers of its own.

- ``dispatch``: the timely work: planning campaigns and wallet events, claiming due follow-ups, reminders,
  expiry and campaign start/end. A tick late here is a customer contacted late.
- ``messages``: talking to the outside world: handing invitations to the SMS provider and the SMTP server,
  and the managers' case digest. A slow provider fills this queue without delaying planning or claiming.
- ``analytics``: the heavy, patient work: the dashboards' rollups, bank file imports and the nightly data
  housekeeping (retention, purges). A 1,000,000-row import never holds up a dispatch tick.

A task not listed goes to ``dispatch`` (the default queue). Queue names are ``CELERY_QUEUE_PREFIX`` plus the
kind, so deployments (and test runs) sharing one Redis keep apart by prefix. A worker started without
``-Q`` consumes all three queues (``CELERY_TASK_QUEUES``), which is what a one-machine deployment runs.
"""

from __future__ import annotations

from django.conf import settings

DISPATCH = "dispatch"
MESSAGES = "messages"
ANALYTICS = "analytics"
KINDS = (DISPATCH, MESSAGES, ANALYTICS)

QUEUE_OF_TASK = {
    "surveys.send_invitations": MESSAGES,
    "surveys.send_case_digest": MESSAGES,
    "analytics.refresh_rollups": ANALYTICS,
    "imports.run_import": ANALYTICS,
    "imports.fail_stale_imports": ANALYTICS,
    "privacy.apply_retention": ANALYTICS,
    "integrations.purge_api_calls": ANALYTICS,
}


def queue_name(kind: str, prefix: str | None = None) -> str:
    """The broker's name for a kind of queue under the deployment's prefix."""
    if kind not in KINDS:
        raise ValueError(f"unknown queue kind {kind!r}; expected one of {', '.join(KINDS)}")
    return f"{settings.CELERY_QUEUE_PREFIX if prefix is None else prefix}{kind}"


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (``task_routes``): read at publish time, so a test may change the prefix."""
    return {"queue": queue_name(QUEUE_OF_TASK.get(name, DISPATCH))}
