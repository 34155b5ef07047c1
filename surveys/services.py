"""Writes about campaigns: launch, pause, resume, finish, the minute-by-minute schedule, and wallet events.

Every state change is a conditional UPDATE (``filter(pk=…, status__in=allowed).update(…)``): two managers
clicking at once, or a click racing beat's schedule, change the campaign once, and the loser gets a
ValueError with a translated sentence the page shows as it is.

Lifecycle (DESIGN.md: draft → scheduled → running → paused → finished):

- launch: DRAFT → SCHEDULED (``starts_at`` in the future) or RUNNING. Batch campaigns queue their planning
  (surveys.planning.plan_campaign, as a task after commit); event campaigns have nothing to plan up front.
- pause: SCHEDULED/RUNNING → PAUSED. The dispatcher contacts follow-ups of RUNNING campaigns only, so
  nobody is contacted; planning that is under way carries on (a paused campaign keeps its plan).
- resume: PAUSED → RUNNING, or SCHEDULED while ``starts_at`` is still ahead.
- finish: SCHEDULED/RUNNING/PAUSED → FINISHED. Follow-ups nobody has contacted yet (PLANNED,
  AWAITING_CALLBACK) are cancelled; INVITED ones stay open until their link expires (the customer may
  still answer). Planning that is queued or under way is stopped: it notices and writes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Q, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Channel, Customer, User, WalletEvent
from surveys.audience import validate_audience
from surveys.models import Campaign, FollowUp, PlanningStatus, Survey
from surveys.policies import ContactPolicy, campaign_preset

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (Campaign.Status.SCHEDULED, Campaign.Status.RUNNING)
FINISHABLE_STATUSES = (Campaign.Status.SCHEDULED, Campaign.Status.RUNNING, Campaign.Status.PAUSED)
# Follow-ups a finished campaign cancels: nobody has been contacted for them yet (or a call-back is pending).
CANCELLED_ON_FINISH = (FollowUp.Status.PLANNED, FollowUp.Status.AWAITING_CALLBACK)


def campaign_policies(campaign: Campaign) -> dict[str, ContactPolicy]:
    """Every contact policy the campaign uses, by preset key, with the campaign's holiday choice applied.

    ValueError (English, from the policy module) when a key is unknown or a policy allows no contact on
    one of the campaign's channels.
    """
    keys = [campaign.contact_policy, *(campaign.region_policies or {}).values()]
    policies = {}
    for key in dict.fromkeys(keys):
        policy = campaign_preset(key, contact_on_holidays=bool(campaign.allow_holidays))
        policy.validate(campaign.channels)
        policies[key] = policy
    return policies


def _check_launchable(campaign: Campaign, *, now: datetime) -> None:
    """ValueError naming the first reason the campaign cannot be launched as it stands."""
    if campaign.survey.status != Survey.Status.PUBLISHED:
        raise ValueError(_("The survey “%(survey)s” is not published yet.") % {"survey": campaign.survey})
    channels = campaign.channels
    if not isinstance(channels, list) or not channels:
        raise ValueError(_("Choose at least one channel."))
    unknown = [str(c) for c in channels if c not in Channel.values]
    if unknown:
        raise ValueError(_("Unknown channels: %(channels)s.") % {"channels": ", ".join(unknown)})
    if not isinstance(campaign.region_policies, dict):
        raise ValueError(_("The policies per region must be a mapping of region to policy."))
    try:
        campaign_policies(campaign)
    except ValueError as exc:
        raise ValueError(_("The contact rules cannot be used: %(problem)s.") % {"problem": exc}) from exc
    try:
        validate_audience(campaign.audience)
    except ValidationError as exc:
        raise ValueError(_("The audience is not valid: %(problems)s") % {"problems": " ".join(exc.messages)}) from exc
    if campaign.trigger == Campaign.Trigger.EVENT:
        kinds = campaign.trigger_event_kinds
        if not isinstance(kinds, list) or not kinds:
            raise ValueError(_("Choose the wallet events that trigger this campaign."))
        unknown = [str(k) for k in kinds if k not in WalletEvent.Kind.values]
        if unknown:
            raise ValueError(_("Unknown wallet events: %(kinds)s.") % {"kinds": ", ".join(unknown)})
    if campaign.ends_at is not None and campaign.ends_at <= now:
        raise ValueError(_("The campaign's end date has already passed."))


def _refuse(campaign: Campaign, action: str) -> ValueError:
    """The error for a state change the campaign's current state does not allow."""
    campaign.refresh_from_db(fields=["status"])
    messages = {
        "launch": _("Only a draft campaign can be launched; this one is %(status)s."),
        "pause": _("Only a scheduled or running campaign can be paused; this one is %(status)s."),
        "resume": _("Only a paused campaign can be resumed; this one is %(status)s."),
        "finish": _("This campaign is already %(status)s."),
    }
    return ValueError(messages[action] % {"status": campaign.get_status_display().lower()})


