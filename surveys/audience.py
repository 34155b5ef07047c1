"""Who a campaign is for: the audience filters stored in ``Campaign.audience``, checked and turned into a query.

An audience is a dict of filters; an absent or empty filter means "everyone". Keys:

- ``segments``, ``app_versions``, ``wallet_products``, ``regions``: lists of values, matched exactly;
- ``device_os``: a list of ``DevicePlatform`` values;
- ``enrolled_from``, ``enrolled_to``: ISO dates, inclusive;
- ``event_kinds`` (``WalletEvent.Kind`` values) with ``event_within_days`` (1–365): only customers who
  had one of those events in that many days before the moment the audience is read.

``validate_audience`` is the one gate: forms, imports and the planner all pass through it, so a stored
audience is always one this module can read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, DevicePlatform, WalletEvent

LIST_FILTERS = {
    # audience key -> Customer field
    "segments": "segment",
    "device_os": "device_os",
    "app_versions": "app_version",
    "wallet_products": "wallet_product",
    "regions": "region",
}
DATE_FILTERS = ("enrolled_from", "enrolled_to")
EVENT_FILTERS = ("event_kinds", "event_within_days")
KNOWN_KEYS = (*LIST_FILTERS, *DATE_FILTERS, *EVENT_FILTERS)
_CLOSED_CHOICES = {"device_os": set(DevicePlatform.values), "event_kinds": set(WalletEvent.Kind.values)}


def validate_audience(audience: dict | None) -> dict:
    """The audience with empty filters dropped and values normalised; ValidationError names each bad key."""
    if audience is None:
        return {}
    if not isinstance(audience, dict):
        raise ValidationError(_("The audience must be a set of filters."), code="not_a_dict")
    errors: dict[str, list[ValidationError]] = {}
    clean: dict = {}

    def fail(field: str, message, code: str, /, **params) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params or None))

    for key, value in audience.items():
        if key not in KNOWN_KEYS:
            fail(key, _("Unknown audience filter “%(key)s”."), "unknown_filter", key=key)
            continue
        if value in (None, "", [], {}):
            continue
        if key in LIST_FILTERS or key == "event_kinds":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                fail(key, _("Expected a list of values."), "not_a_list")
                continue
            unknown = sorted(set(value) - _CLOSED_CHOICES.get(key, set(value)))
            if unknown:
                fail(key, _("Unknown values: %(values)s."), "unknown_value", values=", ".join(unknown))
                continue
            clean[key] = list(dict.fromkeys(value))
        elif key in DATE_FILTERS:
            try:
                clean[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                fail(key, _("“%(value)s” is not a date (YYYY-MM-DD)."), "bad_date", value=value)
        elif key == "event_within_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
                fail(key, _("Give a whole number of days from 1 to 365."), "bad_days")
            else:
                clean[key] = value

    start, end = clean.get("enrolled_from"), clean.get("enrolled_to")
    if start and end and end < start:
        fail("enrolled_to", _("The enrolment range ends before it starts."), "reversed_range")
    if clean.get("event_kinds") and not clean.get("event_within_days"):
        fail("event_within_days", _("Say within how many days the event must have happened."), "missing_days")
    if not clean.get("event_kinds"):
        clean.pop("event_within_days", None)  # a number of days means nothing without the events
    if errors:
        raise ValidationError(errors)
    return clean


def audience_queryset(audience: dict | None, *, now: datetime | None = None) -> QuerySet[Customer]:
    """The customers matching ``audience`` (validated here), read at ``now`` for the recent-event filter.

    Contact rules, consent and opt-outs are not applied here: planning applies them and counts who they
    leave out, so a manager sees why the audience shrank.
    """
    audience = validate_audience(audience)
    customers = Customer.objects.all()
    for key, field in LIST_FILTERS.items():
        if audience.get(key):
            customers = customers.filter(**{f"{field}__in": audience[key]})
    if audience.get("enrolled_from"):
        customers = customers.filter(enrolled_on__gte=audience["enrolled_from"])
    if audience.get("enrolled_to"):
        customers = customers.filter(enrolled_on__lte=audience["enrolled_to"])
    if audience.get("event_kinds"):
        since = (now or timezone.now()) - timedelta(days=audience["event_within_days"])
        recent = WalletEvent.objects.filter(
            customer=OuterRef("pk"), kind__in=audience["event_kinds"], occurred_at__gte=since
        )
        customers = customers.filter(Exists(recent))
    return customers


def audience_size(audience: dict | None, *, now: datetime | None = None) -> int:
    """How many customers the audience holds before contact rules: the number shown before launch."""
    return audience_queryset(audience, now=now).count()
