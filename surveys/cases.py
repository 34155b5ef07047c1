"""Cases: the services that open, flag, extend and resolve them (the rules are in surveys/case_rules.py).

- ``open_cases_for_response``: a submitted response opens the Cases its answers need, at most one per
  category; running it again opens nothing new (the response row is locked, and the database holds one
  Case per response and category);
- ``flag_case``: an agent opens a Case themselves (or marks the response's existing Case of that category
  as flagged by them);
- ``extend_regulatory_deadline``: the one extension of the regulatory clock, with its approver and reason;
- ``start_case``: an open Case is being worked on (in progress); an unowned one is taken by whoever starts it;
- ``mark_complex``: a manager's decision that the Case is complex, which gives the regulatory clock 30 days;
- ``resolve_case``: needs a root cause and a resolution code; a conditional UPDATE, so a resolved Case is
  never resolved again (two managers, a stale page);
- ``plan_recheck``: the short "is it fixed?" re-survey of a resolved Case, through the contact rules. A "no"
  to it opens a new Case of the same category (``open_cases_for_response``, ``case_rules.not_fixed``).

Summaries are stored in both languages ("English · 中文"), whichever language the request that opened the
Case was in (a customer's survey page runs in the customer's language), so every member of staff reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Customer, Language, User
from audit.models import AuditEntry
from audit.services import record
from surveys import case_rules, dispatch, scheduling
from surveys.history import attempt_histories
from surveys.models import Answer, Campaign, Case, FollowUp, Response
from surveys.skip_logic import AnswerValue
from surveys.standing import CASE_RECHECK, StandingCampaignUnavailable, standing_campaign

_UNRESOLVED = (Case.Status.OPEN, Case.Status.IN_PROGRESS)
_SUMMARY_LENGTH = Case._meta.get_field("summary").max_length
_ROOT_CAUSE_LENGTH = Case._meta.get_field("root_cause").max_length
_CODE_LENGTH = Case._meta.get_field("resolution_code").max_length
_NOTE_LENGTH = FollowUp._meta.get_field("note").max_length


class CaseRefused(Exception):
    """Nothing was changed; ``message`` says why, ``field`` names the form field at fault (or is empty)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _bilingual(need: case_rules.CaseNeed) -> str:
    texts = []
    for language in (Language.ENGLISH, Language.CHINESE):
        with translation.override(language):
            text = need.summary
        if text not in texts:
            texts.append(text)
    return " · ".join(texts)[:_SUMMARY_LENGTH]


def _answered_questions(response_id: int) -> list[case_rules.AnsweredQuestion]:
    """The response's answers as the rules want them: two queries."""
    answers = (
        Answer.objects.filter(response_id=response_id)
        .select_related("question")
        .prefetch_related("choices")
        .order_by("question__position", "question_id")
    )
    built = []
    for answer in answers:
        question = answer.question
        chosen = tuple(
            case_rules.ChosenChoice(
                code=choice.code, concern=choice.concern or question.concern, labels=(choice.label_en, choice.label_zh)
            )
            for choice in answer.choices.all()
        )
        value = AnswerValue(
            number=answer.number,
            yes_no=answer.yes_no,
            text=answer.text,
            choices=frozenset(choice.code for choice in chosen),
        )
        built.append(
            case_rules.AnsweredQuestion(
                code=question.code,
                kind=question.kind,
                concern=question.concern,
                value=value,
                concerns=tuple(answer.concerns or ()),
                chosen=chosen,
            )
        )
    return built