def launch_campaign(*, campaign: Campaign, by: User | None) -> Campaign:
    """Launch a draft: check it, start it (or schedule it), and queue its planning after commit.

    The row is locked while it is checked, and the update is conditional on DRAFT, so a concurrent edit or
    a second click cannot slip between the check and the launch.
    """
    from surveys import tasks

    now = timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("survey").filter(pk=campaign.pk).first()
        if locked is None or locked.status != Campaign.Status.DRAFT:
            raise _refuse(campaign, "launch")
        _check_launchable(locked, now=now)
        status = Campaign.Status.SCHEDULED if locked.starts_at and locked.starts_at > now else Campaign.Status.RUNNING
        if locked.trigger == Campaign.Trigger.BATCH:
            planning = {"planning_status": PlanningStatus.QUEUED, "planned_at": None}
        else:  # follow-ups come with the events
            planning = {"planning_status": PlanningStatus.DONE, "planned_at": now}
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=status,
            planning_total=0,
            planning_done=0,
            planned_count=0,
            exclusions={},
            planning_error="",
            updated_at=now,
            **planning,
        )
        if updated != 1:
            raise _refuse(campaign, "launch")
        if locked.trigger == Campaign.Trigger.BATCH:
            pk = campaign.pk
            transaction.on_commit(lambda: tasks.plan_campaign.delay(pk))
    logger.info("campaign %s launched by %s", campaign.pk, by)
    campaign.refresh_from_db()
    return campaign


def _transition(campaign: Campaign, *, allowed: tuple[str, ...], action: str, **changes) -> Campaign:
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(**changes)
    if updated != 1:
        raise _refuse(campaign, action)
    campaign.refresh_from_db()
    return campaign


def pause_campaign(*, campaign: Campaign, by: User | None) -> Campaign:
    """Stop contacting anyone until the campaign is resumed (planning under way carries on)."""
    campaign = _transition(
        campaign,
        allowed=ACTIVE_STATUSES,
        action="pause",
        status=Campaign.Status.PAUSED,
        updated_at=timezone.now(),
    )
    logger.info("campaign %s paused by %s", campaign.pk, by)
    return campaign


def resume_campaign(*, campaign: Campaign, by: User | None) -> Campaign:
    """Contact customers again; a campaign whose start is still ahead goes back to SCHEDULED."""
    now = timezone.now()
    campaign = _transition(
        campaign,
        allowed=(Campaign.Status.PAUSED,),
        action="resume",
        # Decided in SQL, so the starts_at compared is the row's own.
        status=Case(
            When(starts_at__gt=now, then=Value(Campaign.Status.SCHEDULED)), default=Value(Campaign.Status.RUNNING)
        ),
        updated_at=now,
    )
    logger.info("campaign %s resumed by %s", campaign.pk, by)
    return campaign


def finish_campaign(*, campaign: Campaign, by: User | None) -> Campaign:
    """Finish the campaign, cancel follow-ups nobody has contacted yet, and stop planning under way.

    Planning checks the campaign's state with every progress write and once more, with the row locked,
    before it writes its follow-ups: it sees FINISHED (or its planning status no longer RUNNING) and
    gives up without writing.
    """
    now = timezone.now()
    stopped = _("Planning stopped: the campaign was finished before its follow-ups were planned.")
    with transaction.atomic():
        campaign = _transition(
            campaign,
            allowed=FINISHABLE_STATUSES,
            action="finish",
            status=Campaign.Status.FINISHED,
            planning_status=Case(
                When(
                    planning_status__in=(PlanningStatus.QUEUED, PlanningStatus.RUNNING),
                    then=Value(PlanningStatus.FAILED),
                ),
                default="planning_status",
            ),
            planning_error=Case(
                When(planning_status__in=(PlanningStatus.QUEUED, PlanningStatus.RUNNING), then=Value(stopped)),
                default="planning_error",
                output_field=TextField(),
            ),
            updated_at=now,
        )
        cancelled = FollowUp.objects.filter(campaign=campaign, status__in=CANCELLED_ON_FINISH).update(
            status=FollowUp.Status.CANCELLED,
            closed_at=now,
            close_reason=_("The campaign was finished before this customer was contacted."),
            claimed_at=None,
            claimed_by="",
            updated_at=now,
        )
    logger.info("campaign %s finished by %s; %s follow-ups cancelled", campaign.pk, by, cancelled)
    return campaign


