"""Planning follow-ups: a batch campaign's whole audience, or one wallet event's follow-ups.

The rules themselves are pure (surveys/scheduling.py); this module loads what they need, applies them
customer by customer in plain Python, counts who is left out and why, and writes the result.

Batch planning (``plan_campaign``), run by a Celery task:

1. Claim: a conditional update QUEUED → RUNNING; a duplicated task message finds nothing to claim.
2. Stream the audience by primary key in chunks (``CHUNK_SIZE`` rows, ``values_list``: no model objects),
   with each chunk's contact history and open follow-ups loaded in two grouped queries over its pk range.
3. Per customer: do-not-contact, consent, an open follow-up elsewhere, the zone; then the campaign's
   channels in order (the contact detail must exist and the channel must not be opted out of), and for
   each the slot from ``scheduling.plan_contact`` under the customer's region policy, its holiday
   calendar, the preferred part of day, ``starts_at`` as the earliest and ``ends_at`` as the latest
   moment, and a ``CapacityLedger`` per channel family seeded with every follow-up already planned (by
   any campaign), so agents and message throughput shared between campaigns are not overbooked.
   Planned rows go to a temporary CSV spool, not to memory.
4. After each chunk, progress and exclusion counts are written in autocommit (the campaign page polls
   them). The write is conditional on the campaign still being planned: a finished campaign (its
   planning stopped by ``finish_campaign``) stops here and writes nothing. A paused campaign keeps
   planning: pausing stops contact, not preparation, and resuming should not need a re-plan.
5. All or nothing: the spool is written in ONE transaction at the end, with the campaign row locked and
   checked once more, together with planned_count, the exclusions and planning_status DONE. On
   PostgreSQL the spool is COPYed into a temporary staging table and inserted with ON CONFLICT DO
   NOTHING; elsewhere it is bulk-inserted ignoring conflicts. Either way a customer who got an open
   follow-up from another campaign meanwhile (the one-open-follow-up-per-customer index) is skipped and
   counted as ``open_follow_up``.
6. Any exception leaves nothing written: planning FAILED with a short error for the manager, the
   campaign back to DRAFT so it can be corrected and launched again, and the traceback logged.

Speed: customers with the same zone, preferred part of day, policy and channel form a group whose slots
only move forward (the ledger only fills up and the windows are the same), so each group's search starts
at its last planned moment rather than at the campaign's start. A group that found no slot at all from
there stays without one for the rest of the run.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
import logging
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.db.models.functions import TruncHour, TruncMinute
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, WalletEvent
from surveys import scheduling
from surveys.audience import audience_queryset
from surveys.calendars import calendar_for
from surveys.history import attempt_histories
from surveys.models import Campaign, FollowUp, PlanningStatus
from surveys.policies import ContactPolicy
from surveys.services import campaign_policies

logger = logging.getLogger(__name__)

CHUNK_SIZE = 10_000
INSERT_BATCH_SIZE = 5_000
# States in which a campaign's planning may run and be written: paused campaigns keep their plan.
PLANNABLE_STATUSES = (Campaign.Status.SCHEDULED, Campaign.Status.RUNNING, Campaign.Status.PAUSED)
# Event follow-ups are planned for these campaigns only (a paused campaign ignores events meanwhile).
EVENT_STATUSES = (Campaign.Status.SCHEDULED, Campaign.Status.RUNNING)


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


# What planning reads of a customer: flags computed by the database rather than timestamps parsed in
# Python (a million datetimes cost seconds), as plain tuples.
_CUSTOMER_FLAGS = {
    "flag_dnc": _flag(Q(do_not_contact_at__isnull=False)),
    "flag_consent": _flag(Q(consent_given_at__isnull=False)),
    "flag_phone": _flag(~Q(phone="")),
    "flag_email": _flag(~Q(email="")),
    "flag_out_phone": _flag(Q(phone_opt_out_at__isnull=False)),
    "flag_out_sms": _flag(Q(sms_opt_out_at__isnull=False)),
    "flag_out_email": _flag(Q(email_opt_out_at__isnull=False)),
}
_CUSTOMER_FIELDS = ("pk", "time_zone", "preferred_time_of_day", "region", *_CUSTOMER_FLAGS)
# Positions in a _CUSTOMER_FIELDS row, and per channel: (has the contact detail, opted out) positions.
_PK, _ZONE, _PART, _REGION, _DNC, _CONSENT = 0, 1, 2, 3, 4, 5
_CHANNEL_COLUMNS = {"phone": (6, 8), "sms": (6, 9), "email": (7, 10)}
_FAMILY = {"phone": "call", "sms": "message", "email": "message"}


def _customer_rows(customers):
    return customers.annotate(**_CUSTOMER_FLAGS).values_list(*_CUSTOMER_FIELDS)


_EMPTY_HISTORY = scheduling.ContactHistory()


class PlanningStopped(Exception):
    """The campaign was finished (or its planning taken away) while it was being planned."""


@dataclass(frozen=True)
class Decision:
    """A planned (channel, moment), or the exclusion code when the customer is left out."""

    channel: str | None = None
    moment: datetime | None = None
    code: str | None = None
    reason: str = ""


# --- The decision for one customer ----------------------------------------------------------------


class _Planner:
    """The campaign's rules, calendars, ledgers and group positions, applied to customer rows."""

    def __init__(self, campaign: Campaign, *, now: datetime, ledgers: dict[str, scheduling.CapacityLedger]) -> None:
        policies = campaign_policies(campaign)
        self.default_policy = policies[campaign.contact_policy]
        self.region_policies = {region: policies[key] for region, key in (campaign.region_policies or {}).items()}
        self.calendars: dict[ContactPolicy, object] = {
            p: calendar_for(p.holiday_country, p.holiday_subdivision) for p in policies.values()
        }
        self.channels = [(c, *_CHANNEL_COLUMNS[c]) for c in campaign.channels]
        self.ledgers = ledgers
        self.start = max(now, campaign.starts_at or now)
        # ends_at is the latest moment: given to plan_contact as an "event" at the start with no cool-off
        # and the end as its deadline, so the capacity search respects it too.
        self.ends_at = campaign.ends_at
        self.zones: dict[str, ZoneInfo | None] = {}
        # Group (zone, part, policy, channel) -> the earliest moment its next slot can be, or the reason
        # the group has none left.
        self.group_from: dict[tuple, datetime] = {}
        self.group_none: dict[tuple, Decision] = {}
        self._prepared: dict[tuple, object] = {}

    def use_ledgers(self, ledgers: dict[str, scheduling.CapacityLedger]) -> None:
        """Decide against these ledgers from now on (an event's window): what was prepared held the old ones."""
        self.ledgers = ledgers
        self._prepared.clear()

    def zone(self, name: str) -> ZoneInfo | None:
        try:
            return self.zones[name]
        except KeyError:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                zone = None
            self.zones[name] = zone
            return zone

    def eligible_channels(self, row: tuple) -> list[str] | str:
        """The campaign's channels this customer can be contacted by, in order, or the exclusion code."""
        if row[_DNC]:
            return "do_not_contact"
        if not row[_CONSENT]:
            return "no_consent"
        reachable = [(channel, opt_out) for channel, detail, opt_out in self.channels if row[detail]]
        if not reachable:
            return "no_contact_details"
        allowed = [channel for channel, opt_out in reachable if not row[opt_out]]
        return allowed or "opted_out"

    def _prepare(self, row: tuple) -> Decision | tuple[tuple[tuple, scheduling.CapacityLedger | None], ...]:
        """What every customer with this row's zone, part, region and flags shares: an exclusion, or the
        (group key, ledger) of each usable channel in order."""
        channels = self.eligible_channels(row)
        if isinstance(channels, str):
            return Decision(code=channels)
        zone = self.zone(row[_ZONE])
        if zone is None:
            return Decision(code="unknown_time_zone")
        policy = self.region_policies.get(row[_REGION], self.default_policy)
        return tuple(((zone, row[_PART], policy, c), self.ledgers.get(_FAMILY[c])) for c in channels)

    def decide(
        self,
        row: tuple,
        history: scheduling.ContactHistory,
        *,
        event_at: datetime | None = None,
        cool_off: timedelta | None = None,
        deadline: timedelta | None = None,
        use_groups: bool = True,
    ) -> Decision:
        signature = row[1:]
        prepared = self._prepared.get(signature)
        if prepared is None:
            prepared = self._prepared[signature] = self._prepare(row)
        if isinstance(prepared, Decision):
            return prepared
        if event_at is None:
            if self.ends_at is not None:
                event_at, cool_off, deadline = self.start, timedelta(0), self.ends_at - self.start
        else:
            deadline = deadline if self.ends_at is None else min(deadline, self.ends_at - event_at)
        # A customer with a history is checked against the caps at the start; the others can begin at their
        # group's position (nothing earlier can have room: see the module docstring).
        grouped = use_groups and history is _EMPTY_HISTORY
        first: Decision | None = None
        for key, ledger in prepared:
            decision = None
            if grouped:
                decision = self.group_none.get(key)
                last = self.group_from.get(key)
                # The group's last moment is allowed and not past any deadline: if its bucket still has
                # room it is this customer's slot too, exactly what plan_contact would find.
                if decision is None and last is not None and (ledger is None or ledger.reserve(last) is not None):
                    return Decision(channel=key[3], moment=last)
            if decision is None:
                decision = self._slot(key, history, event_at, cool_off, deadline, grouped)
            if decision.moment is not None:
                return decision
            first = first or decision
        return first

    def _slot(self, key, history, event_at, cool_off, deadline, grouped) -> Decision:
        zone, part, policy, channel = key
        if event_at is not None and deadline < cool_off:
            return Decision(code="no_slot_before_deadline", reason="no_slot_before_deadline: the campaign ends first")
        now = self.group_from.get(key, self.start) if grouped else self.start
        window = {}
        if event_at is not None:
            window = {"event_at": event_at, "cool_off": cool_off, "deadline": deadline}
        slot = scheduling.plan_contact(
            now,
            zone=zone,
            channel=channel,
            policy=policy,
            calendar=self.calendars[policy],
            part=part,
            history=history,
            ledger=self.ledgers.get(_FAMILY[channel]),
            **window,
        )
        if slot.moment is None:
            decision = Decision(code=slot.code, reason=slot.reason)
            if grouped:
                self.group_none[key] = decision
            return decision
        if grouped:
            self.group_from[key] = slot.moment
        return Decision(channel=channel, moment=slot.moment)