@transaction.atomic
def open_cases_for_response(*, response_id: int, now: datetime) -> list[Case]:
    """Open the Cases a submitted response needs and does not have yet; returns the ones opened.

    1. Lock the response row: a second run (a replay, the phone and the web path) waits here and then
       finds the Cases the first one opened. A response not submitted opens nothing.
    2. Read its answers and ask the rules which Cases it needs (case_rules.cases_needed).
    3. Insert the categories it has no Case of yet, owned by the follow-up's agent, if any, with their
       SLA and regulatory deadlines. The unique constraint (response, category) backs this up.
    """
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("follow_up__rechecks_case")
        .only(
            "id",
            "status",
            "follow_up__id",
            "follow_up__customer_id",
            "follow_up__assigned_agent_id",
            "follow_up__rechecks_case__id",
            "follow_up__rechecks_case__category",
            "follow_up__rechecks_case__owner_id",
        )
        .filter(pk=response_id)
        .first()
    )
    if response is None or response.status != Response.Status.SUBMITTED:
        return []
    answered = _answered_questions(response.pk)
    needs = case_rules.cases_needed(answered)
    rechecked = response.follow_up.rechecks_case
    if rechecked is not None:
        reopened = case_rules.not_fixed(answered, case_id=rechecked.pk, category=rechecked.category)
        if reopened is not None:
            needs = [need for need in needs if need.category != reopened.category] + [reopened]
    if not needs:
        return []
    existing = set(
        Case.objects.filter(response_id=response.pk, category__in=[need.category for need in needs]).values_list(
            "category", flat=True
        )
    )
    follow_up = response.follow_up
    opened = [
        Case(
            follow_up_id=follow_up.pk,
            response_id=response.pk,
            customer_id=follow_up.customer_id,
            category=need.category,
            priority=need.priority,
            summary=_bilingual(need),
            # A re-survey's Case goes back to whoever resolved the first one (its owner).
            owner_id=follow_up.assigned_agent_id or (rechecked.owner_id if rechecked is not None else None),
            opened_at=now,
            sla_due_at=case_rules.sla_due(need.category, now),
            regulatory_due_at=case_rules.regulatory_due(now, complex=False, extended=False),
        )
        for need in needs
        if need.category not in existing
    ]
    return Case.objects.bulk_create(opened)


def flag_case(
    *, follow_up: FollowUp, response: Response | None, agent: User, category: str, summary: str, now: datetime
) -> Case:
    """The agent's own flag: a Case owned by them. When the response already has a Case of this category
    (the rules opened it), that Case is returned, marked as flagged by the agent, instead of a second one."""
    summary = summary.strip()
    if category not in Case.Category.values:
        raise CaseRefused(_("Choose a category from the list."), field="category")
    if not summary:
        raise CaseRefused(_("Say in a few words what the customer needs."), field="summary")
    if len(summary) > _SUMMARY_LENGTH:
        raise CaseRefused(
            _("Keep the summary to at most %(limit)s characters.") % {"limit": _SUMMARY_LENGTH}, field="summary"
        )
    if response is not None and response.follow_up_id != follow_up.pk:
        raise CaseRefused(_("This response belongs to another follow-up."), field="response")
    case = Case(
        follow_up=follow_up,
        response=response,
        customer_id=follow_up.customer_id,
        category=category,
        priority=case_rules.URGENT if category in case_rules.URGENT_CATEGORIES else case_rules.NORMAL,
        summary=summary,
        owner=agent,
        flagged_by_agent=agent,
        opened_at=now,
        sla_due_at=case_rules.sla_due(category, now),
        regulatory_due_at=case_rules.regulatory_due(now, complex=False, extended=False),
    )
    with transaction.atomic():
        if response is None:
            case.save(force_insert=True)
            return case
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                case.save(force_insert=True)
            return case
        except IntegrityError:
            pass
        existing = Case.objects.select_for_update().get(response=response, category=category)
        if existing.flagged_by_agent_id is None:
            Case.objects.filter(pk=existing.pk).update(flagged_by_agent=agent)
            existing.flagged_by_agent = agent
        return existing


