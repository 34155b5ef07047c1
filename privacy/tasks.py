"""Celery task of the privacy app: a thin interface to privacy.services.apply_retention.

Idempotent: purged tokens and anonymised responses are not selected again (privacy/models.py), so a repeated
or overlapping run redoes nothing, and each batch commits on its own, so a run stopped by the time limit loses
nothing (the next night goes on from there)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="privacy.apply_retention", soft_time_limit=30 * 60, time_limit=35 * 60)
def apply_retention() -> dict:
    """Beat, nightly: purge expired link tokens, anonymise responses past the retention period."""
    from dataclasses import asdict

    from privacy import services

    return asdict(services.apply_retention(now=timezone.now()))