# --- Loading what the rules need --------------------------------------------------------------------


def _history_horizon(policies: Iterable[ContactPolicy]) -> timedelta:
    longest = timedelta(days=7)
    for policy in policies:
        longest = max(longest, policy.follow_up_period, policy.attempt_period, policy.pause_after_refusal or longest)
    return longest


def _histories(
    *,
    lo: int | None = None,
    hi: int | None = None,
    ids: Collection[int] | None = None,
    now: datetime,
    horizon: timedelta,
) -> tuple[dict[int, scheduling.ContactHistory], set[int]]:
    """Contact histories and the customers with an open follow-up, for customer pks lo..hi or the given
    ``ids`` (two queries).

    Skipped follow-ups (no slot was found) and failed attempts never reached the customer and do not count
    against the caps.
    """
    since = now - horizon
    created: dict[int, list[datetime]] = {}
    open_ids: set[int] = set()
    if ids is not None:
        mine, theirs = Q(customer_id__in=ids), Q(follow_up__customer_id__in=ids)
    else:
        mine = Q(customer_id__gte=lo, customer_id__lte=hi)
        theirs = Q(follow_up__customer_id__gte=lo, follow_up__customer_id__lte=hi)
    rows = (
        FollowUp.objects.filter(mine)
        .filter(Q(status__in=FollowUp.OPEN_STATUSES) | Q(created_at__gt=since))
        .exclude(status=FollowUp.Status.SKIPPED)
        .values_list("customer_id", "created_at", "status")
    )
    for customer_id, created_at, status in rows:
        if status in FollowUp.OPEN_STATUSES:
            open_ids.add(customer_id)
        if created_at > since:
            created.setdefault(customer_id, []).append(created_at)
    contacted = attempt_histories(theirs, since=since)
    histories = {
        customer_id: dataclasses.replace(
            contacted.get(customer_id, _EMPTY_HISTORY), follow_up_created=tuple(created.get(customer_id, ()))
        )
        for customer_id in created.keys() | contacted.keys()
    }
    return histories, open_ids


