"""The standing campaigns that follow-ups added by people belong to (``Campaign.Trigger.MANUAL``).

- ``AGENT_CALLS``: calls agents schedule themselves (after an inbound complaint, or to move a call), with the
  starter survey as their script;
- ``CASE_RECHECK``: the "is it fixed?" re-survey sent after a case is resolved, by the customer's preferred
  channel among SMS, e-mail and phone.

Each is created on first use (a unique slug, so two first uses at once create one) and from then on is an
ordinary campaign: managers see it in the campaign list and may pause it, which stops its contacts the way
pausing any campaign does. Nothing plans it: its follow-ups come one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import IntegrityError, transaction

from surveys.models import Campaign, Choice, PlanningStatus, Question, Survey
from surveys.starter import RECHECK_KEY, RECHECK_PATH, STARTER_KEY, STARTER_PATH, install_starter_survey, starter_data


@dataclass(frozen=True)
class StandingCampaign:
    slug: str
    name: str  # both languages: campaign names are not translated
    description: str
    survey_key: str
    survey_path: Path
    channels: tuple[str, ...]


AGENT_CALLS = StandingCampaign(
    slug="agent-calls",
    name="Calls scheduled by agents · 客服预约的回访电话",
    description=(
        "Calls support agents schedule themselves, for example after an inbound complaint. "
        "客服人员自行预约的回访电话，例如客户来电投诉之后。"
    ),
    survey_key=STARTER_KEY,
    survey_path=STARTER_PATH,
    channels=("phone",),
)
CASE_RECHECK = StandingCampaign(
    slug="case-recheck",
    name="Is it fixed? Re-surveys of resolved cases · 工单解决后回访",
    description=(
        "A short survey asking customers whether the problem of their resolved case is fixed. "
        "工单解决后，询问客户问题是否已经解决的简短问卷。"
    ),
    survey_key=RECHECK_KEY,
    survey_path=RECHECK_PATH,
    channels=("sms", "email", "phone"),
)


class StandingCampaignUnavailable(Exception):
    """The standing campaign cannot be created: its survey exists but no version of it is published."""


def _published_survey(spec: StandingCampaign, *, now: datetime) -> Survey:
    """The newest published version of the campaign's survey, installed from the shipped file if missing.

    Raises StandingCampaignUnavailable when the survey's key exists with no published version (a manager
    archived it): reinstalling the shipped version over theirs would be wrong, so a person must publish one.
    """
    survey = Survey.objects.filter(key=spec.survey_key, status=Survey.Status.PUBLISHED).order_by("-version").first()
    if survey is not None:
        return survey
    install_starter_survey(
        survey_model=Survey,
        question_model=Question,
        choice_model=Choice,
        now=now,
        data=starter_data(spec.survey_path),
    )
    survey = Survey.objects.filter(key=spec.survey_key, status=Survey.Status.PUBLISHED).order_by("-version").first()
    if survey is None:
        raise StandingCampaignUnavailable(f"no published version of the survey {spec.survey_key!r}")
    return survey


def standing_campaign_rules(spec: StandingCampaign) -> Campaign:
    """The standing campaign if it exists, else an unsaved one with its defaults: enough to read its contact
    rules (surveys.dispatch.rules_for) without writing anything, e.g. to offer times on a page."""
    return Campaign.objects.filter(slug=spec.slug).first() or Campaign(
        slug=spec.slug, name=spec.name, trigger=Campaign.Trigger.MANUAL, channels=list(spec.channels)
    )


def standing_campaign(spec: StandingCampaign, *, now: datetime) -> Campaign:
    """The standing campaign of ``spec``, created (running, with its survey) the first time it is needed."""
    campaign = Campaign.objects.select_related("survey").filter(slug=spec.slug).first()
    if campaign is not None:
        return campaign
    survey = _published_survey(spec, now=now)
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
            return Campaign.objects.create(
                slug=spec.slug,
                name=spec.name,
                description=spec.description,
                survey=survey,
                status=Campaign.Status.RUNNING,
                trigger=Campaign.Trigger.MANUAL,
                channels=list(spec.channels),
                planning_status=PlanningStatus.DONE,
                planned_at=now,
            )
    except IntegrityError:
        return Campaign.objects.select_related("survey").get(slug=spec.slug)
