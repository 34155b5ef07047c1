"""The picture of a campaign: planned contacts by the customer's local weekday × hour.

Pure helpers (no ORM) build the numbers and the Plotly figure; ``campaign_heatmaps`` at the bottom
fetches a campaign's counts through surveys.queries and puts one section per channel family
together for the campaign page:

- ``local_hour_counts`` turns (time zone, UTC moment, count) rows into a 7 × 24 grid of counts in
  each customer's own local time (index: weekday 0 = Monday … 6 = Sunday; columns: hour 0–23).
- ``forbidden_hours`` is the 7 × 24 grid of hours in which a policy allows no contact at all on a
  channel in an ordinary week (quiet hours, lunch break, days without windows). Public holidays are
  not part of it: they move from year to year and are checked when each contact is planned.
- ``heatmap_figure`` draws the counts over the forbidden hours, shaded grey: a coloured cell on grey
  would be a contact planned at a forbidden hour, which the rules never produce.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

import pandas as pd
import plotly.graph_objects as go
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from surveys.policies import ContactPolicy, campaign_preset

logger = logging.getLogger(__name__)

WEEKDAY_INDEX = pd.RangeIndex(7, name="weekday")
HOUR_COLUMNS = pd.RangeIndex(24, name="hour")
# Zones that cannot be read (a bad import) are counted in the customers' default zone, not dropped:
# a dropped contact could hide a call at night.
FALLBACK_ZONE = "Asia/Shanghai"

_DAY_SECONDS = 24 * 3600


def empty_grid(fill=0) -> pd.DataFrame:
    return pd.DataFrame(fill, index=WEEKDAY_INDEX, columns=HOUR_COLUMNS)


def _known_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        logger.warning("unknown time zone %r counted as %s in the heat map", name, FALLBACK_ZONE)
        return FALLBACK_ZONE
    return name


def local_hour_counts(rows: Iterable[tuple[str, datetime, int]]) -> pd.DataFrame:
    """Count (time zone, aware moment, count) rows by local weekday × hour: a 7 × 24 frame of ints.

    Vectorised per zone: one tz_convert for all the moments of a zone, so the cost is one pass over
    the rows plus a small constant per distinct zone.
    """
    frame = pd.DataFrame(list(rows), columns=["zone", "moment", "n"])
    if frame.empty:
        return empty_grid()
    frame["zone"] = frame["zone"].map(_known_zone)
    frame["moment"] = pd.to_datetime(frame["moment"], utc=True)
    parts = []
    for zone, group in frame.groupby("zone", sort=False):
        local = group["moment"].dt.tz_convert(zone)
        parts.append(pd.DataFrame({"weekday": local.dt.day_of_week, "hour": local.dt.hour, "n": group["n"]}))
    counts = pd.concat(parts).groupby(["weekday", "hour"])["n"].sum().unstack(fill_value=0)
    return counts.reindex(index=WEEKDAY_INDEX, columns=HOUR_COLUMNS, fill_value=0).astype(int)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second + (1 if t.microsecond else 0)


def _quiet_spans(policy: ContactPolicy) -> list[tuple[int, int]]:
    start, end = _seconds(policy.quiet_start), _seconds(policy.quiet_end)
    if start > end:  # wraps midnight, e.g. 21:00–08:00
        return [(start, _DAY_SECONDS), (0, end)]
    return [(start, end)]


def forbidden_hours(policy: ContactPolicy, channel: str) -> pd.DataFrame:
    """7 × 24 booleans: True where ``policy`` allows no contact on ``channel`` at any moment of that hour.

    An hour is allowed as soon as some minute of it is inside a window of that weekday and outside the
    quiet hours; so a window 09:30–12:00 allows hour 9, and one ending at 12:00 does not allow hour 12.
    """
    quiet = _quiet_spans(policy)
    windows = policy.windows_for(channel)
    grid = empty_grid(True)
    for day in range(7):
        for window in windows[day]:
            start, end = _seconds(window.start), _seconds(window.end)
            for hour in range(24):
                lo, hi = max(start, hour * 3600), min(end, (hour + 1) * 3600)
                if lo >= hi:
                    continue
                # Whatever of [lo, hi) the quiet hours do not cover is allowed.
                covered = sum(max(0, min(hi, q_end) - max(lo, q_start)) for q_start, q_end in quiet)
                if covered < hi - lo:
                    grid.loc[day, hour] = False
    return grid


def campaign_policies(campaign) -> list[ContactPolicy]:
    """The campaign's own policy and the ones it applies to customers of some regions (unknown keys skipped)."""
    keys = [campaign.contact_policy, *sorted(set((campaign.region_policies or {}).values()))]
    policies = []
    for key in dict.fromkeys(keys):
        try:
            policies.append(campaign_preset(key, contact_on_holidays=bool(campaign.allow_holidays)))
        except ValueError:
            continue
    return policies


def forbidden_for_all(policies: Iterable[ContactPolicy], channel: str) -> pd.DataFrame:
    """Hours forbidden by every one of ``policies``: with region presets, what none of them allows."""
    grid = empty_grid(True)
    for policy in policies:
        grid &= forbidden_hours(policy, channel)
    return grid