@transaction.atomic
def extend_regulatory_deadline(*, case: Case, approver: User, reason: str, now: datetime) -> Case:
    """Extend the regulatory deadline by 30 days, once, recording who approved it, when and why.

    The row is locked to tell the refusals apart; the UPDATE is conditional too (not extended yet, not
    resolved), so two approvals at once extend once whatever the database."""
    reason = reason.strip()
    if not reason:
        raise CaseRefused(_("Give the reason for the extension."), field="reason")
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.status == Case.Status.RESOLVED:
        raise CaseRefused(_("This case is resolved already."))
    if current.regulatory_extended_at is not None:
        raise CaseRefused(_("The regulatory deadline of this case was extended already; it can be extended once."))
    due = case_rules.regulatory_due(current.opened_at, complex=current.complex, extended=True)
    updated = Case.objects.filter(pk=case.pk, regulatory_extended_at__isnull=True, status__in=_UNRESOLVED).update(
        regulatory_extended_at=now, regulatory_extended_by=approver, extension_reason=reason, regulatory_due_at=due
    )
    if updated != 1:
        raise CaseRefused(_("The regulatory deadline of this case was extended already; it can be extended once."))
    case.refresh_from_db()
    return case


def resolve_case(*, case: Case, by: User, root_cause: str, resolution_code: str, notes: str, now: datetime) -> Case:
    """Resolve the case with its root cause and resolution code (both required).

    A conditional UPDATE from open or in progress: when a colleague resolved it first, nothing is
    overwritten and CaseRefused says so."""
    root_cause, resolution_code, notes = root_cause.strip(), resolution_code.strip(), notes.strip()
    if not root_cause:
        raise CaseRefused(_("Enter the root cause."), field="root_cause")
    if len(root_cause) > _ROOT_CAUSE_LENGTH:
        raise CaseRefused(
            _("Keep the root cause to at most %(limit)s characters.") % {"limit": _ROOT_CAUSE_LENGTH},
            field="root_cause",
        )
    if not resolution_code:
        raise CaseRefused(_("Enter the resolution code."), field="resolution_code")
    if len(resolution_code) > _CODE_LENGTH:
        raise CaseRefused(
            _("Keep the resolution code to at most %(limit)s characters.") % {"limit": _CODE_LENGTH},
            field="resolution_code",
        )
    with transaction.atomic():  # the resolution and its audit entry, together
        updated = Case.objects.filter(pk=case.pk, status__in=_UNRESOLVED).update(
            status=Case.Status.RESOLVED,
            resolved_at=now,
            resolved_by=by,
            root_cause=root_cause,
            resolution_code=resolution_code,
            resolution_notes=notes,
        )
        if updated != 1:
            raise CaseRefused(_("This case is resolved already."))
        record(
            action=AuditEntry.Action.CASE_RESOLVED,
            actor=by,
            target=case,
            details={"customer_id": case.customer_id, "category": case.category, "resolution_code": resolution_code},
        )
    case.refresh_from_db()
    return case


def start_case(*, case: Case, by: User, now: datetime) -> Case:
    """Mark an open Case as being worked on; whoever starts an unowned Case takes it.

    A conditional UPDATE from OPEN: a Case already in progress or resolved is refused, nothing overwritten."""
    updated = Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(status=Case.Status.IN_PROGRESS)
    if updated != 1:
        raise CaseRefused(_("This case is no longer open: a colleague has started or resolved it."))
    Case.objects.filter(pk=case.pk, owner__isnull=True).update(owner=by)
    case.refresh_from_db()
    return case


