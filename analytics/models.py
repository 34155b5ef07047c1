"""Rollups: what the concern dashboards read instead of scanning raw answers.

Each table counts by local day (settings.TIME_ZONE) and the dashboard's dimensions; every measure is a
count or a sum, so any filter and any breakdown is a SUM over rows. analytics/rollups.py keeps them:
responses are added incrementally after a watermark, the contact funnel is recomputed, and
``manage.py rebuild_rollups`` rebuilds everything from the raw tables.

Missing dimension values are stored as "" (never NULL), so the unique constraint over the dimensions
holds and an upsert finds its row.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Answer, Campaign


class Dimensions(models.Model):
    """The dashboard's filters and breakdowns, as they were when the row was counted."""

    day = models.DateField(_("day"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    device_os = models.CharField(_("device OS"), max_length=16, blank=True)
    app_version = models.CharField(_("app version"), max_length=32, blank=True)
    wallet_product = models.CharField(_("wallet product"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=8, blank=True)  # web / phone; sms / email / phone
    event_kind = models.CharField(_("wallet event"), max_length=32, blank=True)  # "" for batch campaigns

    DIMENSIONS = ("day", "campaign", "segment", "device_os", "app_version", "wallet_product", "channel", "event_kind")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} · campaign {self.campaign_id} · {self.channel or '-'}"


class ResponseRollup(Dimensions):
    """Submitted responses by the day they were submitted: respondents and what they said.

    ``channel`` is the response's mode (web or phone). A respondent counts once per concern they cite.
    """

    respondents = models.PositiveIntegerField(default=0)
    nps_answered = models.PositiveIntegerField(default=0)
    nps_promoters = models.PositiveIntegerField(default=0)  # 9–10
    nps_detractors = models.PositiveIntegerField(default=0)  # 0–6
    csat_answered = models.PositiveIntegerField(default=0)
    csat_top2 = models.PositiveIntegerField(default=0)  # 4–5 of 5
    ces_answered = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveIntegerField(default=0)  # 1–7 each
    cites_security = models.PositiveIntegerField(default=0)
    cites_trust = models.PositiveIntegerField(default=0)
    cites_compatibility = models.PositiveIntegerField(default=0)
    cites_usability = models.PositiveIntegerField(default=0)
    cites_service = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("response rollup")
        constraints = [models.UniqueConstraint(fields=Dimensions.DIMENSIONS, name="response_rollup_dimensions")]
        indexes = [models.Index(fields=["day"], name="response_rollup_day_idx")]


class FunnelRollup(Dimensions):
    """Follow-ups by the day they were created, and how far each got: planned → contacted → reached →
    responded, with the AAPOR final dispositions RR1 and RR2 need. ``channel`` is the follow-up's channel.
    Recomputed as a whole (follow-ups change state; responses do not)."""

    planned = models.PositiveIntegerField(default=0)  # every follow-up
    contacted = models.PositiveIntegerField(default=0)  # at least one message sent or call made
    reached = models.PositiveIntegerField(default=0)  # a call reached the customer, or they answered
    complete = models.PositiveIntegerField(default=0)  # I: a submitted response
    partial = models.PositiveIntegerField(default=0)  # P: answers begun, never submitted
    refusal = models.PositiveIntegerField(default=0)  # R: refused, break-off, do not contact
    non_contact = models.PositiveIntegerField(default=0)  # NC: reached nobody (no answer, busy, voicemail)
    unknown = models.PositiveIntegerField(default=0)  # UH/UO: never contacted, or no answer to a message

    class Meta:
        verbose_name = _("funnel rollup")
        constraints = [models.UniqueConstraint(fields=Dimensions.DIMENSIONS, name="funnel_rollup_dimensions")]
        indexes = [models.Index(fields=["day"], name="funnel_rollup_day_idx")]


class ThemeRollup(Dimensions):
    """Free-text answers by concern and theme (the lexicon word that tagged them), by day submitted."""

    concern = models.CharField(_("concern"), max_length=16)
    theme = models.CharField(_("theme"), max_length=100)
    answers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("theme rollup")
        constraints = [
            models.UniqueConstraint(fields=[*Dimensions.DIMENSIONS, "concern", "theme"], name="theme_rollup_dimensions")
        ]
        indexes = [models.Index(fields=["day", "concern"], name="theme_rollup_day_idx")]


class ThemeExample(Dimensions):
    """A recent free-text answer that shows a theme (the newest few per concern and theme are kept)."""

    concern = models.CharField(_("concern"), max_length=16)
    theme = models.CharField(_("theme"), max_length=100)
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("theme example")
        constraints = [
            models.UniqueConstraint(fields=["answer", "concern", "theme"], name="theme_example_once"),
        ]
        indexes = [models.Index(fields=["concern", "theme", "-submitted_at"], name="theme_example_recent_idx")]


class RollupState(models.Model):
    """One row per rollup: how far it has counted, and when it was last brought up to date.

    The refresher locks this row while it works, so two workers never count the same responses twice."""

    name = models.CharField(max_length=32, unique=True)
    # Responses submitted up to (submitted_at, id) of this one are counted.
    last_submitted_at = models.DateTimeField(null=True, blank=True)
    last_response_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")

    def __str__(self) -> str:
        return self.name
