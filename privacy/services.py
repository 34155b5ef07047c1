"""Writes about personal data: the nightly retention run, and a customer's export and erasure on request.

Every service keeps the dashboards adding up: nothing here deletes a follow-up, an attempt, a response or an
answer, and nothing changes what the rollups count — the customer's segment, device OS, app version, wallet
product and region, the responses' numbers and choices, Answer.concerns, and the themes of free text
(privacy/rules.py keeps the keywords). A full ``manage.py rebuild_rollups`` afterwards gives the same figures.

The export and the erasure take the acting user and return what they did, for the audit log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ConsentRecord, Customer, EvidenceSource, User, WalletEvent
from accounts.services import record_do_not_contact
from analytics.models import ThemeExample
from audit import services as audit
from audit.models import AuditEntry
from privacy import rules
from privacy.models import AnonymisedResponse
from privacy.queries import customer_data
from surveys.freetext import current_lexicon
from surveys.models import Answer, Case, ContactAttempt, FollowUp, Question, Response

logger = logging.getLogger(__name__)

ERASURE_REASON = "erased_on_request"


class ErasureRefused(Exception):
    """The customer cannot be erased (already erased); the message says why."""


# --- Pieces shared by retention and erasure ---------------------------------------------------------------


def _anonymise_answers(answers) -> int:
    """Replace the free text of ``answers`` (a queryset) by the marker and its theme keywords; how many changed."""
    matches = current_lexicon().matches
    changed = []
    for answer in answers.filter(question__kind=Question.Kind.FREE_TEXT).exclude(text="").only("pk", "text"):
        text = rules.anonymised_text(answer.text, matches)
        if text != answer.text:
            answer.text = text
            changed.append(answer)
    Answer.objects.bulk_update(changed, ["text"], batch_size=1000)
    return len(changed)


def _scrub_attempts(attempts) -> int:
    """Agents' notes, the provider's message id and any link token material of ``attempts``."""
    return attempts.filter(
        ~Q(notes="") | ~Q(provider_message_id="") | Q(link_token_hash__isnull=False) | ~Q(verification_code="")
    ).update(notes="", provider_message_id="", link_token_hash=None, verification_code="")


def _scrub_cases(cases) -> int:
    """What people wrote about the customer in ``cases``; category, status, owner and clocks stay."""
    scrubbed = cases.update(summary=rules.MARKER)
    cases.exclude(resolution_notes="").update(resolution_notes=rules.MARKER)
    # An extension keeps a reason (a check constraint): the marker stands in for it.
    cases.exclude(extension_reason="").update(extension_reason=rules.MARKER)
    return scrubbed


def _mark_anonymised(response_ids, *, reason: str, now: datetime) -> None:
    AnonymisedResponse.objects.bulk_create(
        [AnonymisedResponse(response_id=pk, anonymised_at=now, reason=reason) for pk in response_ids],
        ignore_conflicts=True,
    )


# --- Retention ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    tokens_purged: int
    responses_anonymised: int
    answers_anonymised: int
    theme_examples_removed: int
    more_left: bool  # a bound was reached: the next run goes on


def purge_expired_link_tokens(*, now: datetime, batch_size: int, max_batches: int) -> tuple[int, bool]:
    """Clear the link token hash and verification code of messages whose follow-up's link expired more than
    LINK_TOKEN_PURGE_AFTER_DAYS ago, ``batch_size`` rows per UPDATE; (rows purged, whether any are left).

    Such a link then finds no attempt: surveys/links.py and the opt-out page treat it as an unknown link."""
    cutoff = rules.link_purge_cutoff(now, after_days=settings.LINK_TOKEN_PURGE_AFTER_DAYS)
    due = ContactAttempt.objects.filter(
        Q(link_token_hash__isnull=False) | ~Q(verification_code=""), follow_up__expires_at__lt=cutoff
    )
    purged = 0
    for _batch in range(max_batches):
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return purged, False
        purged += ContactAttempt.objects.filter(pk__in=ids).update(link_token_hash=None, verification_code="")
    return purged, due.exists()


def _old_responses(cutoff: datetime):
    """Responses past the retention period, not yet anonymised, whose Cases are all resolved (an open Case is
    still being worked: its response waits until it is resolved)."""
    return (
        Response.objects.filter(Q(submitted_at__lt=cutoff) | Q(submitted_at__isnull=True, started_at__lt=cutoff))
        .exclude(Exists(AnonymisedResponse.objects.filter(response=OuterRef("pk"))))
        .exclude(Exists(Case.objects.filter(follow_up=OuterRef("follow_up")).exclude(status=Case.Status.RESOLVED)))
    )


def anonymise_old_responses(*, now: datetime, batch_size: int, max_batches: int) -> tuple[int, int, bool]:
    """Anonymise responses older than RESPONSE_ANONYMISE_AFTER_DAYS; (responses, answers, whether any are left).

    Per batch, in one transaction: 1. free-text answers replaced by the marker and their theme keywords;
    2. their ThemeExample rows removed; 3. the follow-up's attempts lose agents' notes, provider ids and token
    material, the follow-up its "why this call" note, its resolved Cases their summaries and notes;
    4. the responses recorded as anonymised (so a rerun skips them: idempotent)."""
    cutoff = rules.anonymise_cutoff(now, after_days=settings.RESPONSE_ANONYMISE_AFTER_DAYS)
    responses = answers = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            rows = list(_old_responses(cutoff).order_by("pk").values_list("pk", "follow_up_id")[:batch_size])
            if not rows:
                return responses, answers, False
            response_ids = [pk for pk, _ in rows]
            follow_up_ids = [follow_up_id for _, follow_up_id in rows]
            answers += _anonymise_answers(Answer.objects.filter(response_id__in=response_ids))
            ThemeExample.objects.filter(answer__response_id__in=response_ids).delete()
            _scrub_attempts(ContactAttempt.objects.filter(follow_up_id__in=follow_up_ids))
            FollowUp.objects.filter(pk__in=follow_up_ids).exclude(note="").update(note="")
            _scrub_cases(Case.objects.filter(follow_up_id__in=follow_up_ids))
            _mark_anonymised(response_ids, reason=AnonymisedResponse.Reason.RETENTION, now=now)
        responses += len(rows)
    return responses, answers, _old_responses(cutoff).exists()


def remove_anonymised_examples() -> int:
    """Theme examples pointing at anonymised answers: a full rebuild_rollups may pick them again as the newest of
    a quiet theme. ThemeExample holds a few rows per theme, so this is cheap."""
    anonymised = AnonymisedResponse.objects.filter(response=OuterRef("answer__response"))
    return ThemeExample.objects.filter(Exists(anonymised)).delete()[0]


def apply_retention(*, now: datetime, batch_size: int | None = None, max_batches: int | None = None) -> RetentionResult:
    """The nightly run: purge expired link tokens, anonymise old responses, drop examples of anonymised answers."""
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    max_batches = max_batches or settings.RETENTION_MAX_BATCHES
    purged, tokens_left = purge_expired_link_tokens(now=now, batch_size=batch_size, max_batches=max_batches)
    responses, answers, responses_left = anonymise_old_responses(
        now=now, batch_size=batch_size, max_batches=max_batches
    )
    examples = remove_anonymised_examples()
    result = RetentionResult(purged, responses, answers, examples, tokens_left or responses_left)
    logger.info("retention at %s: %s", now.isoformat(), asdict(result))
    return result


def _scrub_admin_log(customer_id: int, placeholder: str) -> int:
    """The Django admin's history names what was edited (a customer's str is "name (bank reference)", and so are
    their follow-ups', responses' and cases'): those names become the placeholder. Who changed what, and when,
    stays."""
    owned = {
        Customer: [customer_id],
        FollowUp: FollowUp.objects.filter(customer_id=customer_id).values_list("pk", flat=True),
        Response: Response.objects.filter(follow_up__customer_id=customer_id).values_list("pk", flat=True),
        Case: Case.objects.filter(customer_id=customer_id).values_list("pk", flat=True),
        WalletEvent: WalletEvent.objects.filter(customer_id=customer_id).values_list("pk", flat=True),
    }
    scrubbed = 0
    for model, ids in owned.items():
        scrubbed += LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in ids]
        ).update(object_repr=placeholder)
    return scrubbed


# --- A customer's request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerExport:
    customer_id: int
    actor_id: int | None
    filename: str
    content: bytes  # UTF-8 JSON
    counts: dict[str, int] = field(default_factory=dict)  # rows per section


def export_customer_data(*, customer: Customer, actor: User | None, now: datetime | None = None) -> CustomerExport:
    """Everything held about ``customer`` as one JSON document (privacy/queries.py says what), no token material."""
    now = now or timezone.now()
    data = customer_data(customer, exported_at=now)
    counts = {name: len(rows) for name, rows in data.items() if isinstance(rows, list)}
    content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    filename = f"customer-{customer.pk}-{now:%Y%m%d-%H%M%S}.json"
    return CustomerExport(customer.pk, actor.pk if actor else None, filename, content, counts)


@dataclass(frozen=True)
class ErasureResult:
    customer_id: int
    actor_id: int | None
    placeholder: str  # the erased customer's new bank reference and name
    follow_ups_cancelled: int
    answers_anonymised: int
    theme_examples_removed: int
    attempts_scrubbed: int
    cases_scrubbed: int
    wallet_events_scrubbed: int
    consent_notes_cleared: int
    admin_log_entries_scrubbed: int


def erase_customer(*, customer: Customer, actor: User | None, now: datetime | None = None) -> ErasureResult:
    """Erase ``customer``'s personal data on their request (PIPL art. 47, GDPR art. 17), atomically.

    1. Lock the customer; refuse one already erased.
    2. Do not contact, ever: accounts.services.record_do_not_contact (evidence, source "admin").
    3. Cancel their open follow-ups (close reason "erased_on_request").
    4. Identifiers replaced: name and bank reference by one placeholder unique to this row, phone, e-mail, OS
       version and enrolment date emptied. Segment, device OS, app version, wallet product, region, language
       and time zone stay: the dashboards group by them and they name nobody.
    5. Their free-text answers anonymised (privacy/rules.py) and the theme examples of them removed; their
       messages' and calls' notes, provider ids and token material; their Cases' summaries and notes; their
       follow-ups' notes; their wallet events' references (placeholders) and details; their consent
       records' notes (the records stay: they are the evidence that they must not be contacted); the names
       the Django admin's history kept of their rows.

    A dispatcher holding one of their follow-ups writes its result only where the row is still its own claim
    (surveys/dispatch.py), and re-checks do-not-contact against the customer row before contacting.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if rules.is_erased(locked.bank_reference):
            raise ErasureRefused(_("This customer's personal data has already been erased."))
        record_do_not_contact(customer=locked, source=EvidenceSource.ADMIN, by=actor, at=now, reference="erasure")

        follow_ups = FollowUp.objects.filter(customer_id=locked.pk)
        cancelled = follow_ups.filter(status__in=FollowUp.OPEN_STATUSES).update(
            status=FollowUp.Status.CANCELLED,
            closed_at=now,
            close_reason=ERASURE_REASON,
            claimed_at=None,
            claimed_by="",
            updated_at=now,
        )
        follow_ups.exclude(note="").update(note="")

        placeholder = rules.erased_placeholder()
        Customer.objects.filter(pk=locked.pk).update(
            bank_reference=placeholder,
            name=placeholder,
            phone="",
            email="",
            device_os_version="",
            enrolled_on=None,
            updated_at=now,
        )

        answers = Answer.objects.filter(response__follow_up__customer_id=locked.pk)
        anonymised = _anonymise_answers(answers)
        examples = ThemeExample.objects.filter(answer__response__follow_up__customer_id=locked.pk).delete()[0]
        response_ids = list(Response.objects.filter(follow_up__customer_id=locked.pk).values_list("pk", flat=True))
        _mark_anonymised(response_ids, reason=AnonymisedResponse.Reason.ERASURE, now=now)
        attempts = _scrub_attempts(ContactAttempt.objects.filter(follow_up__customer_id=locked.pk))
        cases = _scrub_cases(Case.objects.filter(customer_id=locked.pk))

        events = 0
        for event in WalletEvent.objects.filter(customer_id=locked.pk).only("pk"):
            # The bank's event reference finds the person in the bank's systems; the kind and time stay.
            event.bank_reference, event.details = rules.erased_placeholder(), {}
            event.save(update_fields=["bank_reference", "details"])
            events += 1
        notes = ConsentRecord.objects.filter(customer_id=locked.pk).exclude(note="").update(note="")
        log_entries = _scrub_admin_log(locked.pk, placeholder)
        result = ErasureResult(
            customer_id=locked.pk,
            actor_id=actor.pk if actor else None,
            placeholder=placeholder,
            follow_ups_cancelled=cancelled,
            answers_anonymised=anonymised,
            theme_examples_removed=examples,
            attempts_scrubbed=attempts,
            cases_scrubbed=cases,
            wallet_events_scrubbed=events,
            consent_notes_cleared=notes,
            admin_log_entries_scrubbed=log_entries,
        )
        # In the same transaction: an erasure is never done without its entry, nor recorded undone.
        audit.record(
            action=AuditEntry.Action.CUSTOMER_ERASED,
            actor=actor,
            target=Customer.objects.get(pk=locked.pk),  # labelled by its placeholder: the entry names nobody
            details={name: value for name, value in asdict(result).items() if name != "actor_id"},
        )
    return result
