"""Forms for designing a campaign: its settings and contact rules (CampaignForm) and its audience (AudienceForm).

Forms validate and nothing more: every problem becomes a message on the field it concerns, never an
exception. The campaign page renders the fields in the groups named by ``fieldsets``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel, DevicePlatform, WalletEvent
from surveys import queries
from surveys.audience import validate_audience
from surveys.models import Campaign, Survey
from surveys.policies import PRESETS, campaign_preset

# Messages before calls: the default order of preference of a new campaign's channels.
DEFAULT_CHANNEL_ORDER = (Channel.SMS, Channel.EMAIL, Channel.PHONE)


def _ordered_choices(choices, first) -> list[tuple[str, str]]:
    """``choices`` with the values in ``first`` moved to the front, in that order (unknown values ignored)."""
    by_value = dict(choices)
    front = [value for value in dict.fromkeys(first or []) if value in by_value]
    return [(value, by_value[value]) for value in front] + [(v, label) for v, label in choices if v not in front]


class DurationInUnitsField(forms.IntegerField):
    """A timedelta entered as a whole number of ``unit`` (hours, days); shows a stored timedelta in that unit."""

    def __init__(self, *, unit: timedelta, **kwargs) -> None:
        self.unit = unit
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, timedelta):
            amount = value / self.unit
            return int(amount) if amount == int(amount) else round(amount, 2)
        return value

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else amount * self.unit

    def has_changed(self, initial, data) -> bool:
        return super().has_changed(self.prepare_value(initial), data)


@dataclasses.dataclass(frozen=True)
class Fieldset:
    legend: str
    names: list[str]
    help: str = ""
    columns: bool = False  # lay the fields out side by side on wide screens


class FieldsetsMixin:
    """``fieldsets`` name the groups of fields; ``grouped()`` gives them with bound fields for the template."""

    fieldsets: list[Fieldset] = []

    def grouped(self) -> list[dict]:
        return [
            {
                "legend": fieldset.legend,
                "help": fieldset.help,
                "columns": fieldset.columns,
                "fields": [self[name] for name in fieldset.names if name in self.fields],
            }
            for fieldset in self.fieldsets
        ]


class SurveyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, survey: Survey) -> str:
        return f"{survey.title_for(get_language())} (v{survey.version})"


def _region_label(code: str) -> str:
    """'Hong Kong (HK)' when a preset protects that region, else the bare code."""
    for policy in PRESETS.values():
        if policy.holiday_country == code:
            return f"{policy.label} ({code})"
    return code


REGION_FIELD_PREFIX = "region_policy_"


class CampaignForm(FieldsetsMixin, forms.ModelForm):
    trigger_event_kinds = forms.MultipleChoiceField(
        label=_("Triggering wallet events"),
        choices=WalletEvent.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A follow-up is planned when one of these happens to a customer in the audience."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tried in the order shown, top first."),
        error_messages={"required": _("Choose at least one channel.")},
    )
    contact_policy = forms.ChoiceField(
        label=_("Contact rules"),
        choices=[],  # set in __init__ from the presets
        help_text=_("When customers may be contacted, in their own local time: windows, quiet hours, limits."),
    )
    cool_off = DurationInUnitsField(
        unit=timedelta(hours=1),
        label=_("Wait after the event (hours)"),
        min_value=0,
        max_value=30 * 24,
        help_text=_("No contact sooner than this after the wallet event."),
    )
    deadline = DurationInUnitsField(
        unit=timedelta(hours=1),
        label=_("Give up after the event (hours)"),
        min_value=1,
        max_value=90 * 24,
        help_text=_("No contact later than this after the wallet event; without an allowed time before it, none."),
    )
    link_valid_for = DurationInUnitsField(
        unit=timedelta(days=1),
        label=_("Survey link valid for (days)"),
        min_value=1,
        max_value=90,
    )
    remind_after = DurationInUnitsField(
        unit=timedelta(days=1),
        label=_("Remind after (days)"),
        min_value=1,
        max_value=30,
        required=False,
        help_text=_(
            "A customer who has not answered gets a reminder, with the same contact rules; it counts as an attempt. "
            "Empty: no reminders."
        ),
    )
    calls_per_hour = forms.IntegerField(
        label=_("Calls per hour"),
        min_value=1,
        max_value=100_000,
        help_text=_("What the agents on shift can make in one hour."),
    )
    messages_per_minute = forms.IntegerField(
        label=_("Messages per minute"), min_value=1, max_value=1_000_000, help_text=_("SMS and e-mail together.")
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "description",
            "survey",
            "trigger",
            "trigger_event_kinds",
            "cool_off",
            "deadline",
            "starts_at",
            "ends_at",
            "channels",
            "contact_policy",
            "allow_holidays",
            "max_attempts",
            "remind_after",
            "link_valid_for",
            "calls_per_hour",
            "messages_per_minute",
        ]
        field_classes = {"survey": SurveyChoiceField}
        labels = {"survey": _("Survey")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "trigger": forms.RadioSelect,
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {
            "slug": _("Letters, digits and hyphens; it names the campaign in exports and links."),
            "survey": _("Only published surveys can be sent."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        survey_field = self.fields["survey"]
        published = Q(status=Survey.Status.PUBLISHED)
        if self.instance.survey_id:  # keep the current survey selectable even if it was archived since
            published |= Q(pk=self.instance.survey_id)
        survey_field.queryset = Survey.objects.filter(published)
        survey_field.empty_label = _("Choose a published survey")

        self.fields["contact_policy"].choices = [(key, policy.label) for key, policy in PRESETS.items()]
        # Manual campaigns are the standing ones the product keeps itself (surveys/standing.py).
        self.fields["trigger"].choices = [
            choice for choice in self.fields["trigger"].choices if choice[0] != Campaign.Trigger.MANUAL
        ]
        # Checkboxes in order of preference: as submitted, else as stored, else messages first.
        if self.is_bound:
            first = self.data.getlist(self.add_prefix("channels")) if hasattr(self.data, "getlist") else []
        else:
            first = self.initial.get("channels") or DEFAULT_CHANNEL_ORDER
        self.fields["channels"].choices = _ordered_choices(Channel.choices, first)

        zone = {"zone": timezone.get_current_timezone_name()}
        self.fields["starts_at"].help_text = (
            _("Leave empty to start when the campaign is launched. Time zone: %(zone)s.") % zone
        )
        self.fields["ends_at"].help_text = _("Time zone: %(zone)s.") % zone

        # One optional preset per customer region: customers there are contacted under that region's rules.
        stored = self.instance.region_policies or {}
        policy_choices = [("", _("Same as the campaign")), *self.fields["contact_policy"].choices]
        regions = sorted(set(queries.customer_attribute_values()["regions"]) | set(stored))
        self.region_fields = []
        for code in regions:
            name = f"{REGION_FIELD_PREFIX}{code}"
            self.fields[name] = forms.ChoiceField(
                label=_("Customers in %(region)s") % {"region": _region_label(code)},
                choices=policy_choices,
                required=False,
                initial=stored.get(code, ""),
            )
            self.region_fields.append(name)

    @property
    def fieldsets(self) -> list[Fieldset]:
        return [
            Fieldset(_("The campaign"), ["name", "slug", "description", "survey"]),
            Fieldset(_("When to follow up"), ["trigger", "trigger_event_kinds", "cool_off", "deadline"]),
            Fieldset(_("Dates"), ["starts_at", "ends_at"], columns=True),
            Fieldset(_("How to contact customers"), ["channels", "contact_policy", "allow_holidays"]),
            Fieldset(
                _("Contact rules per customer region"),
                self.region_fields,
                help=_("Customers of a region can be contacted under that region's rules instead."),
                columns=True,
            ),
            Fieldset(
                _("Attempts and capacity"),
                ["max_attempts", "remind_after", "link_valid_for", "calls_per_hour", "messages_per_minute"],
                columns=True,
            ),
        ]

    def clean_channels(self) -> list[str]:
        return list(dict.fromkeys(self.cleaned_data["channels"]))

    def clean_ends_at(self):
        ends_at = self.cleaned_data.get("ends_at")
        if ends_at is not None and ends_at <= timezone.now():
            raise ValidationError(_("The end of the campaign is already past."), code="ends_in_past")
        return ends_at

    def clean(self) -> dict:
        cleaned = super().clean()
        trigger = cleaned.get("trigger")
        if trigger == Campaign.Trigger.EVENT and not cleaned.get("trigger_event_kinds"):
            self.add_error(
                "trigger_event_kinds", _("Choose the wallet events that start a follow-up for an event campaign.")
            )
        elif trigger == Campaign.Trigger.BATCH:
            cleaned["trigger_event_kinds"] = []

        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The campaign must end after it starts."))

        cool_off, deadline = cleaned.get("cool_off"), cleaned.get("deadline")
        if cool_off is not None and deadline is not None and deadline <= cool_off:
            self.add_error("deadline", _("The deadline must come after the cool-off."))

        region_policies = {
            name.removeprefix(REGION_FIELD_PREFIX): cleaned[name] for name in self.region_fields if cleaned.get(name)
        }
        cleaned["region_policies"] = region_policies
        self._check_policies(cleaned, region_policies)
        return cleaned

    def _check_policies(self, cleaned: dict, region_policies: dict[str, str]) -> None:
        """Every policy the campaign would use must allow some contact on each of its channels."""
        channels = cleaned.get("channels")
        if not channels:
            return  # the channels field already carries an error
        to_check = [("contact_policy", cleaned.get("contact_policy"))]
        to_check += [(f"{REGION_FIELD_PREFIX}{code}", key) for code, key in region_policies.items()]
        for field, key in to_check:
            if not key:
                continue
            try:
                campaign_preset(key, contact_on_holidays=bool(cleaned.get("allow_holidays"))).validate(channels)
            except ValueError as exc:
                self.add_error(
                    field,
                    ValidationError(
                        _("These contact rules cannot be used for this campaign: %(problem)s."),
                        code="bad_policy",
                        params={"problem": str(exc)},
                    ),
                )

    def save(self, commit: bool = True) -> Campaign:
        self.instance.region_policies = self.cleaned_data["region_policies"]
        return super().save(commit=commit)


class AudienceForm(FieldsetsMixin, forms.Form):
    """Who the campaign is for. Field names are the keys of Campaign.audience; an empty group means everyone.

    ``audience`` (after is_valid()) is the dict surveys.audience.validate_audience accepted.
    """

    segments = forms.MultipleChoiceField(label=_("Segment"), widget=forms.CheckboxSelectMultiple, required=False)
    device_os = forms.MultipleChoiceField(
        label=_("Device OS"), choices=DevicePlatform.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    app_versions = forms.MultipleChoiceField(
        label=_("App version"), widget=forms.CheckboxSelectMultiple, required=False
    )
    wallet_products = forms.MultipleChoiceField(
        label=_("Wallet product"), widget=forms.CheckboxSelectMultiple, required=False
    )
    regions = forms.MultipleChoiceField(label=_("Region"), widget=forms.CheckboxSelectMultiple, required=False)
    enrolled_from = forms.DateField(
        label=_("Enrolled on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    enrolled_to = forms.DateField(
        label=_("Enrolled on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    event_kinds = forms.MultipleChoiceField(
        label=_("Had one of these wallet events"),
        choices=WalletEvent.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    event_within_days = forms.IntegerField(
        label=_("…within the last (days)"),
        min_value=1,
        max_value=365,
        required=False,
        initial=30,
    )

    fieldsets = [
        Fieldset(
            _("Who"),
            ["segments", "device_os", "app_versions", "wallet_products", "regions", "enrolled_from", "enrolled_to"],
            help=_("Leave a group empty to include every customer."),
            columns=True,
        ),
        Fieldset(
            _("Recent wallet events"),
            ["event_kinds", "event_within_days"],
            help=_("Only customers who had one of these events recently; leave empty for everyone."),
        ),
    ]

    def __init__(self, *args, audience: dict | None = None, **kwargs) -> None:
        audience = audience or {}
        kwargs.setdefault("initial", {key: value for key, value in audience.items() if key in self.base_fields})
        super().__init__(*args, **kwargs)
        values = queries.customer_attribute_values()
        for name in ("segments", "app_versions", "wallet_products", "regions"):
            # Stored values stay selectable even when no customer has them any more.
            known = list(dict.fromkeys([*values[name], *(audience.get(name) or [])]))
            label = _region_label if name == "regions" else str
            self.fields[name].choices = [(value, label(value)) for value in known]
        self.audience: dict = {}

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("enrolled_from"), cleaned.get("enrolled_to")
        if start and end and end < start:
            self.add_error("enrolled_to", _("The enrolment range ends before it starts."))
        if cleaned.get("event_kinds") and not cleaned.get("event_within_days"):
            self.add_error("event_within_days", _("Say within how many days the event must have happened."))
        if self.errors:
            return cleaned

        audience: dict = {}
        for name in self.fields:
            value = cleaned.get(name)
            if name == "event_within_days" and not cleaned.get("event_kinds"):
                continue  # a number of days means nothing without the events
            if value in (None, "", []):
                continue
            audience[name] = value.isoformat() if isinstance(value, date) else value
        try:
            self.audience = validate_audience(audience)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.error_dict.items():
                    self.add_error(key if key in self.fields else None, errors)
            else:
                self.add_error(None, exc)
        return cleaned


def audience_summary(audience: dict) -> list[tuple[str, str]]:
    """(label, values) lines describing a stored audience for people; empty for "every customer"."""
    form_fields = AudienceForm.base_fields
    labels = {
        "device_os": dict(DevicePlatform.choices),
        "event_kinds": dict(WalletEvent.Kind.choices),
    }
    lines = []
    for key, value in (audience or {}).items():
        if value in (None, "", [], {}):
            continue
        field = form_fields.get(key)
        label = str(field.label) if field is not None else key.replace("_", " ").capitalize()
        if key == "event_within_days":
            continue  # folded into the events line below
        if key in ("enrolled_from", "enrolled_to"):
            try:
                text = date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
            except ValueError:
                text = str(value)
        elif isinstance(value, list):
            names = labels.get(key, {})
            if key == "regions":
                text = ", ".join(_region_label(str(v)) for v in value)
            else:
                text = ", ".join(str(names.get(v, v)) for v in value)
        else:
            text = str(value)
        if key == "event_kinds" and audience.get("event_within_days"):
            text = _("%(events)s, within the last %(days)s days") % {
                "events": text,
                "days": audience["event_within_days"],
            }
        lines.append((label, text))
    return lines


def _amount(value: timedelta, unit: timedelta) -> float | int:
    amount = value / unit
    return int(amount) if amount == int(amount) else round(amount, 2)


def _hours(value: timedelta) -> str:
    n = _amount(value, timedelta(hours=1))
    return ngettext("%(n)s hour", "%(n)s hours", int(n)) % {"n": n}


def _moment(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def campaign_summary(campaign: Campaign) -> list[tuple[str, str]]:
    """(label, value) lines describing a campaign's settings for people, in the order of the form."""
    channel_names = dict(Channel.choices)
    event_names = dict(WalletEvent.Kind.choices)
    survey = campaign.survey
    lines = [(_("Survey"), f"{survey.title_for(get_language())} (v{survey.version})")]
    lines.append((_("Trigger"), campaign.get_trigger_display()))
    if campaign.trigger == Campaign.Trigger.EVENT:
        kinds = ", ".join(str(event_names.get(kind, kind)) for kind in campaign.trigger_event_kinds or [])
        lines.append((_("Triggering wallet events"), kinds))
        lines.append((_("Wait after the event"), _hours(campaign.cool_off)))
        lines.append((_("Give up after the event"), _hours(campaign.deadline)))
    lines.append((_("Starts"), _moment(campaign.starts_at) if campaign.starts_at else _("When launched")))
    lines.append((_("Ends"), _moment(campaign.ends_at) if campaign.ends_at else _("No end date")))
    lines.append((_("Channels"), " → ".join(str(channel_names.get(c, c)) for c in campaign.channels or [])))
    rules = queries.policy_label(campaign.contact_policy)
    holidays = _("contacts on public holidays") if campaign.allow_holidays else _("no contact on public holidays")
    lines.append((_("Contact rules"), f"{rules} · {holidays}"))
    for code, key in sorted((campaign.region_policies or {}).items()):
        lines.append((_("Customers in %(region)s") % {"region": _region_label(code)}, queries.policy_label(key)))
    lines.append((_("Maximum attempts"), str(campaign.max_attempts)))
    if campaign.remind_after is None:
        lines.append((_("Reminders"), _("None")))
    else:
        remind_days = _amount(campaign.remind_after, timedelta(days=1))
        lines.append(
            (_("Reminders"), ngettext("after %(n)s day", "after %(n)s days", int(remind_days)) % {"n": remind_days})
        )
    days = _amount(campaign.link_valid_for, timedelta(days=1))
    lines.append((_("Survey link valid for"), ngettext("%(n)s day", "%(n)s days", int(days)) % {"n": days}))
    lines.append((_("Calls per hour"), str(campaign.calls_per_hour)))
    lines.append((_("Messages per minute"), str(campaign.messages_per_minute)))
    return [(str(label), str(value)) for label, value in lines]