def _ledgers(
    campaign: Campaign, *, since: datetime, until: datetime | None = None
) -> dict[str, scheduling.CapacityLedger]:
    """A capacity ledger per channel family the campaign uses, seeded with every follow-up already planned."""
    due = FollowUp.objects.filter(status__in=FollowUp.DUE_STATUSES, scheduled_for__gte=since)
    if until is not None:
        due = due.filter(scheduled_for__lte=until)
    families = {_FAMILY[c] for c in campaign.channels}
    ledgers = {}
    if "call" in families:
        rows = (
            due.filter(channel="phone")
            .annotate(bucket=TruncHour("scheduled_for", tzinfo=UTC))
            .values_list("bucket")
            .annotate(n=Count("id"))
            .order_by()
        )
        ledgers["call"] = scheduling.CapacityLedger(per_hour=campaign.calls_per_hour, existing=dict(rows))
    if "message" in families:
        rows = (
            due.filter(channel__in=("sms", "email"))
            .annotate(bucket=TruncMinute("scheduled_for", tzinfo=UTC))
            .values_list("bucket")
            .annotate(n=Count("id"))
            .order_by()
        )
        ledgers["message"] = scheduling.CapacityLedger(per_minute=campaign.messages_per_minute, existing=dict(rows))
    return ledgers


# --- Batch planning ----------------------------------------------------------------------------------


