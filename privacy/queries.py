"""Reads for a customer's data request: everything the system holds about one customer, as plain data.

Left out on purpose: survey link token hashes and verification codes (they would let the holder of the
file open or vouch for a message), the SMS provider's message ids, and who among the staff did what (the
staff's data, not the customer's). Nothing of any other customer is read: every query filters on this
customer's id.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import translation

from accounts.models import ConsentRecord, Customer, WalletEvent
from surveys.models import Answer, Case, ContactAttempt, FollowUp, Response

LANGUAGES = ("zh-hans", "en")

CUSTOMER_FIELDS = tuple(
    f.name for f in Customer._meta.concrete_fields if f.name not in {"created_at", "updated_at"}
) + ("created_at", "updated_at")
CONSENT_FIELDS = ("id", "kind", "channel", "source", "recorded_at", "reference", "note")
EVENT_FIELDS = ("id", "bank_reference", "kind", "occurred_at", "received_at", "access_channel", "details")
FOLLOW_UP_FIELDS = (
    "id", "campaign", "status", "channel", "scheduled_for", "attempts", "expires_at", "closed_at",
    "close_reason", "note", "created_at",
)  # fmt: skip
ATTEMPT_FIELDS = ("id", "follow_up", "number", "channel", "started_at", "ended_at", "outcome", "notes", "callback_at")
RESPONSE_FIELDS = ("id", "follow_up", "survey", "status", "mode", "language", "started_at", "submitted_at")
ANSWER_FIELDS = ("question", "number", "yes_no", "text", "choices", "concerns")
CASE_FIELDS = (
    "id", "follow_up", "response", "category", "priority", "status", "summary", "opened_at", "sla_due_at",
    "regulatory_due_at", "resolved_at", "root_cause", "resolution_code", "resolution_notes", "complex",
)  # fmt: skip

SECTIONS = (
    ("consent_records", ConsentRecord, CONSENT_FIELDS),
    ("wallet_events", WalletEvent, EVENT_FIELDS),
    ("follow_ups", FollowUp, FOLLOW_UP_FIELDS),
    ("contact_attempts", ContactAttempt, ATTEMPT_FIELDS),
    ("responses", Response, RESPONSE_FIELDS),
    ("cases", Case, CASE_FIELDS),
)


def _value(instance: models.Model, name: str):
    field = instance._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        return getattr(instance, field.attname)  # the id: the file refers to its own sections by id
    return getattr(instance, name)


def _rows(queryset, names) -> list[dict]:
    return [{name: _value(row, name) for name in names} for row in queryset]


def _labels(model, names) -> dict:
    """Each field's label in Chinese and English, so a person can read the file."""
    labels = {}
    for name in names:
        field = model._meta.get_field(name)
        verbose = getattr(field, "verbose_name", name)
        labels[name] = {}
        for language in LANGUAGES:
            with translation.override(language):
                labels[name][language] = str(verbose)
    return labels


def _titles(model) -> dict:
    titles = {}
    for language in LANGUAGES:
        with translation.override(language):
            titles[language] = str(model._meta.verbose_name_plural)
    return titles


def _answers(response_ids: list[int]) -> dict[int, list[dict]]:
    answers: dict[int, list[dict]] = {}
    queryset = (
        Answer.objects.filter(response_id__in=response_ids)
        .select_related("question")
        .prefetch_related("choices")
        .order_by("response_id", "question__position", "question_id")
    )
    for answer in queryset:
        answers.setdefault(answer.response_id, []).append(
            {
                "question": answer.question.code,
                "prompt": {"zh-hans": answer.question.prompt_zh, "en": answer.question.prompt_en},
                "number": answer.number,
                "yes_no": answer.yes_no,
                "text": answer.text,
                "choices": [{"zh-hans": c.label_zh, "en": c.label_en} for c in answer.choices.all()],
                "concerns": answer.concerns,
            }
        )
    return answers


def customer_data(customer: Customer, *, exported_at: datetime) -> dict:
    """The customer's profile and every row about them, section by section, with bilingual labels."""
    customer = Customer.objects.get(pk=customer.pk)
    mine = {
        "consent_records": ConsentRecord.objects.filter(customer_id=customer.pk).order_by("recorded_at", "id"),
        "wallet_events": WalletEvent.objects.filter(customer_id=customer.pk).order_by("occurred_at", "id"),
        "follow_ups": FollowUp.objects.filter(customer_id=customer.pk).order_by("created_at", "id"),
        "contact_attempts": ContactAttempt.objects.filter(follow_up__customer_id=customer.pk).order_by(
            "started_at", "id"
        ),
        "responses": Response.objects.filter(follow_up__customer_id=customer.pk).order_by("started_at", "id"),
        "cases": Case.objects.filter(customer_id=customer.pk).order_by("opened_at", "id"),
    }
    data: dict = {
        "exported_at": exported_at,
        "customer": {name: _value(customer, name) for name in CUSTOMER_FIELDS},
    }
    for name, _model, fields in SECTIONS:
        data[name] = _rows(mine[name], fields)
    answers = _answers([row["id"] for row in data["responses"]])
    for row in data["responses"]:
        row["answers"] = answers.get(row["id"], [])
    data["labels"] = {
        "customer": {"title": _titles(Customer), "fields": _labels(Customer, CUSTOMER_FIELDS)},
        **{
            name: {"title": _titles(model), "fields": _labels(model, fields)}
            for name, model, fields in (*SECTIONS, ("answers", Answer, ANSWER_FIELDS))
        },
    }
    return data
