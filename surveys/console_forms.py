"""Forms of the call console. They check shape only; surveys/calls.py has the last word (InvalidCall,
CallbackNotAllowed, StaleFollowUp).

The call-back time is typed as the customer's wall-clock time (the agent repeats what the customer said),
so it is read and shown in the customer's zone, never the agent's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.call_outcomes import CALL_OUTCOMES
from surveys.calls import MAX_HANDLING_TIME
from surveys.models import ContactAttempt

__all__ = ["CallOutcomeForm", "opened_at", "sign_opened_at"]

_STARTED_AT_SALT = "surveys.console.started_at"
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
# A page may stay open through a whole call; a token older than the longest call is not a start time.
_STARTED_AT_MAX_AGE = MAX_HANDLING_TIME
_NOTES_LENGTH = 4000
_CALLBACK_HORIZON = timedelta(days=366)


def call_outcome_choices() -> list[tuple[str, str]]:
    """The call outcomes with their friendly labels, in the model's order (messages' outcomes left out)."""
    return [(value, label) for value, label in ContactAttempt.Outcome.choices if value in CALL_OUTCOMES]


def sign_opened_at(*, follow_up_id: int, agent_id: int, moment: datetime) -> str:
    """A token of when the agent opened the call page, bound to that call and agent so it cannot be moved."""
    return signing.dumps({"f": follow_up_id, "a": agent_id, "t": moment.isoformat()}, salt=_STARTED_AT_SALT)


def opened_at(token: str | None, *, follow_up_id: int, agent_id: int, now: datetime) -> datetime:
    """When the page was opened, from its signed token; ``now`` for a missing, tampered, foreign or stale one.

    Falling back to ``now`` records a handling time of about zero rather than refusing a call that happened.
    """
    if not token:
        return now
    try:
        value = signing.loads(token, salt=_STARTED_AT_SALT, max_age=_STARTED_AT_MAX_AGE)
        if value["f"] != follow_up_id or value["a"] != agent_id:
            return now
        moment = datetime.fromisoformat(value["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return now
    if moment.tzinfo is None or moment > now or now - moment > MAX_HANDLING_TIME:
        return now
    return moment


class CustomerLocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the customer's zone (a time that does not exist there is an error)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format=LOCAL_INPUT_FORMAT)
    input_formats = [LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *, zone: ZoneInfo | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.zone = zone

    def to_python(self, value):
        with timezone.override(self.zone or timezone.get_current_timezone()):
            return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.zone or timezone.get_current_timezone()).replace(tzinfo=None)
        return super().prepare_value(value)


class CallOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the call end?"),
        choices=call_outcome_choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the call.")},
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=_NOTES_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the customer said, for whoever calls next (optional)."),
    )
    callback_at = CustomerLocalDateTimeField(
        label=_("Call-back time"),
        required=False,
        error_messages={"invalid": _("Enter the call-back date and time.")},
    )
    expected_attempts = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    started_at = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args, zone: ZoneInfo, interview_done: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        if interview_done:
            # The agent's phone interview completed the follow-up: "complete" is the one outcome left to record.
            complete = ContactAttempt.Outcome.COMPLETE
            outcome = self.fields["outcome"]
            outcome.choices = [(value, label) for value, label in outcome.choices if value == complete]
            outcome.initial = complete
            self.fields["callback_at"].widget = forms.HiddenInput()  # a completed call has no call-back
        field = self.fields["callback_at"]
        field.zone = zone
        now_there = timezone.localtime(timezone.now(), zone)
        field.label = _("Call-back time (%(zone)s)") % {"zone": zone.key}
        field.help_text = _(
            "The customer's local time in %(zone)s (now %(now)s there). Needed when they ask to be called back."
        ) % {"zone": zone.key, "now": f"{now_there:%H:%M}"}
        field.widget.attrs["min"] = f"{now_there:{LOCAL_INPUT_FORMAT}}"

    def offer_callback(self, moment: datetime) -> None:
        """Put ``moment`` (an allowed call-back time) in the call-back field for the agent to confirm."""
        data = self.data.copy()
        data[self.add_prefix("callback_at")] = f"{timezone.localtime(moment, self.zone):{LOCAL_INPUT_FORMAT}}"
        self.data = data

    def clean_callback_at(self):
        # The service judges the time against the customer's rules; a far-off year is a typing slip (and
        # would overflow the date arithmetic of the rules).
        moment = self.cleaned_data.get("callback_at")
        if moment is not None and abs(moment - timezone.now()) > _CALLBACK_HORIZON:
            raise forms.ValidationError(_("Enter a call-back time within the next year."))
        return moment
