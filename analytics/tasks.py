"""Celery tasks of the read side: the rollups the concern dashboards read.

Like surveys/tasks.py: thin interfaces that call the service of the same name. The refresh takes no ids (it
counts whatever is new) and is idempotent: the rollup state rows are locked while a refresh works, so a
duplicated or overlapping run counts nothing twice, and every batch commits its sums with its watermark, so a
run killed by the time limit loses nothing (the next run goes on from there).
"""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="analytics.refresh_rollups", soft_time_limit=5 * 60, time_limit=6 * 60)
def refresh_rollups() -> dict:
    """Beat, every minute: count new responses; recount the contact funnel at most every ten minutes."""
    from analytics import rollups

    return rollups.refresh_rollups(now=timezone.now())