@dataclasses.dataclass(frozen=True)
class ScheduleAdvance:
    started: int
    finished: int


def advance_campaign_schedules(*, now: datetime) -> ScheduleAdvance:
    """Beat, every minute: start SCHEDULED campaigns whose start has come; finish campaigns whose end has passed.

    Both steps are conditional updates (finish through ``finish_campaign``), so a tick racing a manager's
    click, or a second tick, changes nothing twice.
    """
    started = Campaign.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now), status=Campaign.Status.SCHEDULED, starts_at__lte=now
    ).update(status=Campaign.Status.RUNNING, updated_at=now)
    finished = 0
    for campaign in Campaign.objects.filter(status__in=FINISHABLE_STATUSES, ends_at__lte=now).only("pk"):
        try:
            finish_campaign(campaign=campaign, by=None)
        except ValueError:
            continue  # finished meanwhile by someone else
        finished += 1
    return ScheduleAdvance(started=started, finished=finished)


class UnknownCustomer(ValueError):
    """No customer has the bank reference an event names."""


def receive_wallet_event(
    *,
    customer_reference: str,
    bank_reference: str,
    kind: str,
    occurred_at: datetime,
    access_channel: str = "",
    details: dict | None = None,
) -> tuple[WalletEvent, bool]:
    """Record an event from the bank's systems, once per ``bank_reference``; (event, created).

    One statement finds the customer by ``customer_reference`` and stores the event, the event reference's
    uniqueness settling a race between two posts of the same event: on the API's busiest path that is one
    round trip and no transaction of its own. A new event asks a worker to plan its follow-ups after commit
    (surveys.tasks.request_event_planning). Posting the same reference again returns the stored event
    unchanged; UnknownCustomer when no customer has the reference.
    """
    from surveys import tasks

    if kind not in WalletEvent.Kind.values:
        raise ValueError(_("Unknown wallet event “%(kind)s”.") % {"kind": kind})
    if timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be a timezone-aware datetime")
    event = WalletEvent(
        bank_reference=bank_reference,
        kind=kind,
        occurred_at=occurred_at,
        received_at=timezone.now(),
        access_channel=access_channel,
        details=details or {},
    )
    with connection.cursor() as cursor:
        cursor.execute(_event_insert(connection.vendor), [*_event_params(event), customer_reference])
        stored = cursor.fetchone()
    if stored is None:
        # Nothing inserted: the reference was stored before, or the customer is unknown.
        if not Customer.objects.filter(bank_reference=customer_reference).exists():
            raise UnknownCustomer(_("No customer has this bank reference."))
        return WalletEvent.objects.select_related("customer").get(bank_reference=bank_reference), False
    event.pk, event.customer_id = stored
    transaction.on_commit(tasks.request_event_planning, robust=True)
    return event, True


@dataclasses.dataclass(frozen=True)
class IncomingEvent:
    """One event of a batch from the bank's systems (receive_wallet_events)."""

    customer_reference: str
    bank_reference: str
    kind: str
    occurred_at: datetime
    access_channel: str = ""
    details: dict | None = None


class UnknownCustomers(ValueError):
    """Some events of a batch name customers nobody has; ``positions`` are their places in the batch."""

    def __init__(self, positions: list[int]):
        super().__init__(_("No customer has this bank reference."))
        self.positions = positions


