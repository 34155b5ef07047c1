"""The team view's period: two local dates from the query string, never an error page.

What cannot be used is ignored with a notice and the default period shown instead; a period longer
than analytics.team.MAX_DAYS is shortened to its last MAX_DAYS days, also with a notice.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.team import DEFAULT_DAYS, MAX_DAYS, Period, capped, default_period

# Outside these years a date is a typo, and a local midnight near date.min/max cannot be converted to UTC.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class TeamPeriodForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def _clean_day(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."), code="out_of_range")
        return value

    def clean_since(self) -> date | None:
        return self._clean_day("since")

    def clean_until(self) -> date | None:
        return self._clean_day("until")

    def period(self, today: date) -> tuple[Period, list[str]]:
        """The period to show and the notices about what was asked for and not used.

        A missing end is today; a missing start is DEFAULT_DAYS days before the end."""
        fallback = default_period(today)
        last = {"days": DEFAULT_DAYS}
        if not self.is_bound:
            return fallback, []
        if not self.is_valid():
            return fallback, [_("That period could not be read, so the last %(days)s days are shown.") % last]
        until = self.cleaned_data["until"] or today
        since = self.cleaned_data["since"] or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            notice = _("The start of that period is after its end, so the last %(days)s days are shown.") % last
            return fallback, [notice]
        asked = Period(since, until)
        period = capped(asked)
        if period != asked:
            notice = _("A period can be at most %(days)s days, so the %(days)s days up to %(until)s are shown.") % {
                "days": MAX_DAYS,
                "until": period.until.isoformat(),
            }
            return period, [notice]
        return period, []

    @classmethod
    def showing(cls, period: Period) -> TeamPeriodForm:
        """An unbound form filled in with the period actually shown."""
        return cls(initial={"since": period.since, "until": period.until})
