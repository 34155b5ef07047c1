"""Agents schedule calls themselves, always through the contact rules.

- ``call_options``: the next allowed times to offer for a customer's call, in the customer's rules;
- ``schedule_call``: a new call for any customer (after an inbound complaint, say), in the standing campaign
  of agent-scheduled calls (surveys/standing.py);
- ``move_call``: a due call of the agent's (or of the pool) moved to another allowed time, and kept by the
  agent who agreed it with the customer.

The rules are the dispatcher's: the chosen time must be inside the customer's call windows in their own time
zone (quiet hours, public holidays and their preferred part of the day included), before the follow-up's
last allowed moment, and past the caps that bound contacts in an open follow-up (contact attempts per period,
calls per week, the pause after a refusal). So the dispatcher, which re-checks every due call each minute,
leaves a scheduled call where the agent put it. The cap on follow-ups per period is not applied: it stops
campaigns from starting contacts the customer did not ask for, and a call an agent schedules answers the
customer. A refused time comes back with the nearest allowed one for the form to offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Channel, Customer, User
from surveys import dispatch, scheduling
from surveys.history import attempt_histories
from surveys.models import Campaign, FollowUp
from surveys.standing import AGENT_CALLS, StandingCampaignUnavailable, standing_campaign, standing_campaign_rules

__all__ = ["CallOptions", "ScheduleRefused", "call_options", "move_call", "schedule_call"]

NOTE_LENGTH = FollowUp._meta.get_field("note").max_length
OFFERED_COUNT = 6
# A call is scheduled at most this far ahead: further than that it is a typing slip, and the customer's
# situation will have changed.
SCHEDULE_HORIZON = timedelta(days=60)
# Longer than any cap period of the presets (attempts per 30 days, calls per week, a refusal pause).
_HISTORY_LOOKBACK = timedelta(days=400)


class ScheduleRefused(Exception):
    """Nothing was scheduled; ``message`` says why, ``field`` names the form field at fault (or is empty).

    ``nearest`` is the nearest allowed time when the time was the problem; ``open_follow_up`` the customer's
    open follow-up when that was.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str = "",
        nearest: datetime | None = None,
        open_follow_up: FollowUp | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.field, self.nearest, self.open_follow_up = message, field, nearest, open_follow_up


@dataclass(frozen=True)
class CallOptions:
    zone: ZoneInfo
    offered: list[datetime]  # aware, UTC; empty when no allowed time was found
    problem: str  # why nothing can be offered (no consent, opted out…), else ""


@dataclass(frozen=True)
class _Rules:
    policy: object
    calendar: object
    zone: ZoneInfo
    history: scheduling.ContactHistory


def _rules(campaign: Campaign, customer: Customer, *, now: datetime) -> _Rules:
    policy, calendar, zone = dispatch.rules_for(campaign, customer)
    histories = attempt_histories(Q(follow_up__customer_id=customer.pk), since=now - _HISTORY_LOOKBACK)
    return _Rules(policy, calendar, zone, histories.get(customer.pk, scheduling.ContactHistory()))


def _unreachable(customer: Customer) -> str:
    """Why the customer may not be called at all, or ""."""
    if customer.do_not_contact_at is not None:
        return _("The customer asked not to be contacted.")
    if customer.consent_given_at is None:
        return _("The customer has not given consent to be contacted.")
    if customer.phone_opt_out_at is not None:
        return _("The customer opted out of calls.")
    if not customer.phone:
        return _("The customer has no phone number.")
    return ""


def _offers(rules: _Rules, customer: Customer, *, start: datetime, not_after: datetime | None, count: int):
    return scheduling.offered_slots(
        start,
        zone=rules.zone,
        channel=Channel.PHONE,
        policy=rules.policy,
        calendar=rules.calendar,
        part=customer.preferred_time_of_day,
        history=rules.history,
        not_after=not_after,
        count=count,
    )


def call_options(*, customer: Customer, follow_up: FollowUp | None = None, now: datetime) -> CallOptions:
    """The times to offer for a call to ``customer``: a new one, or ``follow_up`` moved."""
    campaign = follow_up.campaign if follow_up is not None else standing_campaign_rules(AGENT_CALLS)
    zone = ZoneInfo(customer.time_zone)  # validated on the model
    problem = _unreachable(customer)
    if problem:
        return CallOptions(zone, [], problem)
    try:
        rules = _rules(campaign, customer, now=now)
    except ValueError as exc:
        return CallOptions(zone, [], _("The contact rules cannot be applied: %(problem)s.") % {"problem": exc})
    not_after = dispatch.latest_contact(follow_up) if follow_up is not None else None
    offered = _offers(rules, customer, start=now, not_after=not_after, count=OFFERED_COUNT)
    return CallOptions(zone, offered, "" if offered else _("No allowed time was found in the next weeks."))


