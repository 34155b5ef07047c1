"""Services that keep the rollup tables (analytics/models.py) up to date; the dashboards read only those.

Every row is keyed by its dimensions (analytics.models.Dimensions): the LOCAL day in settings.TIME_ZONE, the
campaign, the customer's segment, device OS, app version and wallet product as they are when the row is counted,
the channel, and the kind of the wallet event that triggered the follow-up ("" for batch campaigns). A missing
value is "" (never NULL), so the unique constraint over the dimensions finds the row to add to.

Responses (``refresh_response_rollups``, incremental; analytics/rollup_rules.py says what one response adds):

1. Lock the RollupState row "responses" (created when missing), so two workers never count a response twice:
   the second waits for the first to commit and then starts after the watermark the first advanced.
2. Read the submitted responses after the watermark (submitted_at, id) and before ``now − LAG``, in
   (submitted_at, id) order, ``batch_size`` at a time, with their answers.
3. Compute each response's measures, group by dimensions and add them with one upsert per row
   (``INSERT … ON CONFLICT (dimensions) DO UPDATE SET col = table.col + EXCLUDED.col``, the same SQL on
   PostgreSQL and SQLite); free-text answers add to ThemeRollup once per (concern, theme), and the newest
   EXAMPLES_PER_THEME answers per (concern, theme) are kept in ThemeExample, older ones pruned.
4. Advance the watermark and set refreshed_at in the same transaction as the sums of the batch: a crash
   loses nothing and counts nothing twice.

The contact funnel (``refresh_funnel_rollups``) is recomputed as a whole in one transaction — follow-ups change
state after they are counted — with one INSERT … SELECT … GROUP BY, so the database does the work. Each
follow-up counts on the local day it was created, with the follow-up's channel:

- planned: every follow-up;
- contacted: it has an attempt that was sent or made (any outcome but "message failed" and "message being sent");
- reached: a call outcome in surveys.call_outcomes.REACHED_OUTCOMES, or it has a Response (even one begun only);
- then at most one AAPOR final disposition, the first that applies:
  complete (I) — a SUBMITTED response;
  partial (P) — a response still being answered, or a call outcome "partial";
  refusal (R) — status REFUSED, or a call outcome of AAPOR's refusal group in surveys.call_outcomes.AAPOR_GROUPS
  (refusal, break-off, do not contact, and — as the project codes it, 2.111 — "asked to be called back");
  not eligible — a "wrong number" call and none of the above: the number is not the customer's, so AAPOR leaves
  the case out of the response rates; it counts in planned and contacted but in none of the five dispositions;
  non_contact (NC) — calls made, none reached (no answer, busy, voicemail);
  unknown (UH/UO) — everything else: never contacted, or messages sent and never answered.

``rebuild_rollups`` empties the response and theme tables, resets the watermark and refreshes everything in one
transaction (the dashboards keep the old numbers until it commits); ``manage.py rebuild_rollups`` runs it.
``refresh_rollups`` is what the beat task runs every minute: responses every time, the funnel at most every
FUNNEL_EVERY.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from analytics.models import Dimensions, FunnelRollup, ResponseRollup, RollupState, ThemeExample, ThemeRollup
from analytics.rollup_rules import FREE_TEXT, MEASURES, AnswerFacts, answer_themes, response_measures
from surveys.call_outcomes import AAPOR_GROUPS, REACHED_OUTCOMES, AaporGroup
from surveys.freetext import current_lexicon
from surveys.models import Answer, ContactAttempt, FollowUp, Response

logger = logging.getLogger(__name__)

RESPONSES = "responses"
FUNNEL = "funnel"
# A response is stamped submitted_at inside its submit transaction, before that transaction commits. A refresh
# that read up to "now" could miss one still in flight (not yet visible) and move the watermark past its
# timestamp, so it would never be counted. Reading only up to now − LAG leaves 60 s for such a transaction to
# commit: it is counted by a later refresh. (One slower than that is caught by ``rebuild_rollups``.)
LAG = timedelta(seconds=60)
EXAMPLES_PER_THEME = 5
FUNNEL_EVERY = timedelta(minutes=10)
WRITE_CHUNK = 1000  # rows per executemany
READ_CHUNK = 5000  # response ids per answer query (SQLite allows 32,766 parameters)

DIMENSION_COLUMNS = tuple("campaign_id" if name == "campaign" else name for name in Dimensions.DIMENSIONS)
FUNNEL_MEASURES = ("planned", "contacted", "reached", "complete", "partial", "refusal", "non_contact", "unknown")


def batched(items: Iterable, size: int) -> Iterable[list]:
    """``items`` in lists of ``size`` (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- Writing: upsert-increment ------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _db_values(columns: Sequence[str], rows: Iterable[Sequence]) -> list[tuple]:
    """Rows as the database driver wants them: days and datetimes adapted for the backend."""
    ops = connection.ops
    adapters = {"day": ops.adapt_datefield_value, "submitted_at": ops.adapt_datetimefield_value}
    converters = [adapters.get(column) for column in columns]
    return [
        tuple(value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True))
        for row in rows
    ]