def plan_campaign(*, campaign_id: int) -> None:
    """Plan a launched batch campaign's follow-ups (see the module docstring). Never raises."""
    now = timezone.now()
    claimed = Campaign.objects.filter(
        pk=campaign_id, planning_status=PlanningStatus.QUEUED, status__in=PLANNABLE_STATUSES
    ).update(planning_status=PlanningStatus.RUNNING, planning_done=0, exclusions={}, planning_error="", updated_at=now)
    if claimed != 1:
        logger.info("campaign %s: nothing to plan (already planned, planning, or not launched)", campaign_id)
        return
    try:
        _plan_campaign(campaign_id, now=now)
    except PlanningStopped:
        logger.info("campaign %s: planning stopped, the campaign was finished", campaign_id)
    except Exception as exc:
        logger.exception("campaign %s: planning failed", campaign_id)
        error = _("Planning failed and nothing was planned: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        Campaign.objects.filter(pk=campaign_id, planning_status=PlanningStatus.RUNNING).update(
            planning_status=PlanningStatus.FAILED,
            planning_error=error[:500],
            status=Campaign.Status.DRAFT,
            updated_at=timezone.now(),
        )


def _still_planning(campaign_id: int, **progress) -> None:
    """Write progress if the campaign is still being planned; PlanningStopped if it is not."""
    updated = Campaign.objects.filter(
        pk=campaign_id, planning_status=PlanningStatus.RUNNING, status__in=PLANNABLE_STATUSES
    ).update(**progress, updated_at=timezone.now())
    if updated != 1:
        raise PlanningStopped


def _plan_campaign(campaign_id: int, *, now: datetime) -> None:
    campaign = Campaign.objects.get(pk=campaign_id)
    customers = audience_queryset(campaign.audience, now=now)
    total = customers.count()
    _still_planning(campaign_id, planning_total=total)
    planner = _Planner(campaign, now=now, ledgers=_ledgers(campaign, since=now - timedelta(hours=1)))
    horizon = _history_horizon([planner.default_policy, *planner.region_policies.values()])
    exclusions: Counter[str] = Counter()
    planned = done = 0
    texts: dict[datetime, str] = {}  # moments repeat across a group: format each once
    with tempfile.TemporaryFile(mode="w+", newline="", encoding="ascii") as spool:
        last_pk = 0
        while True:
            rows = list(_customer_rows(customers.filter(pk__gt=last_pk).order_by("pk"))[:CHUNK_SIZE])
            if not rows:
                break
            last_pk = rows[-1][_PK]
            histories, open_ids = _histories(lo=rows[0][_PK], hi=last_pk, now=now, horizon=horizon)
            lines = []
            for row in rows:
                if row[_PK] in open_ids:
                    exclusions["open_follow_up"] += 1
                    continue
                decision = planner.decide(row, histories.get(row[_PK], _EMPTY_HISTORY))
                if decision.moment is None:
                    exclusions[decision.code] += 1
                    continue
                text = texts.get(decision.moment)
                if text is None:
                    text = texts[decision.moment] = decision.moment.isoformat()
                lines.append(f"{row[_PK]},{decision.channel},{text}\n")
            spool.writelines(lines)
            texts.clear()
            planned += len(lines)
            done += len(rows)
            _still_planning(campaign_id, planning_done=done, exclusions=dict(exclusions))
        spool.seek(0)
        with transaction.atomic():
            locked = (
                Campaign.objects.select_for_update()
                .filter(pk=campaign_id, planning_status=PlanningStatus.RUNNING, status__in=PLANNABLE_STATUSES)
                .first()
            )
            if locked is None:
                raise PlanningStopped
            inserted = _insert_follow_ups(spool, campaign_id=campaign_id, now=timezone.now())
            if planned - inserted:
                exclusions["open_follow_up"] += planned - inserted
            Campaign.objects.filter(pk=campaign_id).update(
                planning_status=PlanningStatus.DONE,
                planning_total=max(total, done),
                planning_done=done,
                planned_count=inserted,
                exclusions=dict(exclusions),
                planned_at=timezone.now(),
                updated_at=timezone.now(),
            )
    logger.info("campaign %s: %s follow-ups planned, %s left out", campaign_id, inserted, sum(exclusions.values()))


