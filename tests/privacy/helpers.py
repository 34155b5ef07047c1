"""Helpers of the privacy tests (tests/privacy/conftest.py holds the fixtures): responses built through the
real answering path, and every figure the concern dashboards show, read so that two readings can be compared."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.dashboard import BREAKDOWNS, Filters, _read_present_values, case_rows, read_report
from analytics.models import FunnelRollup, ResponseRollup, ThemeRollup
from analytics.queries import campaign_overview
from surveys.skip_logic import AnswerValue
from tests import answers as answers_module

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
LONG_AGO = NOW - timedelta(days=400)  # past the default retention of 365 days
LATELY = NOW - timedelta(days=20)

ALL_TIME = Filters(since=date(2000, 1, 1), until=date(2100, 12, 31))
HAPPY = {
    "nps": AnswerValue(number=10),
    "failed": AnswerValue(yes_no=False),
    "rating": AnswerValue(number=5),
    "effort": AnswerValue(number=7),
}


def respond(campaign, answers, *, at, **fields):
    """A response submitted at ``at`` whose links expire 14 days later (the retention clock's start)."""
    return answers_module.respond(campaign, answers, at=at, expires_at=at + timedelta(days=14), **fields)


def comment(words):
    return {**HAPPY, "comments": AnswerValue(text=words)}


def _rows(model):
    names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    return sorted(model.objects.values_list(*names))


def dashboard_figures(now=NOW) -> dict:
    """Every number the concern dashboard shows for all time, under every breakdown, the filters' choices, the
    campaign overview and the rollup tables themselves (examples left out: they are answers, not figures)."""
    figures = {}
    for by in BREAKDOWNS:
        report = read_report(replace(ALL_TIME, by=by))
        report.cases = case_rows(now)
        figures[by] = [(table.key, [list(map(str, row.cells)) for row in table.rows]) for table in report.tables()]
    figures["options"] = _read_present_values()
    figures["rollups"] = {model.__name__: _rows(model) for model in (ResponseRollup, FunnelRollup, ThemeRollup)}
    return figures


def campaign_figures() -> list:
    return [(row.campaign.pk, row.by_status, row.responses) for row in campaign_overview()]