def _upsert_increment(model, keys: Sequence[str], measures: Sequence[str], rows: list[Sequence]) -> None:
    """Add ``rows`` (keys then measures, in order) to ``model``'s table: a new key is inserted, an existing
    key's measures are increased by the row's."""
    if not rows:
        return
    table, quote = _table(model), connection.ops.quote_name
    columns = [*keys, *measures]
    increments = ", ".join(f"{quote(m)} = {table}.{quote(m)} + EXCLUDED.{quote(m)}" for m in measures)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - names from the models
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {increments}"
    )
    with connection.cursor() as cursor:
        for chunk in batched(_db_values(columns, rows), WRITE_CHUNK):
            cursor.executemany(sql, chunk)


def _insert_examples(rows: list[Sequence]) -> None:
    columns = [*DIMENSION_COLUMNS, "concern", "theme", "answer_id", "submitted_at"]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {_table(ThemeExample)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - names only
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT (answer_id, concern, theme) DO NOTHING"
    )
    with connection.cursor() as cursor:
        for chunk in batched(_db_values(columns, rows), WRITE_CHUNK):
            cursor.executemany(sql, chunk)


def _prune_examples() -> None:
    """Keep the newest EXAMPLES_PER_THEME examples of each (concern, theme). The table holds at most a few per
    theme, so ranking all of it is cheap."""
    table = _table(ThemeExample)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER ("  # noqa: S608 - names only
            f"PARTITION BY concern, theme ORDER BY submitted_at DESC, answer_id DESC) AS newness FROM {table}) ranked "
            "WHERE newness > %s)",
            [EXAMPLES_PER_THEME],
        )


# --- The state rows -----------------------------------------------------------------------------------


def _locked_state(name: str) -> RollupState:
    """The RollupState row ``name``, created when missing and locked until the current transaction ends."""
    RollupState.objects.get_or_create(name=name)
    if connection.vendor == "sqlite":
        # SQLite ignores FOR UPDATE; a write first takes its database-wide write lock, so a second refresher
        # waits here and then reads the watermark the first one committed.
        RollupState.objects.filter(name=name).update(name=name)
    return RollupState.objects.select_for_update().get(name=name)


def last_refreshed() -> datetime | None:
    """When the rollups were last all brought up to date: the older of the two refreshes (None until both ran)."""
    states = dict(RollupState.objects.filter(name__in=[RESPONSES, FUNNEL]).values_list("name", "refreshed_at"))
    if states.get(RESPONSES) is None or states.get(FUNNEL) is None:
        return None
    return min(states[RESPONSES], states[FUNNEL])


# --- Responses ----------------------------------------------------------------------------------------