def _insert_follow_ups(spool: io.TextIOBase, *, campaign_id: int, now: datetime) -> int:
    """Insert the spooled (customer, channel, moment) rows as PLANNED follow-ups; the number inserted.

    Rows that would break a uniqueness rule (a customer who got an open follow-up meanwhile) are skipped.
    Runs inside the caller's transaction.
    """
    if connection.vendor == "postgresql":
        return _insert_follow_ups_postgresql(spool, campaign_id=campaign_id, now=now)
    before = FollowUp.objects.filter(campaign_id=campaign_id).count()
    batch: list[FollowUp] = []
    for customer_id, channel, moment in csv.reader(spool):
        batch.append(
            FollowUp(
                campaign_id=campaign_id,
                customer_id=int(customer_id),
                channel=channel,
                status=FollowUp.Status.PLANNED,
                scheduled_for=datetime.fromisoformat(moment),
                priority=0,
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) >= INSERT_BATCH_SIZE:
            FollowUp.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    FollowUp.objects.bulk_create(batch, ignore_conflicts=True)
    return FollowUp.objects.filter(campaign_id=campaign_id).count() - before


def _insert_follow_ups_postgresql(spool: io.TextIOBase, *, campaign_id: int, now: datetime) -> int:
    table = FollowUp._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS planning_staging")
        cursor.execute(
            "CREATE TEMPORARY TABLE planning_staging "
            "(customer_id bigint NOT NULL, channel varchar(8) NOT NULL, scheduled_for timestamptz NOT NULL) "
            "ON COMMIT DROP"
        )
        with cursor.copy("COPY planning_staging (customer_id, channel, scheduled_for) FROM STDIN (FORMAT csv)") as copy:
            while data := spool.read(1 << 20):
                copy.write(data)
        # Every column is given: COPY and INSERT … SELECT bypass Django's defaults and auto_now.
        insert = f"""
            INSERT INTO {table} (
                campaign_id, customer_id, wallet_event_id, status, channel, scheduled_for, attempts, priority,
                assigned_agent_id, expires_at, close_reason, claimed_at, claimed_by, closed_at,
                scheduled_by_id, note, rechecks_case_id, created_at, updated_at
            )
            SELECT %s, s.customer_id, NULL, %s, s.channel, s.scheduled_for, 0, 0,
                   NULL, NULL, '', NULL, '', NULL, NULL, '', NULL, %s, %s
            FROM planning_staging s
        """  # noqa: S608 - the table name comes from the model, the values are parameters
        params = [campaign_id, FollowUp.Status.PLANNED, now, now]
        try:
            # Customers who got an open follow-up since their chunk was read are left out by an anti-join:
            # much cheaper than ON CONFLICT's speculative insertion into every unique index.
            with transaction.atomic():
                anti_join = f"""
                    WHERE NOT EXISTS (
                        SELECT 1 FROM {table} f WHERE f.customer_id = s.customer_id AND f.status = ANY(%s)
                    )"""  # noqa: S608 - as above
                cursor.execute(insert + anti_join, [*params, list(FollowUp.OPEN_STATUSES)])
        except IntegrityError:
            # One was inserted by another transaction between the anti-join and our insert: skip it.
            cursor.execute(f"{insert} ON CONFLICT DO NOTHING", params)
        inserted = cursor.rowcount
        cursor.execute("DROP TABLE planning_staging")
    return inserted


# --- Event-triggered planning ------------------------------------------------------------------------


def _event_campaigns():
    """The campaigns listening for events now, newest first: the order an event's follow-ups are planned in."""
    return Campaign.objects.filter(trigger=Campaign.Trigger.EVENT, status__in=EVENT_STATUSES).order_by(
        "-created_at", "-pk"
    )


def plan_follow_ups_for_event(*, wallet_event_id: int) -> None:
    """Plan the follow-ups a wallet event triggers, once per matching campaign (idempotent).

    For each SCHEDULED or RUNNING event campaign listening for the event's kind whose audience holds the
    customer: the slot between the event's cool-off and deadline (and within the campaign's dates). A
    customer the rules leave out gets a SKIPPED follow-up carrying the reason, and the campaign's exclusion
    count goes up by one in the same transaction; the (campaign, event) uniqueness makes a second run a
    no-op. The event is then marked planned, so beat's safety net leaves it alone.
    """
    event = WalletEvent.objects.filter(pk=wallet_event_id).first()
    if event is None:
        return
    now = timezone.now()
    campaigns = [campaign for campaign in _event_campaigns() if event.kind in (campaign.trigger_event_kinds or [])]
    for campaign in campaigns:
        if FollowUp.objects.filter(campaign=campaign, wallet_event=event).exists():
            continue
        if not audience_queryset(campaign.audience, now=now).filter(pk=event.customer_id).exists():
            continue
        _plan_event_follow_up(campaign, event, now=now)
    WalletEvent.objects.filter(pk=event.pk, follow_up_planned_at__isnull=True).update(follow_up_planned_at=now)


def _plan_event_follow_up(campaign: Campaign, event: WalletEvent, *, now: datetime) -> None:
    row = _customer_rows(Customer.objects.filter(pk=event.customer_id)).get()
    earliest, latest = event.occurred_at + campaign.cool_off, event.occurred_at + campaign.deadline
    planner = _Planner(campaign, now=now, ledgers=_ledgers(campaign, since=earliest, until=latest))
    horizon = _history_horizon([planner.default_policy, *planner.region_policies.values()])
    histories, open_ids = _histories(lo=row[_PK], hi=row[_PK], now=now, horizon=horizon)
    if row[_PK] in open_ids:
        decision = Decision(code="open_follow_up", reason="open_follow_up: already in another open follow-up")
    else:
        decision = planner.decide(
            row,
            histories.get(row[_PK], _EMPTY_HISTORY),
            event_at=event.occurred_at,
            cool_off=campaign.cool_off,
            deadline=campaign.deadline,
            use_groups=False,
        )
    if decision.moment is not None:
        try:
            with transaction.atomic():
                FollowUp.objects.create(
                    campaign=campaign,
                    customer_id=row[_PK],
                    wallet_event=event,
                    channel=decision.channel,
                    status=FollowUp.Status.PLANNED,
                    scheduled_for=decision.moment,
                )
                Campaign.objects.filter(pk=campaign.pk).update(planned_count=F("planned_count") + 1)
            return
        except IntegrityError:
            if FollowUp.objects.filter(campaign=campaign, wallet_event=event).exists():
                return  # planned meanwhile by another worker
            # The customer got an open follow-up from another campaign meanwhile.
            decision = Decision(code="open_follow_up", reason="open_follow_up: already in another open follow-up")
    _record_skip(campaign, event, decision, now=now)


def _record_skip(campaign: Campaign, event: WalletEvent, decision: Decision, *, now: datetime) -> None:
    """A SKIPPED follow-up with the reason, and the exclusion counted, together or not at all."""
    channel = campaign.channels[0] if campaign.channels else "phone"
    try:
        with transaction.atomic():
            FollowUp.objects.create(
                campaign=campaign,
                customer_id=event.customer_id,
                wallet_event=event,
                channel=channel,
                status=FollowUp.Status.SKIPPED,
                closed_at=now,
                close_reason=(decision.reason or decision.code or "")[:300],
            )
            # The row lock serialises concurrent counts: read, add one, write.
            locked = Campaign.objects.select_for_update().only("exclusions").get(pk=campaign.pk)
            exclusions = dict(locked.exclusions or {})
            exclusions[decision.code] = int(exclusions.get(decision.code, 0)) + 1
            Campaign.objects.filter(pk=campaign.pk).update(exclusions=exclusions)
    except IntegrityError:
        pass  # the same event handled meanwhile by another worker: it counted it


# --- Event-triggered planning, a batch at a time ------------------------------------------------------
#
# The same rules and outcomes as plan_follow_ups_for_event applied to each event in pk order, with what they
# read loaded once for the batch: a bounded number of queries however many events it holds. What an
# earlier event of the batch planned is seen by the later ones in memory (the customer's open follow-up,
# the capacity it takes), as the database would show it to them one by one.

_OPEN_FOLLOW_UP = Decision(code="open_follow_up", reason="open_follow_up: already in another open follow-up")


class _DueMoments:
    """Every due follow-up's moment per channel family, over the batch's windows, sorted: each event's
    ledger is seeded with the moments in ITS window only, exactly as ``_ledgers`` would read them."""

    def __init__(self, *, since: datetime, until: datetime) -> None:
        self.moments: dict[str, list[datetime]] = {"call": [], "message": []}
        self.counts: dict[str, list[int]] = {"call": [], "message": []}
        rows = (
            FollowUp.objects.filter(
                status__in=FollowUp.DUE_STATUSES, scheduled_for__gte=since, scheduled_for__lte=until
            )
            .values_list("channel", "scheduled_for")
            .annotate(n=Count("id"))
            .order_by("scheduled_for")
        )
        for channel, moment, count in rows:
            self.add(_FAMILY[channel], moment, count)

    def add(self, family: str, moment: datetime, count: int = 1) -> None:
        moments = self.moments[family]
        at = bisect.bisect_left(moments, moment)
        if at < len(moments) and moments[at] == moment:
            self.counts[family][at] += count
        else:
            moments.insert(at, moment)
            self.counts[family].insert(at, count)

    def ledgers(self, campaign: Campaign, *, since: datetime, until: datetime) -> dict[str, scheduling.CapacityLedger]:
        families = {_FAMILY[c] for c in campaign.channels}
        ledgers = {}
        for family, limits in (
            ("call", {"per_hour": campaign.calls_per_hour}),
            ("message", {"per_minute": campaign.messages_per_minute}),
        ):
            if family in families:
                moments = self.moments[family]
                lo, hi = bisect.bisect_left(moments, since), bisect.bisect_right(moments, until)
                existing = dict(zip(moments[lo:hi], self.counts[family][lo:hi], strict=True))
                ledgers[family] = scheduling.CapacityLedger(**limits, existing=existing)
        return ledgers


def _plan_event_batch(event_ids: list[int]) -> None:
    """Plan the follow-ups of these wallet events (plan_follow_ups_for_event for each, in pk order) and mark
    them planned. Runs inside the caller's transaction."""
    now = timezone.now()
    events = list(
        WalletEvent.objects.filter(pk__in=event_ids)
        .order_by("pk")
        .values_list("pk", "customer_id", "kind", "occurred_at")
    )
    kinds = {kind for _pk, _customer, kind, _at in events}
    campaigns = [campaign for campaign in _event_campaigns() if kinds & set(campaign.trigger_event_kinds or [])]
    if campaigns:
        _plan_event_rows(events, campaigns, now=now)
    WalletEvent.objects.filter(pk__in=event_ids, follow_up_planned_at__isnull=True).update(follow_up_planned_at=now)


def _plan_event_rows(events: list[tuple], campaigns: list[Campaign], *, now: datetime) -> None:
    event_ids = [pk for pk, *_rest in events]
    customer_ids = {customer_id for _pk, customer_id, _kind, _at in events}
    done = set(
        FollowUp.objects.filter(wallet_event_id__in=event_ids, campaign__in=campaigns).values_list(
            "campaign_id", "wallet_event_id"
        )
    )
    members = {
        campaign.pk: set(
            audience_queryset(campaign.audience, now=now).filter(pk__in=customer_ids).values_list("pk", flat=True)
        )
        for campaign in campaigns
    }
    rows = {row[_PK]: row for row in _customer_rows(Customer.objects.filter(pk__in=customer_ids))}
    windows = [(at + c.cool_off, at + c.deadline) for _pk, _customer, _kind, at in events for c in campaigns]
    due = _DueMoments(since=min(w[0] for w in windows), until=max(w[1] for w in windows))
    planners: dict[int, _Planner] = {}
    histories: dict[timedelta, dict[int, scheduling.ContactHistory]] = {}
    open_ids: set[int] | None = None
    planned: list[FollowUp] = []
    skipped: list[tuple[Campaign, FollowUp, str]] = []
    for event_id, customer_id, kind, occurred_at in events:
        for campaign in campaigns:
            if kind not in (campaign.trigger_event_kinds or []) or (campaign.pk, event_id) in done:
                continue
            if customer_id not in members[campaign.pk]:
                continue
            row = rows[customer_id]
            earliest, latest = occurred_at + campaign.cool_off, occurred_at + campaign.deadline
            planner = planners.get(campaign.pk)
            if planner is None:
                planner = planners[campaign.pk] = _Planner(campaign, now=now, ledgers={})
            planner.use_ledgers(due.ledgers(campaign, since=earliest, until=latest))
            horizon = _history_horizon([planner.default_policy, *planner.region_policies.values()])
            if horizon not in histories:
                histories[horizon], found_open = _histories(ids=customer_ids, now=now, horizon=horizon)
                open_ids = found_open if open_ids is None else open_ids
            if customer_id in open_ids:
                decision = _OPEN_FOLLOW_UP
            else:
                decision = planner.decide(
                    row,
                    histories[horizon].get(customer_id, _EMPTY_HISTORY),
                    event_at=occurred_at,
                    cool_off=campaign.cool_off,
                    deadline=campaign.deadline,
                    use_groups=False,
                )
            if decision.moment is not None:
                open_ids.add(customer_id)
                due.add(_FAMILY[decision.channel], decision.moment)
                planned.append(
                    FollowUp(
                        campaign=campaign,
                        customer_id=customer_id,
                        wallet_event_id=event_id,
                        channel=decision.channel,
                        status=FollowUp.Status.PLANNED,
                        scheduled_for=decision.moment,
                    )
                )
            else:
                skipped.append(
                    (campaign, _skipped_follow_up(campaign, customer_id, event_id, decision, now=now), decision.code)
                )
    _write_event_follow_ups(campaigns, event_ids, planned, skipped, done=done, now=now)


def _skipped_follow_up(
    campaign: Campaign, customer_id: int, event_id: int, decision: Decision, *, now: datetime
) -> FollowUp:
    return FollowUp(
        campaign=campaign,
        customer_id=customer_id,
        wallet_event_id=event_id,
        channel=campaign.channels[0] if campaign.channels else "phone",
        status=FollowUp.Status.SKIPPED,
        closed_at=now,
        close_reason=(decision.reason or decision.code or "")[:300],
    )


def _write_event_follow_ups(
    campaigns: list[Campaign],
    event_ids: list[int],
    planned: list[FollowUp],
    skipped: list[tuple[Campaign, FollowUp, str]],
    *,
    done: set[tuple[int, int]],
    now: datetime,
) -> None:
    """Insert the batch's follow-ups and count them on their campaigns. A (campaign, event) another worker
    handled meanwhile is left to it; a planned follow-up refused because the customer got an open one from
    another campaign meanwhile becomes a skipped "open_follow_up" one, as for a single event."""

    def written() -> dict[tuple[int, int], str]:
        rows = FollowUp.objects.filter(wallet_event_id__in=event_ids, campaign__in=campaigns)
        return {(c, e): status for c, e, status in rows.values_list("campaign_id", "wallet_event_id", "status")}

    if planned:
        FollowUp.objects.bulk_create(planned, ignore_conflicts=True)
        present = written()
        for follow_up in planned:
            if (follow_up.campaign_id, follow_up.wallet_event_id) not in present:
                skip = _skipped_follow_up(
                    follow_up.campaign, follow_up.customer_id, follow_up.wallet_event_id, _OPEN_FOLLOW_UP, now=now
                )
                skipped.append((follow_up.campaign, skip, _OPEN_FOLLOW_UP.code))
    if skipped:
        FollowUp.objects.bulk_create([follow_up for _c, follow_up, _code in skipped], ignore_conflicts=True)
    present = written()
    planned_counts: Counter[int] = Counter()
    exclusions: dict[int, Counter[str]] = {}
    for follow_up in planned:
        if present.get((follow_up.campaign_id, follow_up.wallet_event_id)) == FollowUp.Status.PLANNED:
            planned_counts[follow_up.campaign_id] += 1
    for campaign, follow_up, code in skipped:
        if present.get((campaign.pk, follow_up.wallet_event_id)) == FollowUp.Status.SKIPPED:
            exclusions.setdefault(campaign.pk, Counter())[code] += 1
    for campaign_id in sorted(planned_counts.keys() | exclusions.keys()):
        # The row lock serialises concurrent counts: read, add, write.
        locked = Campaign.objects.select_for_update().only("exclusions").get(pk=campaign_id)
        counted = dict(locked.exclusions or {})
        for code, n in exclusions.get(campaign_id, {}).items():
            counted[code] = int(counted.get(code, 0)) + n
        Campaign.objects.filter(pk=campaign_id).update(
            planned_count=F("planned_count") + planned_counts[campaign_id], exclusions=counted
        )


def plan_pending_event_follow_ups(*, now: datetime, batch_size: int = 100) -> int:
    """Plan every received event not planned yet that can still be followed up; the number planned.

    Run a moment after events arrive (surveys.tasks.request_event_planning) and by beat every minute, the
    safety net for a request that was lost. Workers running it at once share the work:

    1. take a batch of unplanned events under row locks the others skip (SKIP LOCKED on PostgreSQL);
    2. plan them together (_plan_event_batch: the same outcomes as plan_follow_ups_for_event for each in
       turn, with a bounded number of queries) and mark them planned, in the batch's transaction; if that
       fails, plan them one by one (plan_follow_ups_for_event) so only the event at fault is left out;
    3. take the next batch, until none is left.

    Only events that happened within the longest deadline of the event campaigns listening now are looked
    at: older ones can no longer be followed up. An event whose planning fails is logged and left for the
    next run, and the others go on.
    """
    deadlines = Campaign.objects.filter(trigger=Campaign.Trigger.EVENT, status__in=EVENT_STATUSES).values_list(
        "deadline", flat=True
    )
    longest = max(deadlines, default=None)
    if longest is None:
        return 0
    pending = WalletEvent.objects.filter(follow_up_planned_at__isnull=True, occurred_at__gte=now - longest)
    planned, failed = 0, set()
    while True:
        with transaction.atomic():
            batch = list(
                pending.exclude(pk__in=failed)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch_size]
            )
            try:
                with transaction.atomic():
                    _plan_event_batch(batch)
                planned += len(batch)
            except Exception:
                # One at a time, so that the event at fault is the only one left for the next run.
                logger.exception("planning a batch of %s wallet events failed; planning them one by one", len(batch))
                for event_id in batch:
                    try:
                        with transaction.atomic():
                            plan_follow_ups_for_event(wallet_event_id=event_id)
                        planned += 1
                    except Exception:
                        logger.exception("planning wallet event %s failed; left for the next run", event_id)
                        failed.add(event_id)
        if len(batch) < batch_size:
            return planned