def weekday_labels(short: bool = True) -> list[str]:
    """Monday first, in the active language (Django's own translated names)."""
    names = WEEKDAYS_ABBR if short else WEEKDAYS
    return [str(names[day]) for day in range(7)]


def heatmap_figure(frame: pd.DataFrame, forbidden: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Planned contacts per local weekday (rows, Monday on top) × hour (columns), forbidden hours in grey.

    Two traces: the grey forbidden-hours layer underneath and the counts on top, with empty cells
    transparent, so an empty allowed hour is white, an empty forbidden hour grey, and any contact shows
    in colour wherever it is.
    """
    days = weekday_labels()
    hours = list(range(24))
    counts = frame.reindex(index=WEEKDAY_INDEX, columns=HOUR_COLUMNS, fill_value=0)
    shaded = forbidden.reindex(index=WEEKDAY_INDEX, columns=HOUR_COLUMNS, fill_value=False)
    not_allowed = _("No contact allowed")
    contacts = _("contacts")
    local_hour = _("Local hour")
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            name=_("Hours the policy forbids"),
            x=hours,
            y=days,
            z=[[1 if shaded.loc[d, h] else None for h in hours] for d in range(7)],
            colorscale=[[0, "#ced4da"], [1, "#ced4da"]],
            showscale=False,
            xgap=1,
            ygap=1,
            hovertemplate=f"%{{y}} %{{x}}:00 · {not_allowed}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Heatmap(
            name=_("Planned contacts"),
            x=hours,
            y=days,
            z=[[int(counts.loc[d, h]) or None for h in hours] for d in range(7)],
            colorscale="Blues",
            zmin=0,
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": contacts, "side": "right"}, "thickness": 12, "len": 0.9},
            hovertemplate=f"%{{y}} %{{x}}:00 · %{{z}} {contacts}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": title or _("Planned contacts by local weekday and hour"), "x": 0, "font": {"size": 15}},
        xaxis={
            "title": {"text": f"{local_hour} (0–23)"},
            "tickmode": "array",
            "tickvals": list(range(0, 24, 3)),
            "range": [-0.5, 23.5],
            "fixedrange": True,
        },
        yaxis={"title": {"text": _("Weekday")}, "autorange": "reversed", "fixedrange": True},
        margin={"l": 50, "r": 10, "t": 40, "b": 45},
        height=330,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        font={"family": "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"},
    )
    return fig


@dataclass
class TableRow:
    weekday: str
    cells: list[tuple[int, bool]]  # (count, forbidden) per hour
    total: int


def table_rows(frame: pd.DataFrame, forbidden: pd.DataFrame) -> list[TableRow]:
    """The figure's numbers as rows for an HTML table (the accessible alternative)."""
    days = weekday_labels(short=False)
    return [
        TableRow(
            weekday=days[d],
            cells=[(int(frame.loc[d, h]), bool(forbidden.loc[d, h])) for h in range(24)],
            total=int(frame.loc[d].sum()),
        )
        for d in range(7)
    ]


# Channels drawn together: they share the policy's windows (calls vs. messages).
CHANNEL_FAMILIES = (("phone", ("phone",)), ("message", ("sms", "email")))


@dataclass
class HeatmapSection:
    key: str
    heading: str
    figure: dict
    rows: list[TableRow]
    total: int
    forbidden_total: int = 0  # contacts planned in a forbidden hour: 0 unless something is wrong
    several_policies: bool = False
    hours: list[int] = dataclasses.field(default_factory=lambda: list(range(24)))


def campaign_heatmaps(campaign) -> list[HeatmapSection]:
    """One section per channel family the campaign uses (calls; SMS and e-mail), with its figure and table.

    Cost: one grouped query per family over the campaign's open follow-ups (see
    queries.planned_contact_heatmap); the figure itself is 7 × 24 numbers whatever the campaign's size.
    """
    from surveys import queries  # the only database access of this module

    policies = campaign_policies(campaign)
    titles = {
        "phone": _("Planned calls by local weekday and hour"),
        "message": _("Planned SMS and e-mails by local weekday and hour"),
    }
    sections = []
    for key, channels in CHANNEL_FAMILIES:
        used = [c for c in channels if c in (campaign.channels or [])]
        if not used:
            continue
        frame = queries.planned_contact_heatmap(campaign, channels=used)
        forbidden = forbidden_for_all(policies, used[0]) if policies else empty_grid(False)
        total = int(frame.to_numpy().sum())
        figure = heatmap_figure(frame, forbidden, title=titles[key])
        # The page's own heading carries the title: a title inside the figure is cut off on a phone.
        figure.update_layout(title={"text": ""}, margin={"t": 10})
        sections.append(
            HeatmapSection(
                key=key,
                heading=titles[key],
                figure=json.loads(figure.to_json()),  # plain JSON types for json_script
                rows=table_rows(frame, forbidden),
                total=total,
                forbidden_total=int(frame.where(forbidden, 0).to_numpy().sum()),
                several_policies=len(policies) > 1,
            )
        )
    return sections