_RESPONSE_FIELDS = (
    "pk",
    "submitted_at",
    "mode",
    "follow_up__campaign_id",
    "follow_up__customer__segment",
    "follow_up__customer__device_os",
    "follow_up__customer__app_version",
    "follow_up__customer__wallet_product",
    "follow_up__wallet_event__kind",
)
_ANSWER_FIELDS = (
    "response_id",
    "pk",
    "question_id",
    "question__position",
    "question__kind",
    "question__concern",
    "number",
    "yes_no",
    "concerns",
    "text",
)


def _next_responses(state: RollupState, *, cutoff: datetime, batch_size: int) -> list[tuple]:
    after = Q()
    if state.last_submitted_at is not None:
        after = Q(submitted_at__gt=state.last_submitted_at) | Q(
            submitted_at=state.last_submitted_at, pk__gt=state.last_response_id
        )
    return list(
        Response.objects.filter(after, status=Response.Status.SUBMITTED, submitted_at__lt=cutoff)
        .order_by("submitted_at", "pk")
        .values_list(*_RESPONSE_FIELDS)[:batch_size]
    )


def _answers_of(response_ids: list[int]) -> dict[int, list[tuple]]:
    answers: dict[int, list[tuple]] = {}
    for chunk in batched(response_ids, READ_CHUNK):
        for row in Answer.objects.filter(response_id__in=chunk).values_list(*_ANSWER_FIELDS).order_by():
            answers.setdefault(row[0], []).append(row)
    return answers


def _count_responses(responses: list[tuple]) -> None:
    """Add a batch of responses (rows of _RESPONSE_FIELDS) to ResponseRollup, ThemeRollup and ThemeExample."""
    zone = _zone()
    matches = current_lexicon().matches
    answers = _answers_of([row[0] for row in responses])
    measured: list[tuple] = []
    themes: list[tuple] = []
    for pk, submitted_at, mode, campaign_id, segment, device_os, app_version, product, event_kind in responses:
        dimensions = (
            submitted_at.astimezone(zone).date(),
            campaign_id,
            segment or "",
            device_os or "",
            app_version or "",
            product or "",
            mode or "",
            event_kind or "",
        )
        facts = []
        for _, answer_id, question_id, position, kind, concern, number, yes_no, concerns, text in answers.get(pk, ()):
            facts.append(
                AnswerFacts(
                    position=position,
                    kind=kind,
                    question_concern=concern,
                    number=number,
                    yes_no=yes_no,
                    concerns=tuple(concerns or ()),
                    question_id=question_id,
                )
            )
            if kind == FREE_TEXT and text:
                for theme_concern, theme in answer_themes(text, matches):
                    themes.append((*dimensions, theme_concern, theme, answer_id, submitted_at))
        measures = response_measures(facts)
        measured.append((*dimensions, *(measures[m] for m in MEASURES)))

    rollup = pd.DataFrame(measured, columns=[*DIMENSION_COLUMNS, *MEASURES])
    rollup = rollup.groupby(list(DIMENSION_COLUMNS), as_index=False, sort=False)[list(MEASURES)].sum()
    _upsert_increment(ResponseRollup, DIMENSION_COLUMNS, MEASURES, _plain_rows(rollup))
    if not themes:
        return
    theme_keys = [*DIMENSION_COLUMNS, "concern", "theme"]
    found = pd.DataFrame(themes, columns=[*theme_keys, "answer_id", "submitted_at"])
    counted = found.groupby(theme_keys, as_index=False, sort=False).size()
    _upsert_increment(ThemeRollup, theme_keys, ["answers"], _plain_rows(counted))
    newest = (
        found.sort_values(["submitted_at", "answer_id"], ascending=False)
        .groupby(["concern", "theme"], sort=False)
        .head(EXAMPLES_PER_THEME)
    )
    _insert_examples(_plain_rows(newest))
    _prune_examples()