@transaction.atomic
def mark_complex(*, case: Case, by: User, now: datetime) -> Case:
    """Record that the Case is complex: the regulatory clock becomes 30 days from opening (plus an extension
    already approved). Only an unresolved Case that is not complex yet; the row is locked while it is read."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.status == Case.Status.RESOLVED:
        raise CaseRefused(_("This case is resolved already."))
    if current.complex:
        raise CaseRefused(_("This case is marked as complex already."))
    due = case_rules.regulatory_due(
        current.opened_at, complex=True, extended=current.regulatory_extended_at is not None
    )
    Case.objects.filter(pk=case.pk).update(complex=True, regulatory_due_at=due)
    case.refresh_from_db()
    return case


# The re-survey waits this long after the resolution, so the customer has had time to see the fix work.
RECHECK_DELAY = timedelta(days=1)
# Longer than any cap period of the presets (attempts per 30 days, calls per week, a refusal pause).
_HISTORY_LOOKBACK = timedelta(days=400)


@dataclass(frozen=True)
class Recheck:
    """What ``plan_recheck`` did: the re-survey planned, or why there is none (``problem``)."""

    follow_up: FollowUp | None
    problem: str = ""


def _recheck_channel(campaign: Campaign, customer: Customer) -> str | None:
    """The customer's preferred channel when the re-survey uses it and it is usable, else the first usable one."""
    channels = list(campaign.channels or [])
    if customer.preferred_channel in channels and dispatch.usable_channel(customer, customer.preferred_channel):
        return customer.preferred_channel
    return next((channel for channel in channels if dispatch.usable_channel(customer, channel)), None)


def plan_recheck(*, case: Case, by: User, now: datetime) -> Recheck:
    """Plan the "is it fixed?" re-survey of a resolved Case through the normal contact rules.

    1. The Case must be resolved, and have no re-survey yet; the standing re-survey campaign must be running.
    2. The customer row is locked: a customer with an open follow-up gets no second one (the problem says
       so), nor does one who asked not to be contacted or has no usable channel.
    3. The first allowed moment at least RECHECK_DELAY after now, in the customer's zone and windows for
       the channel, past the caps on contacts (scheduling.offered_slots); the dispatcher re-checks it when
       it is due, like any other follow-up. Phone re-surveys go to the shared pool.
    A re-survey not planned is not an error: the resolution stands and the problem is shown.
    """
    if case.status != Case.Status.RESOLVED:
        raise CaseRefused(_("Only a resolved case can be re-surveyed."))
    try:
        campaign = standing_campaign(CASE_RECHECK, now=now)
    except StandingCampaignUnavailable:
        message = _("The re-survey needs a published version of the survey “%(key)s”.")
        return Recheck(None, message % {"key": CASE_RECHECK.survey_key})
    if campaign.status != Campaign.Status.RUNNING:
        return Recheck(None, _("A manager has paused the re-surveys (campaign “%(name)s”).") % {"name": campaign.name})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=case.customer_id)
        if FollowUp.objects.filter(rechecks_case=case).exists():
            return Recheck(None, _("This case has been re-surveyed already."))
        if FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN_STATUSES).exists():
            return Recheck(None, _("The customer has another open follow-up, so no re-survey was planned."))
        channel = _recheck_channel(campaign, customer)
        if channel is None:
            return Recheck(None, _("The customer may not be contacted by any channel of the re-survey."))
        try:
            policy, calendar, zone = dispatch.rules_for(campaign, customer)
        except ValueError as exc:
            return Recheck(None, _("The contact rules cannot be applied: %(problem)s.") % {"problem": exc})
        history = attempt_histories(Q(follow_up__customer_id=customer.pk), since=now - _HISTORY_LOOKBACK)
        offered = scheduling.offered_slots(
            now + RECHECK_DELAY,
            zone=zone,
            channel=channel,
            policy=policy,
            calendar=calendar,
            part=customer.preferred_time_of_day,
            history=history.get(customer.pk, scheduling.ContactHistory()),
            count=1,
        )
        if not offered:
            return Recheck(None, _("No allowed time was found for the re-survey in the next weeks."))
        follow_up = FollowUp.objects.create(
            campaign=campaign,
            customer=customer,
            channel=channel,
            status=FollowUp.Status.PLANNED,
            scheduled_for=offered[0],
            scheduled_by=by,
            note=(_("Re-survey of case #%(case)s") % {"case": case.pk})[:_NOTE_LENGTH],
            rechecks_case=case,
        )
    return Recheck(follow_up)
