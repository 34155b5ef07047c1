"""What a survey link a customer holds leads to. Read-only.

Every message carries its own link (the token of its ContactAttempt, stored as a hash); all the links
of one follow-up lead to the same survey and stay valid until the follow-up's ``expires_at``. A link
is good for one response: once the response is submitted, every link of the follow-up says so.

The public pages show one page for every link that does not work (unknown, expired, cancelled), so a
guessed or forwarded link reveals nothing about whether a customer exists.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from django.db import connection

from accounts.models import Customer
from surveys.models import Answer, Campaign, ContactAttempt, FollowUp, Response
from surveys.tokens import hash_token

# Dispatcher tokens are 43 URL-safe characters, random ones 43 too; anything far off is not ours.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")

# A follow-up closed for one of these reasons no longer takes answers: the customer opted out or asked
# not to be contacted, refused, or the link ran out.
_DEAD_STATUSES = frozenset(
    {FollowUp.Status.CANCELLED, FollowUp.Status.EXPIRED, FollowUp.Status.REFUSED, FollowUp.Status.SKIPPED}
)


class LinkState(enum.Enum):
    OPEN = "open"  # the survey can be answered (perhaps resumed)
    ANSWERED = "answered"  # the response was submitted: "already answered"
    INVALID = "invalid"  # unknown, expired or closed: one page that reveals nothing


@dataclass(frozen=True)
class Link:
    state: LinkState
    follow_up: FollowUp | None = None
    attempt: ContactAttempt | None = None
    # The follow-up's response, if the customer has started one, and its answers as rows for
    # answering.answers_from_rows (loaded with the link, for the survey page).
    response: Response | None = None
    answer_rows: tuple = ()


_CHOSEN = Answer.choices.through._meta

# What a survey page needs, read in one query (the page's hottest path: every GET and POST starts here).
# Only these fields are loaded; any other loads from the database on first use (Django's deferred fields).
_MODELS = (
    ("a", ContactAttempt, ("id", "follow_up_id", "number", "channel")),
    ("f", FollowUp, ("id", "campaign_id", "customer_id", "status", "channel", "expires_at")),
    ("c", Customer, ("id", "language", "time_zone")),
    ("r", Response, ("id", "follow_up_id", "survey_id", "status", "language", "current_question_id")),
)


@cache
def _query() -> tuple[str, tuple]:
    """The SQL and, per model, the attribute names its columns fill (in order) with their converters
    (what the ORM applies to raw values, e.g. SQLite's datetimes made aware)."""
    columns, layout = [], []
    for alias, model, wanted in _MODELS:
        fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
        columns += [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
        converters = []
        for index, field in enumerate(fields):
            expression = field.get_col(alias)
            found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
            if found:
                converters.append((index, expression, found))
        layout.append((model, tuple(f.attname for f in fields), tuple(converters)))
    chosen_answer, chosen_choice = _CHOSEN.get_field("answer").column, _CHOSEN.get_field("choice").column
    columns += ["ans.question_id", "ans.id", "ans.number", "ans.yes_no", "ans.text", f"ac.{chosen_choice}"]
    models = (*(model for _alias, model, _wanted in _MODELS), Answer)
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in models}
    sql = (
        f"SELECT {', '.join(columns)} FROM {table[ContactAttempt]} a "  # noqa: S608 - names from the models
        f"JOIN {table[FollowUp]} f ON f.id = a.follow_up_id "
        f"JOIN {table[Customer]} c ON c.id = f.customer_id "
        f"LEFT JOIN {table[Response]} r ON r.follow_up_id = f.id "
        # The response's answers, one row per answer (per chosen choice for a choice question).
        f"LEFT JOIN {table[Answer]} ans ON ans.response_id = r.id "
        f"LEFT JOIN {connection.ops.quote_name(_CHOSEN.db_table)} ac ON ac.{chosen_answer} = ans.id "
        "WHERE a.link_token_hash = %s"
    )
    return sql, tuple(layout)


@lru_cache(maxsize=256)
def _campaign(campaign_id: int) -> Campaign:
    """A launched campaign with its survey, loaded once per process and shared: read it, never change it.

    Safe to keep: only a draft campaign can be edited (surveys/campaign_views.py) and a draft has no
    follow-ups, so no link leads to one; a campaign's survey is published, and a published survey is
    never edited in place (surveys/authoring.py makes a new version).
    """
    return Campaign.objects.select_related("survey").only("id", "name", "status", "survey").get(pk=campaign_id)


def forget_cached_campaigns() -> None:
    """Empty this process's campaign cache (tests, whose rolled-back databases reuse ids)."""
    _campaign.cache_clear()


def _load(token_hash: str) -> tuple[ContactAttempt, Response | None, tuple] | None:
    sql, layout = _query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        rows = cursor.fetchall()
    if not rows:
        return None
    row = rows[0]
    answer_rows = tuple(found[-6:] for found in rows if found[-5] is not None)
    instances, offset = [], 0
    for model, attnames, converters in layout:
        values = list(row[offset : offset + len(attnames)])
        offset += len(attnames)
        for index, expression, functions in converters:
            for function in functions:
                values[index] = function(values[index], expression, connection)
        instances.append(model.from_db(connection.alias, attnames, values))
    attempt, follow_up, customer, response = instances
    follow_up.customer, follow_up.campaign = customer, _campaign(follow_up.campaign_id)
    attempt.follow_up = follow_up
    if response.pk is None:  # LEFT JOIN: no response yet
        return attempt, None, ()
    response.follow_up = follow_up
    return attempt, response, answer_rows


def resolve_link(token: str, *, now: datetime) -> Link:
    """The follow-up behind ``token`` (customer, campaign and survey loaded), its response, and what it allows."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return Link(LinkState.INVALID)
    found = _load(hash_token(token))
    if found is None:
        return Link(LinkState.INVALID)
    attempt, response, answer_rows = found
    follow_up = attempt.follow_up
    if response is not None and response.status == Response.Status.SUBMITTED:
        return Link(LinkState.ANSWERED, follow_up, attempt, response)
    if follow_up.expires_at is None or follow_up.expires_at <= now or follow_up.status in _DEAD_STATUSES:
        return Link(LinkState.INVALID)
    return Link(LinkState.OPEN, follow_up, attempt, response, answer_rows)