def _plain_rows(frame: pd.DataFrame) -> list[tuple]:
    """A frame's rows as tuples of Python values (numpy integers are not every driver's friend)."""
    return [
        tuple(value.item() if hasattr(value, "item") else value for value in row)
        for row in frame.itertuples(index=False)
    ]


def refresh_response_rollups(*, now: datetime | None = None, batch_size: int = 20_000) -> int:
    """Count the responses submitted since the last refresh (up to ``now − LAG``); the number counted.

    Each batch is one transaction (see the module docstring, steps 1–4)."""
    now = now or timezone.now()
    cutoff = now - LAG
    counted = 0
    while True:
        with transaction.atomic():
            state = _locked_state(RESPONSES)
            responses = _next_responses(state, cutoff=cutoff, batch_size=batch_size)
            if responses:
                _count_responses(responses)
                state.last_submitted_at, state.last_response_id = responses[-1][1], responses[-1][0]
            state.refreshed_at = now
            state.save(update_fields=["last_submitted_at", "last_response_id", "refreshed_at"])
        counted += len(responses)
        if len(responses) < batch_size:
            return counted


# --- The contact funnel -------------------------------------------------------------------------------


def _outcomes(*groups: AaporGroup) -> list[str]:
    return sorted(str(outcome) for outcome, group in AAPOR_GROUPS.items() if group in groups)


def _funnel_sql() -> tuple[str, list]:
    """One INSERT … SELECT that fills FunnelRollup: the attempts folded per follow-up, each follow-up's flags
    and disposition, grouped by dimensions. Parameters are collected in the order they appear in the text."""
    quote = connection.ops.quote_name
    day_sql, day_params = connection.ops.datetime_cast_date_sql("fu.created_at", (), settings.TIME_ZONE)
    folded_params: list[str] = []

    def any_of(outcomes: Iterable[str], *, negate: bool = False) -> str:
        outcomes = [str(outcome) for outcome in outcomes]
        folded_params.extend(outcomes)
        placeholders = ", ".join(["%s"] * len(outcomes))
        return f"MAX(CASE WHEN outcome {'NOT IN' if negate else 'IN'} ({placeholders}) THEN 1 ELSE 0 END)"

    not_sent = (ContactAttempt.Outcome.FAILED, ContactAttempt.Outcome.QUEUED)
    folded = (
        "SELECT follow_up_id, "  # noqa: S608 - outcomes are parameters, names from the models
        f"{any_of(not_sent, negate=True)} AS contacted, "
        f"{any_of(sorted(REACHED_OUTCOMES))} AS reached_call, "
        f"{any_of(_outcomes(AaporGroup.PARTIAL))} AS partial_call, "
        f"{any_of(_outcomes(AaporGroup.REFUSAL))} AS refusal_call, "
        f"{any_of(_outcomes(AaporGroup.NOT_ELIGIBLE))} AS ineligible_call, "
        f"{any_of(_outcomes(AaporGroup.NON_CONTACT))} AS non_contact_call "
        f"FROM {_table(ContactAttempt)} GROUP BY follow_up_id"
    )
    customers = quote(FollowUp._meta.get_field("customer").related_model._meta.db_table)
    events = quote(FollowUp._meta.get_field("wallet_event").related_model._meta.db_table)
    per_follow_up = (
        f"SELECT {day_sql} AS day, fu.campaign_id AS campaign_id, COALESCE(c.segment, '') AS segment, "  # noqa: S608
        "COALESCE(c.device_os, '') AS device_os, COALESCE(c.app_version, '') AS app_version, "
        "COALESCE(c.wallet_product, '') AS wallet_product, COALESCE(fu.channel, '') AS channel, "
        "COALESCE(e.kind, '') AS event_kind, "
        "COALESCE(a.contacted, 0) AS contacted, "
        "CASE WHEN a.reached_call = 1 OR r.id IS NOT NULL THEN 1 ELSE 0 END AS reached, "
        "CASE WHEN r.status = %s THEN 'complete' "
        "WHEN r.status = %s OR a.partial_call = 1 THEN 'partial' "
        "WHEN fu.status = %s OR a.refusal_call = 1 THEN 'refusal' "
        "WHEN a.ineligible_call = 1 THEN 'not_eligible' "
        "WHEN a.non_contact_call = 1 THEN 'non_contact' "
        "ELSE 'unknown' END AS disposition "
        f"FROM {_table(FollowUp)} fu "
        f"JOIN {customers} c ON c.id = fu.customer_id "
        f"LEFT JOIN {events} e ON e.id = fu.wallet_event_id "
        f"LEFT JOIN ({folded}) a ON a.follow_up_id = fu.id "
        f"LEFT JOIN {_table(Response)} r ON r.follow_up_id = fu.id"
    )
    statuses = [str(Response.Status.SUBMITTED), str(Response.Status.IN_PROGRESS), str(FollowUp.Status.REFUSED)]
    dispositions = ", ".join(
        f"SUM(CASE WHEN disposition = '{name}' THEN 1 ELSE 0 END)"
        for name in ("complete", "partial", "refusal", "non_contact", "unknown")
    )
    dimensions = ", ".join(DIMENSION_COLUMNS)
    columns = ", ".join(quote(c) for c in (*DIMENSION_COLUMNS, *FUNNEL_MEASURES))
    sql = (
        f"INSERT INTO {_table(FunnelRollup)} ({columns}) "  # noqa: S608 - table and column names only
        f"SELECT {dimensions}, COUNT(*), SUM(contacted), SUM(reached), {dispositions} "
        f"FROM ({per_follow_up}) f GROUP BY {dimensions}"
    )
    return sql, [*day_params, *statuses, *folded_params]


