"""`manage.py rebuild_rollups`: count the concern dashboards' rollups again from the raw tables."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db.models import Sum

from analytics.models import FunnelRollup, ResponseRollup, ThemeRollup
from analytics.rollups import rebuild_rollups


class Command(BaseCommand):
    help = (
        "Empty the response and theme rollups and count every submitted response again, and recount the "
        "contact funnel, in one transaction (the dashboards show the old numbers until it is done). Use it after "
        "changing the concern words, or if the rollups are ever in doubt; the beat task keeps them up to date."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        rebuild_rollups()
        elapsed = time.monotonic() - started
        responses = ResponseRollup.objects.aggregate(n=Sum("respondents"))["n"] or 0
        themes = ThemeRollup.objects.aggregate(n=Sum("answers"))["n"] or 0
        follow_ups = FunnelRollup.objects.aggregate(n=Sum("planned"))["n"] or 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Rollups rebuilt in {elapsed:.1f} s: {responses} responses, {themes} free-text themes found in "
                f"answers, {follow_ups} follow-ups in the contact funnel."
            )
        )
