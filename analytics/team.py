"""The managers' team view: how the support agents' calls are going over a period of local days.

Pure helpers (no ORM) hold the period rules, the rates and the charts; ``team_report`` at the bottom
reads everything the page shows in a fixed number of grouped queries, whatever the number of agents:

1. Calls per agent per local day and how many reached the customer (one query, grouped by agent and
   the date of ``started_at`` in settings.TIME_ZONE).
2. AAPOR counts: each follow-up once, by the group of its last call in the period; per agent, by the
   last call *that agent* made on it (one query for the agents, one for the whole team: a follow-up
   two agents called counts for each of them but once for the team).
3. Average handling time per agent (one grouped query, the same calls as
   surveys.call_queries.average_handling_time) and for the team (that function itself).
4. Open and overdue Cases per owner, right now whatever the period (two grouped queries; "overdue" is
   surveys.case_queries.overdue_cases, so the definition cannot drift from the case pages).
5. The names of the staff those rows mention (one query).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from django.conf import settings
from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Channel, User
from surveys.call_outcomes import AAPOR_GROUPS, REACHED_OUTCOMES, contact_rate, cooperation_rate
from surveys.call_queries import average_handling_time
from surveys.case_queries import overdue_cases
from surveys.models import Case, ContactAttempt

DEFAULT_DAYS = 7
MAX_DAYS = 92
NO_VALUE = "—"  # a rate whose denominator is zero, an average over no calls


# --- The period ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days ``since`` … ``until``, both included, in settings.TIME_ZONE."""

    since: date
    until: date

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]

    def bounds(self, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """The aware moments [start of ``since``, start of the day after ``until``) in the local zone."""
        zone = zone or local_zone()
        start = datetime.combine(self.since, time.min, tzinfo=zone)
        end = datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def default_period(today: date) -> Period:
    """The last seven local days up to today, today included."""
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def capped(period: Period) -> Period:
    """At most MAX_DAYS days, ending on the same day (the most recent days are the ones kept)."""
    if len(period.days) <= MAX_DAYS:
        return period
    return Period(period.until - timedelta(days=MAX_DAYS - 1), period.until)


# --- Numbers as the page shows them ------------------------------------------------------------------


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def one_decimal(value: float) -> str:
    """Rounded half up to one decimal (2/3 → 0.7; Django's number_format alone would cut it to 0.6)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, 1)


def percent(rate: float | None) -> str:
    """66.7% (one decimal, in the active language's number format), or — when there is no rate."""
    if rate is None:
        return NO_VALUE
    return f"{one_decimal(rate * 100)}%"


def minutes(duration: timedelta | None) -> str:
    """A duration in minutes with one decimal (4.5), or — when there were no calls to average."""
    if duration is None:
        return NO_VALUE
    return one_decimal(duration.total_seconds() / 60)


def aapor_counts(outcome_counts: Mapping[str, int]) -> dict[str, int]:
    """Counts by call outcome → counts by AAPOR group, what contact_rate and cooperation_rate expect."""
    groups: dict[str, int] = defaultdict(int)
    for outcome, n in outcome_counts.items():
        group = AAPOR_GROUPS.get(outcome)
        if group is not None:
            groups[group] += n
    return dict(groups)


def staff_name(user: User | None) -> str:
    if user is None:
        return _("Unassigned")
    return user.get_full_name() or user.get_username()


# --- The rows ------------------------------------------------------------------------------------------


@dataclass
class AgentRow:
    """One agent's calls in the period (or the whole team's, for the total row)."""

    name: str
    calls: int = 0
    reached: int = 0
    aapor: dict[str, int] = field(default_factory=dict)
    handling_time: timedelta | None = None

    @property
    def reach_rate(self) -> float | None:
        return ratio(self.reached, self.calls)

    @property
    def contact_rate(self) -> float | None:
        return contact_rate(self.aapor)

    @property
    def cooperation_rate(self) -> float | None:
        return cooperation_rate(self.aapor)

    @property
    def reach_percent(self) -> str:
        return percent(self.reach_rate)

    @property
    def contact_percent(self) -> str:
        return percent(self.contact_rate)

    @property
    def cooperation_percent(self) -> str:
        return percent(self.cooperation_rate)

    @property
    def handling_minutes(self) -> str:
        return minutes(self.handling_time)


@dataclass
class DayRow:
    day: date
    counts: list[int]  # per agent, in the order of TeamReport.agents

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class CaseRow:
    name: str
    open: int
    overdue: int


@dataclass
class TeamReport:
    period: Period
    agents: list[AgentRow]
    team: AgentRow
    days: list[DayRow]
    cases: list[CaseRow]
    zone: str = ""
    charts: dict[str, dict] = field(default_factory=dict)

    @property
    def has_calls(self) -> bool:
        return self.team.calls > 0

    @property
    def case_totals(self) -> CaseRow:
        return CaseRow(_("All owners"), sum(row.open for row in self.cases), sum(row.overdue for row in self.cases))


# --- Charts --------------------------------------------------------------------------------------------

_FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"


def _layout(
    fig: go.Figure, *, y_title: str, percent_axis: bool = False, largest_count: int = 0, barmode: str = "group"
) -> dict:
    """Small, fixed (no zoom), legend under the plot so it fits a phone; the page heading is the title.

    A count axis (``largest_count`` given) steps by whole numbers while they are few: no "0.5 calls"."""
    yaxis: dict = {"title": {"text": y_title}, "fixedrange": True, "rangemode": "tozero"}
    if percent_axis:
        yaxis.update(range=[0, 100], ticksuffix="%")
    elif 0 < largest_count <= 5:
        yaxis.update(dtick=1)
    fig.update_layout(
        # The agents' colours need a legend even for one agent; a single measure is named by its axis.
        showlegend=barmode == "stack" or len(fig.data) > 1,
        barmode=barmode,
        height=260,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.25},
        xaxis={"fixedrange": True, "type": "category"},
        yaxis=yaxis,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        font={"family": _FONT},
    )
    return json.loads(fig.to_json())  # plain JSON types for json_script


def _percent_or_none(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def calls_chart(report: TeamReport) -> dict:
    fig = go.Figure()
    days = [row.day.isoformat() for row in report.days]
    for index, agent in enumerate(report.agents):
        fig.add_trace(go.Bar(name=agent.name, x=days, y=[row.counts[index] for row in report.days]))
    largest = max((row.total for row in report.days), default=0)
    return _layout(fig, y_title=_("Calls"), largest_count=largest, barmode="stack")


def reach_chart(report: TeamReport) -> dict:
    fig = go.Figure(
        go.Bar(
            name=_("Reach rate"),
            x=[agent.name for agent in report.agents],
            y=[_percent_or_none(agent.reach_rate) for agent in report.agents],
        )
    )
    return _layout(fig, y_title=_("Reach rate"), percent_axis=True)


def aapor_chart(report: TeamReport) -> dict:
    names = [agent.name for agent in report.agents]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Contact rate"), x=names, y=[_percent_or_none(a.contact_rate) for a in report.agents]))
    fig.add_trace(
        go.Bar(name=_("Cooperation rate"), x=names, y=[_percent_or_none(a.cooperation_rate) for a in report.agents])
    )
    return _layout(fig, y_title=_("Rate"), percent_axis=True)


def handling_chart(report: TeamReport) -> dict:
    values = [
        None if agent.handling_time is None else round(agent.handling_time.total_seconds() / 60, 1)
        for agent in report.agents
    ]
    fig = go.Figure(go.Bar(name=_("Average handling time"), x=[a.name for a in report.agents], y=values))
    return _layout(fig, y_title=_("Minutes"))


def cases_chart(report: TeamReport) -> dict:
    names = [row.name for row in report.cases]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Unresolved"), x=names, y=[row.open for row in report.cases]))
    fig.add_trace(go.Bar(name=_("Overdue"), x=names, y=[row.overdue for row in report.cases], marker_color="#dc3545"))
    return _layout(fig, y_title=_("Cases"), largest_count=max(row.open for row in report.cases))


def with_charts(report: TeamReport) -> TeamReport:
    """The report with one small figure per block that has something to draw."""
    if report.has_calls:
        report.charts.update(
            calls=calls_chart(report),
            reach=reach_chart(report),
            aapor=aapor_chart(report),
            handling=handling_chart(report),
        )
    if report.cases:
        report.charts["cases"] = cases_chart(report)
    return report


# --- Reads ---------------------------------------------------------------------------------------------


def _calls(start: datetime, end: datetime):
    """Phone calls made by an agent and started in [start, end)."""
    return ContactAttempt.objects.filter(
        channel=Channel.PHONE, agent__isnull=False, started_at__gte=start, started_at__lt=end
    )


def _last_calls(start: datetime, end: datetime, *, per_agent: bool):
    """The calls of the period with no later call on the same follow-up in the period (by the same agent
    when ``per_agent``): each follow-up once, by its last call."""
    later = _calls(start, end).filter(follow_up=OuterRef("follow_up"), number__gt=OuterRef("number"))
    if per_agent:
        later = later.filter(agent=OuterRef("agent"))
    return _calls(start, end).filter(~Exists(later))


def _handling_times(start: datetime, end: datetime) -> dict[int, timedelta]:
    """average_handling_time per agent in one grouped query (the same calls: reached, ended)."""
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = (
        _calls(start, end)
        .filter(ended_at__isnull=False, outcome__in=REACHED_OUTCOMES)
        .values("agent_id")
        .annotate(average=Avg(duration, output_field=DurationField()))
        .order_by()
    )
    return {row["agent_id"]: row["average"] for row in rows}


def _case_counts(now: datetime) -> tuple[dict[int | None, int], dict[int | None, int]]:
    unresolved = Case.objects.exclude(status=Case.Status.RESOLVED).values("owner_id").annotate(n=Count("id")).order_by()
    overdue = overdue_cases(now).values("owner_id").annotate(n=Count("id")).order_by()
    return {r["owner_id"]: r["n"] for r in unresolved}, {r["owner_id"]: r["n"] for r in overdue}


def _names(ids: Iterable[int]) -> dict[int, str]:
    return {user.pk: staff_name(user) for user in User.objects.filter(pk__in=set(ids))}


def team_report(period: Period, *, now: datetime) -> TeamReport:
    """Everything the team page shows for ``period`` (local days) and the Cases as they stand at ``now``."""
    zone = local_zone()
    start, end = period.bounds(zone)

    per_day: dict[int, dict[date, int]] = defaultdict(dict)
    reached: dict[int, int] = defaultdict(int)
    day_rows = (
        _calls(start, end)
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .values("agent_id", "day")
        .annotate(calls=Count("id"), reached=Count("id", filter=Q(outcome__in=REACHED_OUTCOMES)))
        .order_by()
    )
    for row in day_rows:
        per_day[row["agent_id"]][row["day"]] = row["calls"]
        reached[row["agent_id"]] += row["reached"]

    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    last_calls = _last_calls(start, end, per_agent=True).values("agent_id", "outcome").annotate(n=Count("id"))
    for row in last_calls.order_by():
        outcomes[row["agent_id"]][row["outcome"]] = row["n"]
    team_outcomes = {
        row["outcome"]: row["n"]
        for row in _last_calls(start, end, per_agent=False).values("outcome").annotate(n=Count("id")).order_by()
    }
    handling = _handling_times(start, end) if per_day else {}

    open_cases, overdue = _case_counts(now)
    names = _names([*per_day, *(pk for pk in open_cases if pk is not None)])

    agent_ids = sorted(per_day, key=lambda pk: (names.get(pk, "").casefold(), pk))
    agents = [
        AgentRow(
            name=names.get(pk, ""),
            calls=sum(per_day[pk].values()),
            reached=reached[pk],
            aapor=aapor_counts(outcomes[pk]),
            handling_time=handling.get(pk),
        )
        for pk in agent_ids
    ]
    team = AgentRow(
        name=_("Whole team"),
        calls=sum(a.calls for a in agents),
        reached=sum(a.reached for a in agents),
        aapor=aapor_counts(team_outcomes),
        handling_time=average_handling_time(since=start, until=end) if agents else None,
    )
    days = [DayRow(day, [per_day[pk].get(day, 0) for pk in agent_ids]) for day in period.days]

    # Owners by name, the unassigned last: they are the ones nobody is working on.
    owners = sorted(
        open_cases, key=lambda pk: (pk is None, names.get(pk, "").casefold() if pk is not None else "", pk or 0)
    )
    cases = [
        CaseRow(names[pk] if pk is not None else staff_name(None), open_cases[pk], overdue.get(pk, 0)) for pk in owners
    ]
    return with_charts(TeamReport(period=period, agents=agents, team=team, days=days, cases=cases, zone=zone.key))
