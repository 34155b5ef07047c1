"""The concern dashboard's charts: small Plotly figures built on the server from the report's numbers.

Each figure goes to the page as JSON (json_script) and static/js/team-charts.js draws it with the local
plotly.js, with no mode bar and no zoom; the table under each chart holds the same numbers.
A value resting on fewer than MIN_RESPONDENTS answers gets no bar and no interval: the chart writes
"too few answers" in grey where the bar would be, as the table does.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from analytics.dashboard import CONCERNS, DashboardReport, Measures, concern_labels, funnel_stage_labels
from analytics.stats import NetPromoter, Share

_FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"
GREY = "#6c757d"
# Colour-blind-safe (Okabe–Ito), one per concern, the same in every chart.
CONCERN_COLOURS = dict(zip(CONCERNS, ("#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00"), strict=True))


def _layout(fig: go.Figure, *, y_title: str, percent_axis: bool = False, height: int = 280, **extra) -> dict:
    """Small and fixed (no zoom); the legend under the plot so it fits a phone."""
    yaxis: dict = {"title": {"text": y_title}, "fixedrange": True, "zeroline": True}
    if percent_axis:
        yaxis.update(range=[0, 100], ticksuffix="%")
    fig.update_layout(
        showlegend=len(fig.data) > 1,
        height=height,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.3},
        xaxis={"fixedrange": True, "type": "category", "automargin": True},
        yaxis=yaxis,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        font={"family": _FONT},
        **extra,
    )
    return json.loads(fig.to_json())  # plain JSON types for json_script


def _percent(share: Share) -> tuple[float | None, float | None, float | None]:
    """(value, distance up, distance down) in percent; all None when the share is too few answers to show."""
    if share.value is None or share.too_few:
        return None, None, None
    return (
        round(share.value * 100, 1),
        round((share.high - share.value) * 100, 1),
        round((share.value - share.low) * 100, 1),
    )


def _nps(nps: NetPromoter) -> tuple[float | None, float | None]:
    if nps.score is None or nps.too_few:
        return None, None
    return round(nps.score, 1), round(nps.margin, 1)


def _too_few_notes(labels: list[str], suppressed: list[bool], *, y: float = 0) -> list[dict]:
    return [
        {
            "x": label,
            "y": y,
            "text": _("too few answers"),
            "showarrow": False,
            "yanchor": "bottom",
            "textangle": -90 if len(labels) > 4 else 0,
            "font": {"color": GREY, "size": 11},
        }
        for label, hidden in zip(labels, suppressed, strict=True)
        if hidden
    ]


def _concern_bars(fig: go.Figure, labels: list[str], measures: list[Measures]) -> None:
    """One bar trace per concern over ``labels``, with Wilson intervals as error bars."""
    for concern, name in zip(CONCERNS, concern_labels(), strict=True):
        values, up, down = zip(*(_percent(m.share(concern)) for m in measures), strict=True)
        fig.add_trace(
            go.Bar(
                name=name,
                x=labels,
                y=list(values),
                marker_color=CONCERN_COLOURS[concern],
                error_y={"type": "data", "symmetric": False, "array": list(up), "arrayminus": list(down)},
            )
        )


def headline_chart(report: DashboardReport) -> dict:
    """The NPS split: one stacked bar of promoters, passives and detractors in percent."""
    nps = report.totals.nps
    fig = go.Figure()
    parts = (
        (_("Promoters (9–10)"), nps.promoter_percent, "#146c43"),
        (_("Passives (7–8)"), nps.passive_percent, "#adb5bd"),
        (_("Detractors (0–6)"), nps.detractor_percent, "#b02a37"),
    )
    for name, value, colour in parts:
        shown = None if value is None or nps.too_few else round(value, 1)
        fig.add_trace(go.Bar(name=name, y=[_("NPS answers")], x=[shown], orientation="h", marker_color=colour))
    figure = _layout(fig, y_title="", height=170, barmode="stack")
    figure["layout"]["legend"]["traceorder"] = "normal"  # promoters first, as in the bar
    figure["layout"]["xaxis"] = {"fixedrange": True, "range": [0, 100], "ticksuffix": "%"}
    figure["layout"]["yaxis"] = {"fixedrange": True, "showticklabels": False}
    return figure


def concerns_chart(report: DashboardReport) -> dict:
    labels = concern_labels()
    fig = go.Figure()
    values, up, down = zip(*(_percent(report.totals.share(c)) for c in CONCERNS), strict=True)
    fig.add_trace(
        go.Bar(
            name=_("Share of respondents"),
            x=labels,
            y=list(values),
            marker_color=[CONCERN_COLOURS[c] for c in CONCERNS],
            error_y={"type": "data", "symmetric": False, "array": list(up), "arrayminus": list(down)},
        )
    )
    hidden = [report.totals.share(c).too_few for c in CONCERNS]
    return _layout(
        fig, y_title=_("Share of respondents"), percent_axis=True, annotations=_too_few_notes(labels, hidden)
    )


def trend_concerns_chart(report: DashboardReport) -> dict:
    labels = [bucket.label for bucket in report.buckets]
    fig = go.Figure()
    for concern, name in zip(CONCERNS, concern_labels(), strict=True):
        values = [_percent(bucket.measures.share(concern))[0] for bucket in report.buckets]
        fig.add_trace(
            go.Scatter(name=name, x=labels, y=values, mode="lines+markers", line={"color": CONCERN_COLOURS[concern]})
        )
    hidden = [bucket.measures.too_few for bucket in report.buckets]
    return _layout(
        fig, y_title=_("Share of respondents"), percent_axis=True, annotations=_too_few_notes(labels, hidden)
    )


def trend_nps_chart(report: DashboardReport) -> dict:
    labels = [bucket.label for bucket in report.buckets]
    scores, margins = zip(*(_nps(bucket.measures.nps) for bucket in report.buckets), strict=True)
    fig = go.Figure(
        go.Scatter(
            name=_("NPS"),
            x=labels,
            y=list(scores),
            mode="lines+markers",
            error_y={"type": "data", "array": list(margins)},
            line={"color": "#0a58ca"},
        )
    )
    hidden = [bucket.measures.nps.too_few for bucket in report.buckets]
    figure = _layout(fig, y_title=_("NPS"), annotations=_too_few_notes(labels, hidden, y=-100))
    figure["layout"]["yaxis"]["range"] = [-100, 100]
    return figure


def breakdown_concerns_chart(report: DashboardReport) -> dict:
    labels = [group.label for group in report.groups]
    fig = go.Figure()
    _concern_bars(fig, labels, [group.measures for group in report.groups])
    hidden = [group.measures.too_few for group in report.groups]
    return _layout(
        fig,
        y_title=_("Share of respondents"),
        percent_axis=True,
        height=320,
        annotations=_too_few_notes(labels, hidden),
    )


def breakdown_nps_chart(report: DashboardReport) -> dict:
    labels = [group.label for group in report.groups]
    scores, margins = zip(*(_nps(group.measures.nps) for group in report.groups), strict=True)
    fig = go.Figure(
        go.Bar(
            name=_("NPS"),
            x=labels,
            y=list(scores),
            marker_color="#0a58ca",
            error_y={"type": "data", "array": list(margins)},
        )
    )
    hidden = [group.measures.nps.too_few for group in report.groups]
    figure = _layout(fig, y_title=_("NPS"), annotations=_too_few_notes(labels, hidden))
    figure["layout"]["yaxis"]["range"] = [-100, 100]
    return figure


def funnel_chart(report: DashboardReport) -> dict:
    total = report.funnel_total.counts
    stages = funnel_stage_labels()
    counts = [total["complete"] if key == "responded" else total[key] for key, _label in stages]
    fig = go.Figure(
        go.Funnel(
            name=_("Follow-ups"),
            y=[label for _key, label in stages],
            x=counts,
            textinfo="value+percent initial",
            marker={"color": "#0a58ca"},
        )
    )
    figure = _layout(fig, y_title="", height=240)
    figure["layout"]["xaxis"] = {"fixedrange": True}
    figure["layout"]["yaxis"] = {"fixedrange": True, "automargin": True}
    return figure


def rates_chart(report: DashboardReport) -> dict:
    labels = [row.label for row in report.funnel]
    fig = go.Figure()
    for name, attribute, colour in ((_("RR1"), "rr1", "#0a58ca"), (_("RR2"), "rr2", "#6ea8fe")):
        values = []
        for row in report.funnel:
            rate = getattr(row.rates, attribute)
            values.append(None if rate is None else round(rate * 100, 1))
        fig.add_trace(go.Bar(name=name, x=labels, y=values, marker_color=colour))
    return _layout(fig, y_title=_("Response rate"), percent_axis=True)


def themes_chart(report: DashboardReport) -> dict:
    labels = dict(zip(CONCERNS, concern_labels(), strict=True))
    fig = go.Figure()
    for concern in CONCERNS:
        themes = [theme for theme in report.themes if theme.concern == concern]
        if themes:
            fig.add_trace(
                go.Bar(
                    name=labels[concern],
                    y=[f"{labels[concern]}: {theme.theme}" for theme in themes],
                    x=[theme.answers for theme in themes],
                    orientation="h",
                    marker_color=CONCERN_COLOURS[concern],
                )
            )
    figure = _layout(fig, y_title="", height=max(200, 28 * len(report.themes) + 80))
    figure["layout"]["xaxis"] = {"fixedrange": True, "title": {"text": _("Answers")}, "rangemode": "tozero"}
    figure["layout"]["yaxis"] = {"fixedrange": True, "automargin": True, "autorange": "reversed", "type": "category"}
    return figure


def cases_chart(report: DashboardReport) -> dict:
    labels = [row.label for row in report.cases]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=_("Unresolved"), x=labels, y=[row.open for row in report.cases], marker_color="#0a58ca"))
    fig.add_trace(go.Bar(name=_("Overdue"), x=labels, y=[row.overdue for row in report.cases], marker_color="#dc3545"))
    figure = _layout(fig, y_title=_("Cases"))
    if max(row.open for row in report.cases) <= 5:
        figure["layout"]["yaxis"]["dtick"] = 1
    return figure


def with_charts(report: DashboardReport) -> DashboardReport:
    """The report with one figure per block that has something to draw (the Cases' is added per request)."""
    if report.has_responses:
        report.charts.update(
            headline=headline_chart(report),
            concerns=concerns_chart(report),
            trend_concerns=trend_concerns_chart(report),
            trend_nps=trend_nps_chart(report),
            breakdown_concerns=breakdown_concerns_chart(report),
            breakdown_nps=breakdown_nps_chart(report),
        )
    if report.has_funnel:
        report.charts.update(funnel=funnel_chart(report), rates=rates_chart(report))
    if report.themes:
        report.charts["themes"] = themes_chart(report)
    return report