def _check_time(
    at: datetime, *, campaign: Campaign, customer: Customer, not_after: datetime | None, now: datetime
) -> None:
    """Raise ScheduleRefused (field "at", with the nearest allowed time) unless ``at`` may be used."""
    problem = _unreachable(customer)
    if problem:
        raise ScheduleRefused(problem)
    try:
        rules = _rules(campaign, customer, now=now)
    except ValueError as exc:
        raise ScheduleRefused(_("The contact rules cannot be applied: %(problem)s.") % {"problem": exc}) from exc

    def refuse(message: str):
        nearest = _offers(rules, customer, start=max(at, now), not_after=not_after, count=1)
        return ScheduleRefused(message, field="at", nearest=nearest[0] if nearest else None)

    if at <= now:
        raise refuse(_("That time is in the past."))
    if at > now + SCHEDULE_HORIZON:
        raise ScheduleRefused(_("Schedule the call within the next 60 days."), field="at")
    if not_after is not None and at > not_after:
        raise refuse(_("This follow-up ends before that time."))
    zone, policy, calendar = rules.zone, rules.policy, rules.calendar
    if not dispatch.allowed_at(at, zone, Channel.PHONE, policy, calendar, customer.preferred_time_of_day, not_after):
        raise refuse(
            _(
                "The customer may not be called at that time: it is outside their call hours, in the quiet "
                "hours, on a public holiday or outside the part of the day they prefer."
            )
        )
    block = scheduling.fatigue_block(at, history=rules.history, policy=policy, new_follow_up=False, channel="phone")
    if block is not None:
        raise refuse(_("The customer has been contacted as often as the contact rules allow until later."))


def _clean_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise ScheduleRefused(_("Say in a few words why the customer is to be called."), field="note")
    if len(note) > NOTE_LENGTH:
        raise ScheduleRefused(
            _("Keep the reason to at most %(limit)s characters.") % {"limit": NOTE_LENGTH}, field="note"
        )
    return note


def schedule_call(
    *, customer_id: int, agent: User, at: datetime, note: str, keep: bool = True, now: datetime
) -> FollowUp:
    """A new call to the customer at ``at``, kept by the agent (``keep``) or left in the shared pool.

    1. The standing campaign of agent-scheduled calls must be running (a manager may pause it).
    2. The customer row is locked, so two agents scheduling for the same customer take turns; a customer
       with an open follow-up is refused, naming it (the agent moves that call instead). The database's
       one-open-follow-up constraint backs this up.
    3. The time is checked against the contact rules (``_check_time``); then the follow-up is created,
       PLANNED at that time, with who scheduled it and why.
    """
    note = _clean_note(note)
    try:
        campaign = standing_campaign(AGENT_CALLS, now=now)
    except StandingCampaignUnavailable:
        message = _("Agent-scheduled calls need a published version of the survey “%(key)s”.")
        raise ScheduleRefused(message % {"key": AGENT_CALLS.survey_key}) from None
    if campaign.status != Campaign.Status.RUNNING:
        raise ScheduleRefused(
            _("A manager has paused agent-scheduled calls (campaign “%(name)s”).") % {"name": campaign.name}
        )
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        open_one = (
            FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN_STATUSES)
            .select_related("campaign")
            .first()
        )
        if open_one is not None:
            raise ScheduleRefused(_open_message(open_one), open_follow_up=open_one)
        _check_time(at, campaign=campaign, customer=customer, not_after=None, now=now)
        try:
            with transaction.atomic():
                return FollowUp.objects.create(
                    campaign=campaign,
                    customer=customer,
                    channel=Channel.PHONE,
                    status=FollowUp.Status.PLANNED,
                    scheduled_for=at,
                    assigned_agent=agent if keep else None,
                    scheduled_by=agent,
                    note=note,
                )
        except IntegrityError:  # another open follow-up appeared (the constraint, on a database without locks)
            raise ScheduleRefused(_("The customer already has an open follow-up.")) from None


def _open_message(follow_up: FollowUp) -> str:
    return _("The customer already has an open follow-up in the campaign “%(campaign)s” (%(status)s).") % {
        "campaign": follow_up.campaign.name,
        "status": follow_up.get_status_display().lower(),
    }


def move_call(*, follow_up_id: int, agent: User, at: datetime, note: str, now: datetime) -> FollowUp:
    """Move a due call (the agent's or the pool's) to ``at``; the agent keeps it.

    The row is locked and re-read: a call taken by a colleague, closed or being made meanwhile is refused
    rather than moved. A call-back the customer asked for becomes an ordinary planned call at the new time.
    """
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise ScheduleRefused(
            _("Keep the reason to at most %(limit)s characters.") % {"limit": NOTE_LENGTH}, field="note"
        )
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("customer", "campaign", "wallet_event")
            .get(pk=follow_up_id)
        )
        if (
            follow_up.channel != Channel.PHONE
            or follow_up.status not in FollowUp.DUE_STATUSES
            or follow_up.assigned_agent_id not in (None, agent.pk)
        ):
            raise ScheduleRefused(_("This call was closed or taken by a colleague meanwhile; nothing was changed."))
        _check_time(
            at,
            campaign=follow_up.campaign,
            customer=follow_up.customer,
            not_after=dispatch.latest_contact(follow_up),
            now=now,
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(
            status=FollowUp.Status.PLANNED,
            scheduled_for=at,
            assigned_agent=agent,
            scheduled_by=agent,
            note=note or follow_up.note,
            updated_at=now,
        )
    follow_up.refresh_from_db()
    return follow_up
