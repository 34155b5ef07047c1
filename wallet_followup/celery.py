"""The Celery application: configuration comes from Django settings (CELERY_* names).

The beat schedule lives here and only here.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_followup.settings")

if Path(sys.argv[0]).name == "celery":
    from wallet_followup.startup import load_settings_or_exit

    load_settings_or_exit()

app = Celery("wallet_followup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_broker_folders(sender, **kwargs) -> None:
    """The file-system transport needs its folders to exist before anyone publishes."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def _recovery_interval(claim_timeout_seconds: int) -> int:
    return max(15, min(300, claim_timeout_seconds // 2))


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs) -> None:
    from django.conf import settings

    from wallet_followup.queues import KINDS, queue_name

    sender.conf.beat_schedule = {
        "record-beat-heartbeat": {
            "task": "ops.tasks.record_heartbeat",
            "schedule": timedelta(seconds=settings.HEARTBEAT_INTERVAL_SECONDS),
            "kwargs": {"component": "beat"},
            # A tick that waited longer than one interval is stale; the next one replaces it.
            "options": {"expires": settings.HEARTBEAT_INTERVAL_SECONDS},
        },
        # One heartbeat per queue, sent to that queue: the health page names the queue nobody consumes.
        **{
            f"record-worker-heartbeat-{kind}": {
                "task": "ops.tasks.record_heartbeat",
                "schedule": timedelta(seconds=settings.HEARTBEAT_INTERVAL_SECONDS),
                "kwargs": {"component": f"worker:{kind}"},
                "options": {"queue": queue_name(kind), "expires": settings.HEARTBEAT_INTERVAL_SECONDS},
            }
            for kind in KINDS
        },
        # The database says what is due; each tick claims it. A lost tick is caught up by the next.
        "dispatch-due-follow-ups": {
            "task": "surveys.dispatch_due_follow_ups",
            "schedule": timedelta(seconds=settings.DISPATCH_INTERVAL_SECONDS),
            "options": {"expires": settings.DISPATCH_INTERVAL_SECONDS},
        },
        # Every 5 minutes, or every half claim timeout when that is shorter (a deployment, or a fault
        # scenario, that shortened CLAIM_TIMEOUT_SECONDS wants abandoned claims back as soon).
        "recover-abandoned-claims": {
            "task": "surveys.recover_abandoned_claims",
            "schedule": timedelta(seconds=_recovery_interval(settings.CLAIM_TIMEOUT_SECONDS)),
            "options": {"expires": _recovery_interval(settings.CLAIM_TIMEOUT_SECONDS)},
        },
        # A missed tick only delays a start or an end by a minute; the next tick catches up.
        "advance-campaign-schedules": {
            "task": "surveys.advance_campaign_schedules",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 60},
        },
        "plan-pending-event-follow-ups": {
            "task": "surveys.plan_pending_event_follow_ups",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 60},
        },
        "queue-due-reminders": {
            "task": "surveys.queue_due_reminders",
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
        "expire-unanswered": {
            "task": "surveys.expire_unanswered",
            "schedule": timedelta(minutes=15),
            "options": {"expires": 900},
        },
        # The concern dashboards' rollups: new responses every minute, the contact funnel when its last
        # recount is ten minutes old (analytics.rollups.refresh_rollups decides). Overlapping runs wait on
        # the rollup state lock and count nothing twice; a lost tick is caught up by the next.
        "refresh-rollups": {
            "task": "analytics.refresh_rollups",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 60},
        },
        # An import whose worker was lost is marked failed, so its page stops waiting (imports/recovery.py).
        "fail-stale-imports": {
            "task": "imports.fail_stale_imports",
            "schedule": timedelta(minutes=10),
            "options": {"expires": 600},
        },
        # 19:00 UTC is 03:00 in Shanghai, a quiet hour for the database.
        "purge-api-calls": {
            "task": "integrations.purge_api_calls",
            "schedule": crontab(hour=19, minute=0),
            "options": {"expires": 6 * 60 * 60},
        },
        # 19:30 UTC is 03:30 in Shanghai. Purges expired link tokens, then anonymises old responses, each in
        # bounded batches; a backlog is worked off over the following nights (privacy/services.py).
        "apply-retention": {
            "task": "privacy.apply_retention",
            "schedule": crontab(hour=19, minute=30),
            "options": {"expires": 6 * 60 * 60},
        },
        # 00:30 UTC is 08:30 in Shanghai. The digest claims its date, so a repeated tick sends nothing.
        "send-case-digest": {
            "task": "surveys.send_case_digest",
            "schedule": crontab(hour=0, minute=30),
            "options": {"expires": 6 * 60 * 60},
        },
    }


@worker_process_init.connect
def _close_inherited_connections(**kwargs) -> None:
    """A forked worker child must not reuse the parent's database socket."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
