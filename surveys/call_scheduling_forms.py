"""Forms of the agent's call scheduling pages. They check shape only; surveys/call_scheduling.py judges the
time against the customer's contact rules (ScheduleRefused).

Times are shown and typed in the customer's local time: the agent agrees them with the customer.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core import signing
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from surveys.call_scheduling import NOTE_LENGTH
from surveys.console_forms import LOCAL_INPUT_FORMAT, CustomerLocalDateTimeField

__all__ = ["FindCustomerForm", "ScheduleCallForm", "customer_from_token", "customer_token"]

OTHER_TIME = "other"
_CUSTOMER_SALT = "surveys.call_scheduling.customer"
# A search result's link is good for a working day: long enough to finish the call, short enough that an
# old link in a browser history does not open a customer's page.
_CUSTOMER_TOKEN_AGE = 12 * 3600


def customer_token(customer_id: int) -> str:
    """The customer's id, signed: the scheduling page is reached from a search, not by counting ids."""
    return signing.dumps(customer_id, salt=_CUSTOMER_SALT)


def customer_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_CUSTOMER_SALT, max_age=_CUSTOMER_TOKEN_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _aware_or_none(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def slot_label(moment: datetime, zone: ZoneInfo) -> str:
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'l')} {local:%Y-%m-%d %H:%M}"  # the weekday in the page's language


class FindCustomerForm(forms.Form):
    q = forms.CharField(
        label=_("Bank reference or phone number"),
        max_length=64,
        help_text=_("Exactly as the bank has it, for example C-000123 or 138 0013 8000."),
        error_messages={"required": _("Enter the customer's bank reference or phone number.")},
    )


class ScheduleCallForm(forms.Form):
    slot = forms.ChoiceField(
        label=_("When to call"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when to call."), "invalid_choice": _("Choose when to call.")},
    )
    at = CustomerLocalDateTimeField(
        label=_("Another time"), required=False, error_messages={"invalid": _("Enter the date and time of the call.")}
    )
    note = forms.CharField(
        label=_("Why this call"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For whoever makes the call, e.g. “Complained about a failed payment; call about the refund”."),
        error_messages={"required": _("Say in a few words why the customer is to be called.")},
    )
    keep = forms.BooleanField(
        label=_("Keep this call in my calls"),
        required=False,
        initial=True,
        help_text=_("Untick to leave it in the shared pool for any agent."),
    )

    def __init__(self, *args, zone: ZoneInfo, offered: list[datetime], moving: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        choices = [(moment.isoformat(), slot_label(moment, zone)) for moment in offered]
        posted = _aware_or_none(self.data.get(self.add_prefix("slot"))) if self.is_bound else None
        if posted is not None and posted.isoformat() not in dict(choices):
            # Offered when the page was drawn; the offers move on with the clock. The service judges it.
            choices.insert(0, (posted.isoformat(), slot_label(posted, zone)))
        self.fields["slot"].choices = [*choices, (OTHER_TIME, _("Another time (below)"))]
        if offered and not self.is_bound:
            self.initial.setdefault("slot", offered[0].isoformat())
        field = self.fields["at"]
        field.zone = zone
        now_there = timezone.localtime(timezone.now(), zone)
        field.label = _("Another time (%(zone)s)") % {"zone": zone.key}
        field.help_text = _("The customer's local time in %(zone)s (now %(now)s there).") % {
            "zone": zone.key,
            "now": f"{now_there:%H:%M}",
        }
        field.widget.attrs["min"] = f"{now_there:{LOCAL_INPUT_FORMAT}}"
        if moving:
            del self.fields["keep"]  # a moved call stays with the agent who agreed the new time
            self.fields["note"].required = False
            self.fields["note"].help_text = _("Optional: what the customer said about the new time.")

    def clean(self):
        cleaned = super().clean()
        slot = cleaned.get("slot")
        if slot == OTHER_TIME:
            if cleaned.get("at") is None and "at" not in self.errors:
                self.add_error("at", _("Enter the date and time of the call."))
            cleaned["when"] = cleaned.get("at")
        elif slot:
            cleaned["when"] = datetime.fromisoformat(slot)
        return cleaned

    def offer(self, moment: datetime) -> None:
        """Put ``moment`` (the nearest allowed time) in "another time" for the agent to confirm."""
        data = self.data.copy()
        data[self.add_prefix("slot")] = OTHER_TIME
        data[self.add_prefix("at")] = f"{timezone.localtime(moment, self.zone):{LOCAL_INPUT_FORMAT}}"
        self.data = data
