"""The concern dashboard: what customers worry about, read from the rollup tables only.

The definitions are the rollups' (analytics/models.py, analytics/rollups.py): a respondent is one
submitted response, counted on the local day it was submitted; a respondent "cites" a concern when any
of their answers names it (a tagged choice, a tagged free-text word, a "yes" to a concern's problem
question, a low rating or effort score on a concern's question). The statistics are analytics/stats.py.

``dashboard_report`` reads everything one selection shows in a fixed number of grouped SUM queries,
whatever the number of responses, and keeps the result in Django's cache under a key made of the
selection, the language and the rollups' refresh times (a refresh changes the key):

1. ResponseRollup summed by local day and the chosen breakdown's column (one query): the totals, the
   weeks or months and the breakdown's groups are added up from those rows here (campaign names: one more).
2. The contact funnel per follow-up channel (one grouped query over FunnelRollup).
3. Free-text themes per concern (one grouped query over ThemeRollup) and their newest examples
   (one query over ThemeExample, already pruned to a few per theme by the refresh).

The filters' choices (the values present in the rollups) are cached for OPTIONS_SECONDS instead: reading
them scans both rollups whole. The Cases SLA panel is not cached: it is "right now" (two grouped queries
over surveys.Case).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Channel, DevicePlatform, WalletEvent
from analytics.models import FunnelRollup, ResponseRollup, RollupState, ThemeExample, ThemeRollup
from analytics.rollup_rules import CONCERNS, MEASURES  # what the rollups count is what the page sums
from analytics.rollups import last_refreshed
from analytics.stats import MIN_RESPONDENTS, NetPromoter, ResponseRates, Share, mean, net_promoter, response_rates
from analytics.stats import share as share_of
from analytics.team import one_decimal
from surveys.case_queries import overdue_cases
from surveys.models import Answer, Campaign, Case, Concern, Response

DEFAULT_DAYS = 90
TOP_THEMES = 5  # per concern
EXAMPLES_SHOWN = 3  # per theme
CACHE_SECONDS = 15 * 60
NONE_VALUE = "_none"  # a filter value meaning "not recorded" (stored as "")
NO_VALUE = "—"

# The filters a selection can narrow, by their name in the query string → the rollup column.
FILTER_COLUMNS = {
    "campaign": "campaign_id",
    "segment": "segment",
    "device_os": "device_os",
    "app_version": "app_version",
    "channel": "channel",
    "event": "event_kind",
}
# The breakdowns a manager can choose, by their name in the query string → the rollup column.
BREAKDOWNS = {
    "device_os": "device_os",
    "app_version": "app_version",
    "wallet_product": "wallet_product",
    "segment": "segment",
    "channel": "channel",
    "campaign": "campaign_id",
    "event": "event_kind",
}
GRAINS = ("week", "month")
# The funnel counts follow-ups by the channel that invited them; web answers come from SMS and e-mail links.
FUNNEL_CHANNELS = {"web": ("sms", "email"), "phone": ("phone",)}


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- The selection -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """One selection: local days ``since`` … ``until`` (both included) and at most one value per filter.

    A filter value of "" is a real value (not recorded); None means "all"."""

    since: date
    until: date
    campaign: int | None = None
    segment: str | None = None
    device_os: str | None = None
    app_version: str | None = None
    channel: str | None = None
    event: str | None = None
    by: str = "device_os"
    grain: str = "week"

    def narrowing(self) -> dict[str, object]:
        """The filters that narrow the selection: {query-string name: value}."""
        return {name: getattr(self, name) for name in FILTER_COLUMNS if getattr(self, name) is not None}

    def query_params(self) -> dict[str, str]:
        """The selection as query-string parameters (what a bookmark of the page holds)."""
        params = {"since": self.since.isoformat(), "until": self.until.isoformat(), "by": self.by, "grain": self.grain}
        for name, value in self.narrowing().items():
            params[name] = NONE_VALUE if value == "" else str(value)
        return params

    def cache_key(self) -> str:
        return hashlib.sha256(repr(sorted(asdict(self).items())).encode()).hexdigest()[:32]


def default_filters(today: date) -> Filters:
    return Filters(since=today - timedelta(days=DEFAULT_DAYS - 1), until=today)


def rollup_q(filters: Filters, *, funnel: bool = False) -> Q:
    """The rollup rows of the selection (the funnel's channel is the follow-up's: see FUNNEL_CHANNELS)."""
    q = Q(day__gte=filters.since, day__lte=filters.until)
    for name, value in filters.narrowing().items():
        column = FILTER_COLUMNS[name]
        if funnel and name == "channel":
            q &= Q(channel__in=FUNNEL_CHANNELS.get(value, (value,)))
        else:
            q &= Q(**{column: value})
    return q


# --- Measures and how the page shows them --------------------------------------------------------------

FUNNEL_MEASURES = ("planned", "contacted", "reached", "complete", "partial", "refusal", "non_contact", "unknown")


def percent_text(value: float | None) -> str:
    return NO_VALUE if value is None else f"{one_decimal(value * 100)}%"


def too_few_text() -> str:
    return _("too few answers")


@dataclass
class Measures:
    """Sums of ResponseRollup's measures over some rows, and what they mean."""

    respondents: int = 0
    nps_answered: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    csat_answered: int = 0
    csat_top2: int = 0
    ces_answered: int = 0
    ces_sum: int = 0
    cites_security: int = 0
    cites_trust: int = 0
    cites_compatibility: int = 0
    cites_usability: int = 0
    cites_service: int = 0

    @classmethod
    def of(cls, row: dict) -> Measures:
        return cls(**{name: int(row.get(name) or 0) for name in MEASURES})

    def add(self, other: Measures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def too_few(self) -> bool:
        return self.respondents < MIN_RESPONDENTS

    @property
    def nps(self) -> NetPromoter:
        return net_promoter(promoters=self.nps_promoters, detractors=self.nps_detractors, answered=self.nps_answered)

    def share(self, concern: str) -> Share:
        return share_of(getattr(self, f"cites_{concern}"), self.respondents)

    @property
    def csat(self) -> Share:
        return share_of(self.csat_top2, self.csat_answered)

    @property
    def ces(self) -> float | None:
        return mean(self.ces_sum, self.ces_answered)


def nps_text(nps: NetPromoter) -> str:
    """20.0 (one decimal, the −100…100 scale), or "too few answers" under MIN_RESPONDENTS answers."""
    if nps.n == 0:
        return NO_VALUE
    if nps.too_few:
        return too_few_text()
    return one_decimal(nps.score)


def margin_text(nps: NetPromoter) -> str:
    if nps.n == 0 or nps.too_few:
        return NO_VALUE
    return f"±{one_decimal(nps.margin)}"


def share_text(value: Share) -> str:
    if value.n == 0:
        return NO_VALUE
    if value.too_few:
        return too_few_text()
    return percent_text(value.value)


def interval_text(value: Share) -> str:
    """The 95% Wilson interval in percent: 27.5–53.5%."""
    if value.n == 0 or value.too_few:
        return NO_VALUE
    return f"{one_decimal(value.low * 100)}–{one_decimal(value.high * 100)}%"


# --- Tables: what the page shows and the exports write -------------------------------------------------


@dataclass
class Row:
    cells: list
    muted: bool = False  # too few answers: the page greys the row


@dataclass
class Table:
    key: str  # the table's id on the page
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


# --- The report ----------------------------------------------------------------------------------------


@dataclass
class Bucket:
    label: str  # 2026-03-09 (the Monday of a week) or 2026-03
    measures: Measures


@dataclass
class Group:
    value: str  # as stored ("" = not recorded; a campaign's id as text)
    label: str
    measures: Measures


@dataclass
class FunnelRow:
    channel: str
    label: str
    counts: dict[str, int]

    @property
    def rates(self) -> ResponseRates:
        c = self.counts
        return response_rates(
            complete=c["complete"],
            partial=c["partial"],
            refusal=c["refusal"],
            non_contact=c["non_contact"],
            unknown=c["unknown"],
        )

    @property
    def not_eligible(self) -> int:
        """Planned follow-ups with none of the five dispositions (closed only by a wrong number)."""
        c = self.counts
        return c["planned"] - sum(c[k] for k in ("complete", "partial", "refusal", "non_contact", "unknown"))


@dataclass
class Theme:
    concern: str
    theme: str
    answers: int
    examples: list[Example] = field(default_factory=list)


@dataclass
class Example:
    answer_id: int
    text: str
    day: date


@dataclass
class CaseRow:
    category: str
    label: str
    open: int
    overdue: int


@dataclass
class DashboardReport:
    filters: Filters
    totals: Measures
    buckets: list[Bucket]
    groups: list[Group]
    funnel: list[FunnelRow]
    themes: list[Theme]
    charts: dict[str, dict] = field(default_factory=dict)
    cases: list[CaseRow] = field(default_factory=list)
    refreshed_at: datetime | None = None

    @property
    def has_responses(self) -> bool:
        return self.totals.respondents > 0

    @property
    def funnel_total(self) -> FunnelRow:
        counts = {k: sum(row.counts[k] for row in self.funnel) for k in FUNNEL_MEASURES}
        return FunnelRow("", _("All channels"), counts)

    @property
    def has_funnel(self) -> bool:
        return any(row.counts["planned"] for row in self.funnel)

    @property
    def nps(self) -> NetPromoter:
        return self.totals.nps

    @property
    def breakdown_label(self) -> str:
        return breakdown_labels()[self.filters.by]

    @property
    def themes_by_concern(self) -> list[tuple[str, list[Theme]]]:
        labels = dict(Concern.choices)
        grouped: dict[str, list[Theme]] = defaultdict(list)
        for theme in self.themes:
            grouped[theme.concern].append(theme)
        return [(str(labels[c]), grouped[c]) for c in CONCERNS if grouped.get(c)]

    # The tables, in the order of the page.

    def headline_table(self) -> Table:
        t, nps, csat = self.totals, self.totals.nps, self.totals.csat
        table = Table("headline-table", _("Headline"), [_("Measure"), _("Value"), _("Answers")])
        table.rows = [
            Row([_("Respondents"), t.respondents, t.respondents]),
            Row([_("NPS (−100 to 100)"), nps_text(nps), nps.n], muted=nps.too_few),
            Row([_("NPS margin of error (95%)"), margin_text(nps), nps.n], muted=nps.too_few),
            Row([_("Promoters (9–10)"), _split(nps, nps.promoter_percent), nps.promoters], muted=nps.too_few),
            Row([_("Passives (7–8)"), _split(nps, nps.passive_percent), nps.passives], muted=nps.too_few),
            Row([_("Detractors (0–6)"), _split(nps, nps.detractor_percent), nps.detractors], muted=nps.too_few),
            Row([_("CSAT top-2-box (4–5 of 5)"), share_text(csat), csat.n], muted=csat.too_few),
            Row([_("CES mean (1–7)"), _mean_text(t.ces, t.ces_answered), t.ces_answered], muted=_few(t.ces_answered)),
        ]
        return table

    def concern_table(self) -> Table:
        table = Table(
            "concerns-table",
            _("Concern shares"),
            [_("Concern"), _("Respondents citing it"), _("Share"), _("Interval (95%)")],
        )
        labels = dict(Concern.choices)
        for concern in CONCERNS:
            s = self.totals.share(concern)
            table.rows.append(Row([str(labels[concern]), s.count, share_text(s), interval_text(s)], muted=s.too_few))
        return table

    def trend_table(self) -> Table:
        first = _("Week of") if self.filters.grain == "week" else _("Month")
        table = Table("trend-table", _("Trends"), [first, _("Respondents"), _("NPS"), *concern_labels()])
        for bucket in self.buckets:
            m = bucket.measures
            table.rows.append(
                Row(
                    [bucket.label, m.respondents, nps_text(m.nps), *(share_text(m.share(c)) for c in CONCERNS)],
                    muted=m.too_few,
                )
            )
        return table

    def breakdown_table(self) -> Table:
        table = Table(
            "breakdown-table",
            _("Breakdown by %(dimension)s") % {"dimension": self.breakdown_label},
            [self.breakdown_label, _("Respondents"), _("NPS"), _("NPS margin"), *concern_labels()],
        )
        for group in self.groups:
            m = group.measures
            cells = [group.label, m.respondents, nps_text(m.nps), margin_text(m.nps)]
            cells += [share_text(m.share(c)) for c in CONCERNS]
            table.rows.append(Row(cells, muted=m.too_few))
        return table

    def funnel_table(self) -> Table:
        total = self.funnel_total.counts
        table = Table("funnel-table", _("Contact funnel"), [_("Stage"), _("Follow-ups"), _("Of planned")])
        for key, label in funnel_stage_labels():
            count = total["complete"] if key == "responded" else total[key]
            rate = None if total["planned"] == 0 else count / total["planned"]
            table.rows.append(Row([label, count, percent_text(rate)]))
        return table

    def rates_table(self) -> Table:
        table = Table(
            "rates-table",
            _("Response rates by channel (AAPOR)"),
            [
                _("Channel"),
                _("Planned"),
                _("Complete (I)"),
                _("Partial (P)"),
                _("Refusal (R)"),
                _("Non-contact (NC)"),
                _("Unknown (UH/UO)"),
                _("Not eligible"),
                _("RR1"),
                _("RR2"),
            ],
        )
        for row in [*self.funnel, self.funnel_total] if self.funnel else []:
            c, rates = row.counts, row.rates
            table.rows.append(
                Row(
                    [
                        row.label,
                        c["planned"],
                        c["complete"],
                        c["partial"],
                        c["refusal"],
                        c["non_contact"],
                        c["unknown"],
                        row.not_eligible,
                        percent_text(rates.rr1),
                        percent_text(rates.rr2),
                    ]
                )
            )
        return table

    def themes_table(self) -> Table:
        table = Table("themes-table", _("Free-text themes"), [_("Concern"), _("Theme"), _("Answers")])
        labels = dict(Concern.choices)
        for theme in self.themes:
            table.rows.append(Row([str(labels[theme.concern]), theme.theme, theme.answers]))
        return table

    def cases_table(self) -> Table:
        table = Table("cases-table", _("Cases: SLA"), [_("Category"), _("Unresolved"), _("Overdue")])
        for row in self.cases:
            table.rows.append(Row([row.label, row.open, row.overdue], muted=False))
        if self.cases:
            table.rows.append(
                Row([_("All categories"), sum(r.open for r in self.cases), sum(r.overdue for r in self.cases)])
            )
        return table

    def tables(self) -> list[Table]:
        """Every table the page shows for this selection (what the exports write)."""
        tables = []
        if self.has_responses:
            tables += [self.headline_table(), self.concern_table(), self.trend_table(), self.breakdown_table()]
        if self.has_funnel:
            tables += [self.funnel_table(), self.rates_table()]
        if self.themes:
            tables.append(self.themes_table())
        tables.append(self.cases_table())
        return tables


def _few(n: int) -> bool:
    return n < MIN_RESPONDENTS


def _split(nps: NetPromoter, value: float | None) -> str:
    if nps.n == 0:
        return NO_VALUE
    if nps.too_few:
        return too_few_text()
    return f"{one_decimal(value)}%"


def _mean_text(value: float | None, n: int) -> str:
    if value is None:
        return NO_VALUE
    if _few(n):
        return too_few_text()
    return one_decimal(value)


def concern_labels() -> list[str]:
    labels = dict(Concern.choices)
    return [str(labels[c]) for c in CONCERNS]


def breakdown_labels() -> dict[str, str]:
    return {
        "device_os": _("Device OS"),
        "app_version": _("App version"),
        "wallet_product": _("Wallet product"),
        "segment": _("Segment"),
        "channel": _("Channel"),
        "campaign": _("Campaign"),
        "event": _("Wallet event"),
    }


def funnel_stage_labels() -> list[tuple[str, str]]:
    return [
        ("planned", _("Planned")),
        ("contacted", _("Contacted")),
        ("reached", _("Reached")),
        ("responded", _("Responded")),
    ]


def value_label(dimension: str, value: str, *, campaigns: dict[int, str] | None = None) -> str:
    """How a stored dimension value reads on the page ("" is "not recorded", or "no event")."""
    if dimension == "campaign":
        return (campaigns or {}).get(int(value), f"#{value}")
    if value == "":
        return _("No event (batch campaign)") if dimension == "event" else _("Not recorded")
    if dimension == "device_os":
        return str(dict(DevicePlatform.choices).get(value, value))
    if dimension == "event":
        return str(dict(WalletEvent.Kind.choices).get(value, value))
    if dimension == "channel":
        return str(dict(Response.Mode.choices).get(value, value))
    return value


# --- Reads ---------------------------------------------------------------------------------------------


def _sums(names=MEASURES) -> dict:
    return {name: Sum(name) for name in names}


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def bucket_label(day: date, grain: str) -> str:
    return _week_start(day).isoformat() if grain == "week" else day.strftime("%Y-%m")


def _response_sums(filters: Filters) -> tuple[Measures, list[Bucket], list[Group]]:
    """The selection's totals, its weeks or months and its breakdown groups from ONE grouped query (by day
    and the breakdown's column: days × groups rows, added up three ways here), so the rollup is scanned once."""
    column = BREAKDOWNS[filters.by]
    rows = ResponseRollup.objects.filter(rollup_q(filters)).values("day", column).annotate(**_sums()).order_by()
    totals = Measures()
    by_bucket: dict[str, Measures] = {}
    by_group: dict[object, Measures] = {}
    for row in rows:
        measures = Measures.of(row)
        totals.add(measures)
        by_bucket.setdefault(bucket_label(row["day"], filters.grain), Measures()).add(measures)
        by_group.setdefault(row[column], Measures()).add(measures)
    buckets = [Bucket(label, by_bucket[label]) for label in sorted(by_bucket)]
    names = campaign_names(by_group) if filters.by == "campaign" else {}
    groups = [
        Group(str(value), value_label(filters.by, str(value), campaigns=names), measures)
        for value, measures in by_group.items()
    ]
    # The largest groups first: the ones whose numbers mean the most.
    groups.sort(key=lambda g: (-g.measures.respondents, g.label.casefold()))
    return totals, buckets, groups


def campaign_names(ids) -> dict[int, str]:
    return dict(Campaign.objects.filter(pk__in={int(pk) for pk in ids}).values_list("pk", "name"))


def _funnel(filters: Filters) -> list[FunnelRow]:
    rows = (
        FunnelRollup.objects.filter(rollup_q(filters, funnel=True))
        .values("channel")
        .annotate(**_sums(FUNNEL_MEASURES))
        .order_by("channel")
    )
    labels = dict(Channel.choices)
    return [
        FunnelRow(
            row["channel"],
            str(labels.get(row["channel"], row["channel"] or _("Not recorded"))),
            {k: int(row[k] or 0) for k in FUNNEL_MEASURES},
        )
        for row in rows
    ]


def _themes(filters: Filters) -> list[Theme]:
    q = rollup_q(filters)
    rows = (
        ThemeRollup.objects.filter(q, concern__in=CONCERNS)
        .values("concern", "theme")
        .annotate(answers=Sum("answers"))
        .order_by("concern", "-answers", "theme")
    )
    top: dict[tuple[str, str], Theme] = {}
    per_concern: dict[str, int] = defaultdict(int)
    for row in rows:
        if per_concern[row["concern"]] < TOP_THEMES and row["answers"]:
            per_concern[row["concern"]] += 1
            top[(row["concern"], row["theme"])] = Theme(row["concern"], row["theme"], int(row["answers"]))
    if top:
        examples = (
            ThemeExample.objects.filter(q, concern__in={c for c, _ in top}, theme__in={t for _, t in top})
            .values("concern", "theme", "answer_id", "answer__text", "day")
            .order_by("-submitted_at", "-answer_id")
        )
        for row in examples:
            theme = top.get((row["concern"], row["theme"]))
            if theme is not None and len(theme.examples) < EXAMPLES_SHOWN:
                theme.examples.append(Example(row["answer_id"], row["answer__text"], row["day"]))
    order = {c: i for i, c in enumerate(CONCERNS)}
    return sorted(top.values(), key=lambda t: (order[t.concern], -t.answers, t.theme))


def read_report(filters: Filters) -> DashboardReport:
    """The numbers of one selection, straight from the rollups (no cache, no charts)."""
    totals, buckets, groups = _response_sums(filters)
    return DashboardReport(
        filters=filters,
        totals=totals,
        buckets=buckets,
        groups=groups,
        funnel=_funnel(filters),
        themes=_themes(filters) if totals.respondents else [],
    )


def case_rows(now: datetime) -> list[CaseRow]:
    """Unresolved Cases per category right now, and how many of them are overdue (past their SLA or the
    regulatory deadline: surveys.case_queries.overdue_cases, the case pages' own definition)."""
    unresolved = dict(
        Case.objects.exclude(status=Case.Status.RESOLVED).values_list("category").annotate(n=Count("id")).order_by()
    )
    overdue = dict(overdue_cases(now).values_list("category").annotate(n=Count("id")).order_by())
    labels = dict(Case.Category.choices)
    return [
        CaseRow(category, str(label), unresolved[category], overdue.get(category, 0))
        for category, label in labels.items()
        if unresolved.get(category)
    ]


# --- Freshness and the cache -----------------------------------------------------------------------------


def rollup_states() -> dict[str, datetime | None]:
    return dict(RollupState.objects.values_list("name", "refreshed_at"))


def _state_token(states: dict[str, datetime | None]) -> str:
    return ";".join(f"{name}={moment.isoformat() if moment else '-'}" for name, moment in sorted(states.items()))


@dataclass
class FilterOptions:
    """The values present in the rollups, per filter: [(value as stored, label)]."""

    values: dict[str, list[tuple[str, str]]]


# Reading the filters' values scans both rollups whole, so they are cached for a while rather than per
# refresh (every minute); a request for a value not in them re-reads them (see dashboard_forms.read_selection).
OPTIONS_KEY = "dashboard:options:v2"
OPTIONS_SECONDS = 10 * 60


def filter_options(*, fresh: bool = False) -> FilterOptions:
    """The filters' choices: the values the rollups hold, labelled in the active language."""
    present = None if fresh else cache.get(OPTIONS_KEY)
    if present is None:
        present = _read_present_values()
        cache.set(OPTIONS_KEY, present, OPTIONS_SECONDS)
    values: dict[str, list[tuple[str, str]]] = {}
    for name, found in present["values"].items():
        labelled = [(v, value_label(name, v, campaigns=present["campaigns"])) for v in found]
        values[name] = sorted(labelled, key=lambda pair: (pair[0] == "", pair[1].casefold()))
    return FilterOptions(values)


def _read_present_values() -> dict:
    """Two queries and the campaigns' names: the distinct combinations of the filter columns in each rollup
    (days left out, so there are far fewer combinations than rows), taken apart here."""
    columns = list(FILTER_COLUMNS.values())
    present: dict[str, set[str]] = {name: set() for name in FILTER_COLUMNS}
    for model in (ResponseRollup, FunnelRollup):
        for combination in model.objects.values_list(*columns).distinct().order_by():
            for name, value in zip(FILTER_COLUMNS, combination, strict=True):
                # The funnel's channels are the follow-ups' (SMS, e-mail, phone), not how answers were given.
                if not (model is FunnelRollup and name == "channel"):
                    present[name].add(str(value))
    campaigns = campaign_names(int(pk) for pk in present["campaign"])
    return {"values": {name: sorted(found) for name, found in present.items()}, "campaigns": campaigns}


def dashboard_report(filters: Filters, *, now: datetime) -> DashboardReport:
    """Everything the page shows for ``filters``: the rollups' numbers and charts from the cache (computed
    on a miss), the Cases as they stand at ``now``, and when the data was last updated."""
    from analytics.dashboard_charts import cases_chart, with_charts  # the charts read this module's report

    states = rollup_states()
    key = f"dashboard:report:v1:{get_language()}:{filters.cache_key()}:{_state_token(states)}"
    key = "dashboard:report:" + hashlib.sha256(key.encode()).hexdigest()[:40]
    report = cache.get(key)
    if report is None:
        report = with_charts(read_report(filters))
        cache.set(key, report, CACHE_SECONDS)
    report.cases = case_rows(now)
    report.refreshed_at = last_refreshed()  # the older of the two refreshes: what the page calls up to date
    if report.cases:
        report.charts["cases"] = cases_chart(report)
    else:
        report.charts.pop("cases", None)
    return report


# --- Exports: example answers with who said them ---------------------------------------------------------


@dataclass
class ExampleLine:
    concern: str
    theme: str
    day: date
    bank_reference: str
    customer_name: str
    text: str


def example_lines(report: DashboardReport) -> list[ExampleLine]:
    """The example answers on screen with their customer's bank reference and name (one query)."""
    ids = [example.answer_id for theme in report.themes for example in theme.examples]
    customers = {
        row["pk"]: (row["response__follow_up__customer__bank_reference"], row["response__follow_up__customer__name"])
        for row in Answer.objects.filter(pk__in=ids).values(
            "pk", "response__follow_up__customer__bank_reference", "response__follow_up__customer__name"
        )
    }
    labels = dict(Concern.choices)
    lines = []
    for theme in report.themes:
        for example in theme.examples:
            reference, name = customers.get(example.answer_id, ("", ""))
            lines.append(
                ExampleLine(str(labels[theme.concern]), theme.theme, example.day, reference, name, example.text)
            )
    return lines