def refresh_funnel_rollups(*, now: datetime | None = None) -> int:
    """Recompute FunnelRollup as a whole, in one transaction; the number of follow-ups counted."""
    now = now or timezone.now()
    sql, params = _funnel_sql()
    with transaction.atomic():
        state = _locked_state(FUNNEL)
        FunnelRollup.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        counted = FunnelRollup.objects.aggregate(n=Sum("planned"))["n"] or 0
        state.refreshed_at = now
        state.save(update_fields=["refreshed_at"])
    return counted


# --- Everything ---------------------------------------------------------------------------------------


def rebuild_rollups(*, now: datetime | None = None) -> None:
    """Count everything again from the raw tables, in one transaction: the dashboards keep showing the old
    numbers until it commits, and a refresh that starts meanwhile waits for the lock and then finds nothing
    new."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked_state(RESPONSES)
        ThemeExample.objects.all().delete()
        ThemeRollup.objects.all().delete()
        ResponseRollup.objects.all().delete()
        state.last_submitted_at, state.last_response_id = None, 0
        state.save(update_fields=["last_submitted_at", "last_response_id"])
        refresh_response_rollups(now=now)
        refresh_funnel_rollups(now=now)


def refresh_rollups(*, now: datetime | None = None) -> dict[str, int | None]:
    """What the beat task runs every minute: new responses every time, the funnel when its last refresh is
    FUNNEL_EVERY old or more (None: skipped). Safe to run twice at once: the state rows are locked."""
    now = now or timezone.now()
    started = time.monotonic()
    responses = refresh_response_rollups(now=now)
    funnel_refreshed = RollupState.objects.filter(name=FUNNEL).values_list("refreshed_at", flat=True).first()
    follow_ups = None
    if funnel_refreshed is None or now - funnel_refreshed >= FUNNEL_EVERY:
        follow_ups = refresh_funnel_rollups(now=now)
    logger.info(
        "rollups refreshed at %s: %s responses counted, funnel %s (%.1f s)",
        now.isoformat(),
        responses,
        "skipped" if follow_ups is None else f"recounted over {follow_ups} follow-ups",
        time.monotonic() - started,
    )
    return {"responses": responses, "follow_ups": follow_ups}
