"""What the API accepts and answers. Bad input becomes 400 with errors by field name, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import customer_intake
from accounts.models import Channel, Customer, WalletEvent
from surveys.models import ContactAttempt, FollowUp

# An event dated before this is a typo or a zero value, not something to follow up.
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
# Bank clocks drift; an event a little in the future is accepted, one a day ahead is a mistake.
CLOCK_SKEW = timedelta(hours=1)
MAX_DETAILS_BYTES = 8 * 1024
MAX_DETAILS_DEPTH = 5


def _storable_json(value, depth: int = 0) -> bool:
    """Both databases store it: no NUL characters (PostgreSQL's jsonb refuses them), no lone surrogates."""
    if depth > MAX_DETAILS_DEPTH:
        return False
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return all(_storable_json(k, depth + 1) and _storable_json(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable_json(item, depth + 1) for item in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return True


_MOMENT = serializers.DateTimeField()  # renders moments as the API's other fields do, built once


class WalletEventSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(
        max_length=64, help_text=_("The bank's own event identifier; posting it again changes nothing.")
    )
    customer_reference = serializers.CharField(max_length=64, help_text=_("The customer's bank reference."))
    kind = serializers.ChoiceField(choices=WalletEvent.Kind.choices)
    occurred_at = serializers.DateTimeField(help_text=_("ISO 8601; without an offset it is read as Beijing time."))
    access_channel = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    details = serializers.DictField(required=False, default=dict, help_text=_("Free-form facts about the event."))
    received_at = serializers.DateTimeField(read_only=True)

    def validate_occurred_at(self, value: datetime) -> datetime:
        if value < EARLIEST_EVENT or value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("This moment is not plausible for a wallet event."))
        return value

    def validate_details(self, value: dict) -> dict:
        if not _storable_json(value):
            raise serializers.ValidationError(_("Details may not contain NUL characters or be nested this deep."))
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_DETAILS_BYTES:
            raise serializers.ValidationError(
                _("Details may be at most %(limit)s bytes of JSON.") % {"limit": MAX_DETAILS_BYTES}
            )
        return value

    def to_representation(self, event: WalletEvent) -> dict:
        # A new event's customer reference is the one posted (the service found the customer by it).
        customer_reference = self.context.get("customer_reference") or event.customer.bank_reference
        return {
            "bank_reference": event.bank_reference,
            "customer_reference": customer_reference,
            "kind": event.kind,
            "occurred_at": _MOMENT.to_representation(event.occurred_at),
            "access_channel": event.access_channel,
            "details": event.details,
            "received_at": _MOMENT.to_representation(event.received_at),
        }


MAX_EVENTS_PER_BATCH = 500
# What became of each event of a batch (named in the schema as BatchResultStatusEnum).
BATCH_RESULTS = [("created", "created"), ("already_received", "already received")]


class WalletEventBatchSerializer(serializers.Serializer):
    events = WalletEventSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_EVENTS_PER_BATCH,
        help_text=_("Up to 500 events; any bad one refuses the whole batch, with its errors at its position."),
    )


class WalletEventBatchResultSerializer(serializers.Serializer):
    bank_reference = serializers.CharField()
    status = serializers.ChoiceField(
        choices=BATCH_RESULTS,
        help_text=_("created: stored now; already_received: stored before (or earlier in this batch), unchanged."),
    )


class WalletEventBatchResultsSerializer(serializers.Serializer):
    results = WalletEventBatchResultSerializer(many=True, help_text=_("One per event, in the batch's order."))


class CustomerSerializer(serializers.Serializer):
    """A customer as the bank sends it; the values are checked by accounts.customer_intake like a file row.

    Left out or blank: unchanged. A new customer needs a name.
    """

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=_("Any usual form; +86 is assumed.")
    )
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, help_text="zh, en…")
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text=_("IANA name such as Asia/Shanghai.")
    )
    preferred_channel = serializers.CharField(max_length=16, required=False, allow_blank=True)
    preferred_time_of_day = serializers.CharField(max_length=16, required=False, allow_blank=True)
    device_os = serializers.CharField(max_length=16, required=False, allow_blank=True)
    device_os_version = serializers.CharField(max_length=32, required=False, allow_blank=True)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True)
    wallet_product = serializers.CharField(max_length=64, required=False, allow_blank=True)
    segment = serializers.CharField(max_length=64, required=False, allow_blank=True)
    enrolled_on = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="2026-03-01")
    region = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="CN")
    consent = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true records consent for a customer who has none on record; false withdraws it."),
    )

    def validate(self, attrs: dict) -> dict:
        values = {name: value for name, value in attrs.items() if value is not None}
        values["bank_reference"] = self.context["bank_reference"]
        cleaned, errors = customer_intake.clean_customer(values, partial=self.context["exists"])
        if errors:
            by_field: dict[str, list[str]] = {}
            for error in errors:
                by_field.setdefault(error.field, []).append(error.reason)
            raise serializers.ValidationError(by_field)
        return cleaned


class CustomerStateSerializer(serializers.ModelSerializer):
    """A customer as stored, with the contact decisions on record."""

    class Meta:
        model = Customer
        fields = [
            "bank_reference", "name", "phone", "email", "language", "time_zone", "preferred_channel",
            "preferred_time_of_day", "device_os", "device_os_version", "app_version", "wallet_product", "segment",
            "enrolled_on", "region", "consent_given_at", "phone_opt_out_at", "sms_opt_out_at", "email_opt_out_at",
            "do_not_contact_at",
        ]  # fmt: skip
        read_only_fields = fields


class OptOutSerializer(serializers.Serializer):
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        allow_empty=False,
        max_length=len(Channel.values),
        help_text=_("Left out: every channel."),
    )
    do_not_contact = serializers.BooleanField(
        default=False, help_text=_("Also put the customer on the do-not-contact list.")
    )


class OptOutStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["bank_reference", "phone_opt_out_at", "sms_opt_out_at", "email_opt_out_at", "do_not_contact_at"]
        read_only_fields = fields


class ContactAttemptSerializer(serializers.ModelSerializer):
    """When, how and with what outcome; never the agent's notes."""

    class Meta:
        model = ContactAttempt
        fields = ["number", "channel", "started_at", "ended_at", "outcome"]
        read_only_fields = fields


class FollowUpStatusSerializer(serializers.ModelSerializer):
    """A follow-up's state by ids only: no name, phone or answers."""

    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    customer_reference = serializers.CharField(source="customer.bank_reference", read_only=True)
    wallet_event_reference = serializers.CharField(
        source="wallet_event.bank_reference", read_only=True, allow_null=True, default=None
    )
    closed_reason = serializers.CharField(source="close_reason", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id", "campaign", "customer_reference", "wallet_event_reference", "status", "channel", "scheduled_for",
            "attempts", "created_at", "closed_at", "closed_reason",
        ]  # fmt: skip
        read_only_fields = fields


class ContactHistoryFollowUpSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    attempts = ContactAttemptSerializer(source="attempts_made", many=True, read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "campaign", "status", "channel", "scheduled_for", "created_at", "closed_at", "attempts"]
        read_only_fields = fields


class ContactHistorySerializer(serializers.Serializer):
    customer_reference = serializers.CharField(read_only=True)
    follow_ups = ContactHistoryFollowUpSerializer(many=True, read_only=True)
