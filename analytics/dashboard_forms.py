"""The concern dashboard's filters: read from the query string, never an error page.

A value the page cannot use (a date that does not parse or lies outside 2000–2100, a start after the
end, a campaign or device the rollups do not hold, an unknown breakdown) is ignored with a notice: the
rest of the selection still applies. The choices are the values present in the rollups.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.cache import cache
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from analytics.dashboard import (
    BREAKDOWNS,
    DEFAULT_DAYS,
    FILTER_COLUMNS,
    NONE_VALUE,
    FilterOptions,
    Filters,
    breakdown_labels,
    default_filters,
    filter_options,
)
from analytics.team_forms import EARLIEST, LATEST

DATE_WIDGET = {"type": "date", "class": "form-control form-control-sm"}
SELECT_WIDGET = {"class": "form-select form-select-sm"}


def _select(label) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, widget=forms.Select(attrs=SELECT_WIDGET))


class DashboardFilterForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")
    )
    campaign = _select(gettext_lazy("Campaign"))
    segment = _select(gettext_lazy("Segment"))
    device_os = _select(gettext_lazy("Device OS"))
    app_version = _select(gettext_lazy("App version"))
    channel = _select(pgettext_lazy("dashboard filter", "Answered by"))
    event = _select(gettext_lazy("Wallet event"))
    # Chosen in their blocks, further down the page, and sent with the filters (the form attribute).
    by = forms.ChoiceField(
        label=gettext_lazy("Break down by"),
        required=False,
        widget=forms.Select(attrs={**SELECT_WIDGET, "form": "dashboard-filters"}),
    )
    grain = forms.ChoiceField(
        label=gettext_lazy("Trends by"),
        required=False,
        widget=forms.RadioSelect(attrs={"class": "btn-check", "form": "dashboard-filters"}),
    )

    def __init__(self, *args, options: FilterOptions, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        for name in FILTER_COLUMNS:
            values = options.values.get(name, [])
            self.fields[name].choices = everything + [(value or NONE_VALUE, label) for value, label in values]
        self.fields["by"].choices = list(breakdown_labels().items())
        self.fields["grain"].choices = [("week", _("Week")), ("month", _("Month"))]

    def _clean_day(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."), code="out_of_range")
        return value

    def clean_since(self) -> date | None:
        return self._clean_day("since")

    def clean_until(self) -> date | None:
        return self._clean_day("until")

    def filters(self, today: date) -> tuple[Filters, list[str]]:
        """The selection to show and a notice for each part of the request that was not used."""
        fallback = default_filters(today)
        if not self.is_bound:
            return fallback, []
        self.is_valid()  # fills cleaned_data with the fields that are usable, errors with the others
        data, notices = self.cleaned_data, []
        last = {"days": DEFAULT_DAYS}

        since, until = fallback.since, fallback.until
        if "since" in self.errors or "until" in self.errors:
            notices.append(_("Those dates could not be read, so the last %(days)s days are shown.") % last)
        else:
            until = data.get("until") or today
            since = data.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
            if since > until:
                notices.append(
                    _("The start of that period is after its end, so the last %(days)s days are shown.") % last
                )
                since, until = fallback.since, fallback.until

        chosen: dict[str, object] = {}
        for name in FILTER_COLUMNS:
            if name in self.errors:
                notices.append(
                    _("%(filter)s: “%(value)s” is not in the data, so that filter is ignored.")
                    % {"value": self.data.get(name, ""), "filter": self.fields[name].label}
                )
                continue
            value = data.get(name) or ""
            if value == "":
                continue
            value = "" if value == NONE_VALUE else value
            chosen[name] = int(value) if name == "campaign" else value

        by, grain = fallback.by, fallback.grain
        if "by" in self.errors:
            notices.append(_("That breakdown is not offered, so the page breaks the numbers down by device OS."))
        elif data.get("by") in BREAKDOWNS:
            by = data["by"]
        if "grain" in self.errors:
            notices.append(_("Trends are by week or by month; they are shown by week."))
        elif data.get("grain"):
            grain = data["grain"]
        return Filters(since=since, until=until, by=by, grain=grain, **chosen), notices

    def asks_for_unknown_values(self) -> bool:
        return self.is_bound and not self.is_valid() and any(name in self.errors for name in FILTER_COLUMNS)

    @classmethod
    def showing(cls, filters: Filters, *, options: FilterOptions) -> DashboardFilterForm:
        """An unbound form filled in with the selection actually shown."""
        initial = {"since": filters.since, "until": filters.until, "by": filters.by, "grain": filters.grain}
        for name, value in filters.narrowing().items():
            initial[name] = NONE_VALUE if value == "" else str(value)
        return cls(initial=initial, options=options)


# The filters' values are cached for minutes; a value they lack may be newer than the cache (a bookmark of a
# campaign that started since). Re-read them then, at most once a minute, so garbage cannot force a scan each time.
FRESH_OPTIONS_LOCK = "dashboard:options:fresh-lock"


def read_selection(params: QueryDict, *, today: date) -> tuple[Filters, list[str], FilterOptions]:
    """The selection a query string asks for, the notices about what it could not use, and the choices."""
    options = filter_options()
    form = DashboardFilterForm(params or None, options=options)
    if form.asks_for_unknown_values() and cache.add(FRESH_OPTIONS_LOCK, True, 60):
        options = filter_options(fresh=True)
        form = DashboardFilterForm(params, options=options)
    filters, notices = form.filters(today)
    return filters, notices, options
