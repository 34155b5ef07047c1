"""The API's views: check the scope (declared per view), bind the serializer, call one service, answer.

Every view derives from LoggedApiView, which gives each request an id (the caller's X-Request-ID when it
is sensible, else a new one), echoes it back, and writes one ApiCall row when the request ends.
"""

from __future__ import annotations

import re
import time
import uuid

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import customer_intake
from accounts import services as account_services
from accounts.models import Channel, Customer, EvidenceSource
from integrations import queries, services
from integrations.models import Integration, Scope
from integrations.serializers import (
    ContactHistorySerializer,
    CustomerSerializer,
    CustomerStateSerializer,
    FollowUpStatusSerializer,
    OptOutSerializer,
    OptOutStateSerializer,
    WalletEventBatchResultsSerializer,
    WalletEventBatchSerializer,
    WalletEventSerializer,
)
from surveys import services as survey_services

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_ERRORS = {
    400: OpenApiResponse(description=_("Bad input: errors by field name.")),
    401: OpenApiResponse(description=_("No token, or a token that does not work.")),
    403: OpenApiResponse(description=_("The token lacks this endpoint's scope.")),
    429: OpenApiResponse(description=_("Too many requests; see Retry-After.")),
}


# The schema's examples document the API and are the first requests the schemathesis tests send.
EXAMPLE_CUSTOMER = "C00012345"
BANK_REFERENCE = OpenApiParameter(
    "bank_reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("The customer's bank reference."),
    examples=[OpenApiExample("customer", value=EXAMPLE_CUSTOMER)],
)
FOLLOW_UP_ID = OpenApiParameter(
    "follow_up_id", OpenApiTypes.INT, OpenApiParameter.PATH, examples=[OpenApiExample("follow-up", value=1)]
)
EVENT_EXAMPLE = OpenApiExample(
    "A failed payment",
    request_only=True,
    value={
        "bank_reference": "EV-20260302-0001",
        "customer_reference": EXAMPLE_CUSTOMER,
        "kind": "payment_failed",
        "occurred_at": "2026-03-02T20:00:00+08:00",
        "access_channel": "app",
        "details": {"amount": "120.00", "currency": "CNY"},
    },
)
BATCH_EXAMPLE = OpenApiExample(
    "Two events",
    request_only=True,
    value={
        "events": [
            EVENT_EXAMPLE.value,
            {**EVENT_EXAMPLE.value, "bank_reference": "EV-20260302-0002", "kind": "transaction_delayed"},
        ]
    },
)
CUSTOMER_EXAMPLE = OpenApiExample(
    "A new customer",
    request_only=True,
    value={
        "name": "李雷",
        "phone": "+8613800138000",
        "language": "zh",
        "time_zone": "Asia/Shanghai",
        "preferred_channel": "sms",
        "device_os": "android",
        "app_version": "8.2.0",
        "enrolled_on": "2026-03-01",
        "consent": True,
    },
)
OPT_OUT_EXAMPLE = OpenApiExample("No more SMS", request_only=True, value={"channels": ["sms"], "do_not_contact": False})


def _errors(*codes: int) -> dict:
    return {code: _ERRORS[code] for code in codes}


class LoggedApiView(APIView):
    required_scope: Scope

    def dispatch(self, request, *args, **kwargs):
        started, at = time.perf_counter(), timezone.now()
        given = request.headers.get("X-Request-ID", "")
        request_id = self.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        status_code = 500
        try:
            response = super().dispatch(request, *args, **kwargs)
            status_code = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            # self.request is DRF's Request once dispatch began; its user is the integration if the token worked.
            principal = getattr(getattr(self, "request", None), "_user", None)
            services.log_api_call(
                integration_id=principal.pk if isinstance(principal, Integration) else None,
                method=request.method,
                path=request.path,
                status=status_code,
                duration_ms=round((time.perf_counter() - started) * 1000),
                at=at,
                request_id=request_id,
            )

    def evidence_reference(self) -> str:
        """Where a consent record came from: the integration and the request (its ApiCall's request id)."""
        return f"API {self.request.user.name} · {self.request_id}"

    def customer_or_404(self, bank_reference: str) -> Customer:
        customer = queries.customer_by_reference(bank_reference)
        if customer is None:
            raise Http404
        return customer


# What a validated event hands to the services (receive_wallet_event's keywords, IncomingEvent's fields).
EVENT_FIELDS = ("customer_reference", "bank_reference", "kind", "occurred_at", "access_channel", "details")


class WalletEventView(LoggedApiView):
    required_scope = Scope.EVENTS_WRITE

    @extend_schema(
        request=WalletEventSerializer,
        responses={
            201: WalletEventSerializer,
            200: OpenApiResponse(WalletEventSerializer, description=_("Already received: the stored event.")),
            **_errors(400, 401, 403, 429),
        },
        examples=[EVENT_EXAMPLE],
        summary="Post a wallet event",
    )
    def post(self, request):
        serializer = WalletEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            event, created = survey_services.receive_wallet_event(**{name: data[name] for name in EVENT_FIELDS})
        except survey_services.UnknownCustomer as error:
            raise ValidationError({"customer_reference": [str(error)]}) from error
        if created:
            body = WalletEventSerializer(event, context={"customer_reference": data["customer_reference"]}).data
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(WalletEventSerializer(event).data, status=status.HTTP_200_OK)