def receive_wallet_events(*, events: Sequence[IncomingEvent]) -> list[bool]:
    """Record a batch of events from the bank's systems; for each, whether it is new (in the batch's order).

    All or nothing: UnknownCustomers (their positions) when any event names an unknown customer, and nothing
    is stored. An event reference already stored (or repeated within the batch) is not stored again. In one
    transaction: one SELECT finds the customers, one INSERT … ON CONFLICT DO NOTHING RETURNING stores the new
    events and says which they were; the planning of them all is asked for once, after commit.
    """
    from surveys import tasks

    if not events:
        return []
    for event in events:
        if event.kind not in WalletEvent.Kind.values:
            raise ValueError(_("Unknown wallet event “%(kind)s”.") % {"kind": event.kind})
        if timezone.is_naive(event.occurred_at):
            raise ValueError("occurred_at must be a timezone-aware datetime")
    references = {event.customer_reference for event in events}
    received_at = timezone.now()
    with transaction.atomic():
        customer_ids = dict(Customer.objects.filter(bank_reference__in=references).values_list("bank_reference", "pk"))
        unknown = [place for place, event in enumerate(events) if event.customer_reference not in customer_ids]
        if unknown:
            raise UnknownCustomers(unknown)
        rows = [
            [
                *_event_params(
                    WalletEvent(
                        bank_reference=event.bank_reference,
                        kind=event.kind,
                        occurred_at=event.occurred_at,
                        received_at=received_at,
                        access_channel=event.access_channel,
                        details=event.details or {},
                    )
                ),
                customer_ids[event.customer_reference],
            ]
            for event in events
        ]
        with connection.cursor() as cursor:
            cursor.execute(_events_insert(connection.vendor, len(rows)), [value for row in rows for value in row])
            created = {reference for (reference,) in cursor.fetchall()}
        if created:
            transaction.on_commit(tasks.request_event_planning, robust=True)
    # The first of an event reference repeated within the batch is the one stored.
    first_place = {}
    for place, event in enumerate(events):
        first_place.setdefault(event.bank_reference, place)
    return [
        event.bank_reference in created and first_place[event.bank_reference] == place
        for place, event in enumerate(events)
    ]


_EVENT_COLUMNS = ("bank_reference", "kind", "occurred_at", "received_at", "access_channel", "details")


def _event_params(event: WalletEvent) -> list:
    fields = [WalletEvent._meta.get_field(name) for name in _EVENT_COLUMNS]
    return [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]


@functools.cache
def _event_insert(vendor: str = "") -> str:
    """INSERT … SELECT from the customer's row, doing nothing on a known event reference (PostgreSQL, SQLite),
    built once per database vendor (the argument: names are quoted per database).

    Written as SQL with the model's own table and column names: Django has no INSERT … SELECT, and the
    ORM's compilation of a SELECT, an INSERT and their savepoint cost more than the statements.
    """
    quote = connection.ops.quote_name
    field = WalletEvent._meta.get_field
    columns = ", ".join(quote(field(name).column) for name in (*_EVENT_COLUMNS, "customer"))
    placeholders = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    customers = quote(Customer._meta.db_table)
    return (
        f"INSERT INTO {quote(WalletEvent._meta.db_table)} ({columns}) "  # noqa: S608 - names from the models
        f"SELECT {placeholders}, {quote(Customer._meta.pk.column)} FROM {customers} "
        f"WHERE {quote(Customer._meta.get_field('bank_reference').column)} = %s "
        f"ON CONFLICT ({quote(field('bank_reference').column)}) DO NOTHING "
        f"RETURNING {quote(WalletEvent._meta.pk.column)}, {quote(field('customer').column)}"
    )


@functools.lru_cache(maxsize=64)
def _events_insert(vendor: str, count: int) -> str:
    """A multi-row INSERT of ``count`` events with their customer ids, doing nothing on a known reference and
    returning the references it stored; built once per database vendor and batch size."""
    quote = connection.ops.quote_name
    field = WalletEvent._meta.get_field
    columns = ", ".join(quote(field(name).column) for name in (*_EVENT_COLUMNS, "customer"))
    row = "(" + ", ".join(["%s"] * (len(_EVENT_COLUMNS) + 1)) + ")"
    return (
        f"INSERT INTO {quote(WalletEvent._meta.db_table)} ({columns}) "  # noqa: S608 - names from the models
        f"VALUES {', '.join([row] * count)} "
        f"ON CONFLICT ({quote(field('bank_reference').column)}) DO NOTHING "
        f"RETURNING {quote(field('bank_reference').column)}"
    )