class WalletEventBatchView(LoggedApiView):
    """Bulk senders post up to 500 events at once: one request, one transaction, one INSERT."""

    required_scope = Scope.EVENTS_WRITE

    @extend_schema(
        request=WalletEventBatchSerializer,
        responses={
            201: WalletEventBatchResultsSerializer,
            200: OpenApiResponse(WalletEventBatchResultsSerializer, description=_("Every event was received before.")),
            **_errors(400, 401, 403, 429),
        },
        examples=[BATCH_EXAMPLE],
        summary="Post a batch of wallet events",
    )
    def post(self, request):
        serializer = WalletEventBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = [
            survey_services.IncomingEvent(**{name: item[name] for name in EVENT_FIELDS})
            for item in serializer.validated_data["events"]
        ]
        try:
            created = survey_services.receive_wallet_events(events=events)
        except survey_services.UnknownCustomers as error:
            # Keyed by the event's position, as DRF gives the other errors of a batch.
            errors = {str(place): {"customer_reference": [str(error)]} for place in error.positions}
            raise ValidationError({"events": errors}) from error
        results = [
            {"bank_reference": event.bank_reference, "status": "created" if new else "already_received"}
            for event, new in zip(events, created, strict=True)
        ]
        return Response({"results": results}, status=status.HTTP_201_CREATED if any(created) else status.HTTP_200_OK)


class CustomerView(LoggedApiView):
    required_scope = Scope.CUSTOMERS_WRITE

    @extend_schema(
        request=CustomerSerializer,
        responses={
            201: CustomerStateSerializer,
            200: OpenApiResponse(CustomerStateSerializer, description=_("Updated, or nothing to change.")),
            **_errors(400, 401, 403, 429),
        },
        parameters=[BANK_REFERENCE],
        examples=[CUSTOMER_EXAMPLE],
        summary="Create or update a customer",
    )
    def put(self, request, bank_reference: str):
        exists = Customer.objects.filter(bank_reference=bank_reference).exists()
        serializer = CustomerSerializer(data=request.data, context={"bank_reference": bank_reference, "exists": exists})
        serializer.is_valid(raise_exception=True)
        upsert = {
            "source": EvidenceSource.API,
            "now": timezone.now(),
            "reference": self.evidence_reference(),
        }
        try:
            result = customer_intake.upsert_customers([serializer.validated_data], **upsert)
        except IntegrityError:
            # The same new customer sent twice at once: the other request created it; this one updates.
            result = customer_intake.upsert_customers([serializer.validated_data], **upsert)
        customer = Customer.objects.get(bank_reference=bank_reference)
        return Response(
            CustomerStateSerializer(customer).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class OptOutView(LoggedApiView):
    required_scope = Scope.OPTOUTS_WRITE

    @extend_schema(
        request=OptOutSerializer,
        responses={201: OptOutStateSerializer, 404: OpenApiResponse(), **_errors(400, 401, 403, 429)},
        parameters=[BANK_REFERENCE],
        examples=[OPT_OUT_EXAMPLE],
        summary="Record a customer's opt-out",
    )
    def post(self, request, bank_reference: str):
        customer = self.customer_or_404(bank_reference)
        serializer = OptOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = {"source": EvidenceSource.API, "reference": self.evidence_reference()}
        with transaction.atomic():
            customer = account_services.record_opt_out(
                customer=customer, channels=tuple(dict.fromkeys(data.get("channels") or Channel.values)), **evidence
            )
            if data["do_not_contact"]:
                customer = account_services.record_do_not_contact(customer=customer, **evidence)
        return Response(OptOutStateSerializer(customer).data, status=status.HTTP_201_CREATED)


class FollowUpView(LoggedApiView):
    required_scope = Scope.FOLLOWUPS_READ

    @extend_schema(
        responses={200: FollowUpStatusSerializer, 404: OpenApiResponse(), **_errors(401, 403, 429)},
        parameters=[FOLLOW_UP_ID],
        summary="Read a follow-up's status",
    )
    def get(self, request, follow_up_id: int):
        follow_up = queries.follow_up_status(follow_up_id)
        if follow_up is None:
            raise Http404
        return Response(FollowUpStatusSerializer(follow_up).data)


class ContactHistoryView(LoggedApiView):
    required_scope = Scope.CUSTOMERS_READ

    @extend_schema(
        responses={200: ContactHistorySerializer, 404: OpenApiResponse(), **_errors(401, 403, 429)},
        parameters=[BANK_REFERENCE],
        summary="Read a customer's contact history",
    )
    def get(self, request, bank_reference: str):
        customer = self.customer_or_404(bank_reference)
        history = {"customer_reference": customer.bank_reference, "follow_ups": queries.contact_history(customer)}
        return Response(ContactHistorySerializer(history).data)
