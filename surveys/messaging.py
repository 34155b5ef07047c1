"""Channel backends: how an invitation leaves the building, by SMS or e-mail.

SMS goes through a small backend interface (``SmsBackend``) chosen by ``settings.SMS_BACKEND``:

- ``FileSmsBackend`` (development, tests, benchmarks): appends one JSON line per message to
  ``settings.SMS_FILE_PATH`` and, like a real provider with idempotency keys, sends a repeated key
  only once and answers with the first message id, across processes.
- ``ConsoleSmsBackend``: prints the message (no idempotency beyond the message id it returns).
- ``NotConfiguredSmsBackend``: the production default until a provider is set up; every send fails
  visibly (the attempt records why) instead of vanishing.

Adding a real provider: write an adapter class with the same ``send`` and point SMS_BACKEND at it. It is
the only place that talks to the provider and the only boundary tests mock. It must

1. pass ``idempotency_key`` to the provider's idempotency feature (a header such as
   ``Idempotency-Key``, or the provider's client reference field), so a repeated send after a crash
   is answered with the first message's id and never reaches the phone twice;
2. return the provider's message id;
3. raise ``SendError(reason, retryable=True)`` for what may pass (timeouts, connection errors, HTTP 429
   and 5xx) and ``retryable=False`` for what will not (invalid or blocked number, rejected content,
   bad credentials), with a reason an operator can act on and no personal data in it;
4. set a timeout (a few seconds) on every network call: the dispatcher sends one message at a time.

For example, with ``requests``::

    class AcmeSmsBackend:
        def send(self, *, to, text, idempotency_key):
            try:
                reply = session.post(ACME_URL, json={"to": to, "text": text},
                                     headers={"Idempotency-Key": idempotency_key}, timeout=5)
            except requests.RequestException as exc:
                raise SendError(f"Acme unreachable: {type(exc).__name__}", retryable=True) from None
            if reply.status_code == 429 or reply.status_code >= 500:
                raise SendError(f"Acme answered {reply.status_code}", retryable=True)
            if reply.status_code >= 400:
                raise SendError(f"Acme refused the message: {reply.json().get('code')}", retryable=False)
            return reply.json()["message_id"]

E-mail goes through Django's mail framework (EMAIL_BACKEND, SMTP in production). SMTP has no
idempotency keys: a resend after a crash may deliver a second copy, recognisable by the same
Message-ID (derived from the attempt), which many mail systems collapse.

Message texts are rendered by ``render_invitation`` in the customer's language: a manager's wording
(MessageTemplate, placeholders filled by surveys/wording.py) when there is one, else the shipped
templates/messages/<kind>_*.
"""

from __future__ import annotations

import fcntl
import json
import os
import smtplib
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string

from surveys import wording
from surveys.tokens import one_click_opt_out_link, opt_out_link, survey_link, verification_code

if TYPE_CHECKING:
    from surveys.models import ContactAttempt, FollowUp


class SendError(Exception):
    """A message could not be handed over. ``retryable``: whether trying the same message later may work."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        """Hand one SMS to the provider; return its message id or raise SendError."""
        ...


def get_sms_backend() -> SmsBackend:
    """The backend named by settings.SMS_BACKEND (read on every call, so tests can switch it)."""
    return import_string(settings.SMS_BACKEND)()


class _OutboxIndex:
    """What this process knows of one outbox file: idempotency key -> message id, up to ``offset``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # threads of one process; other processes are kept out by flock
        self.inode: int | None = None
        self.offset = 0
        self.ids: dict[str, str] = {}

    def catch_up(self, outbox) -> None:
        """Read what other processes appended since we last looked. Call with the file lock held."""
        status = os.fstat(outbox.fileno())
        if status.st_ino != self.inode or status.st_size < self.offset:  # a new or truncated file
            self.inode, self.offset, self.ids = status.st_ino, 0, {}
        if status.st_size == self.offset:
            return
        outbox.seek(self.offset)
        data = outbox.read()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) < len(data):
            # A line without its newline is a write cut short by a killed process (we hold the lock,
            # so nobody is writing now): that message was never accepted. Cut it off.
            os.ftruncate(outbox.fileno(), self.offset + len(complete))
        for line in complete.splitlines():
            try:
                record = json.loads(line)
                self.ids[record["idempotency_key"]] = record["message_id"]
            except (ValueError, KeyError, TypeError):
                continue  # not one of ours (a hand-edited line): ignore rather than stop sending
        self.offset += len(complete)


_indexes: dict[str, _OutboxIndex] = {}
_indexes_lock = threading.Lock()


def _index_for(path: str) -> _OutboxIndex:
    with _indexes_lock:
        return _indexes.setdefault(path, _OutboxIndex())


class FileSmsBackend:
    """Appends each SMS as a JSON line to settings.SMS_FILE_PATH; a repeated idempotency key sends nothing.

    Processes share the file under an exclusive lock (flock) and each keeps an index of the keys it has
    read, so a send costs one lock, the lines others appended since, and one append.
    """

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        index = _index_for(str(path.resolve()))
        with index.lock, open(path, "a+b") as outbox:
            fcntl.flock(outbox.fileno(), fcntl.LOCK_EX)  # released when the file is closed
            index.catch_up(outbox)
            known = index.ids.get(idempotency_key)
            if known is not None:
                return known
            message_id = f"file-{uuid.uuid4().hex}"
            record = {
                "message_id": message_id,
                "to": to,
                "text": text,
                "idempotency_key": idempotency_key,
                "sent_at": timezone.now().isoformat(),
            }
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            outbox.write(line)  # one write of the whole line: O_APPEND puts it at the end
            outbox.flush()
            index.ids[idempotency_key] = message_id
            index.offset += len(line)
            return message_id


class ConsoleSmsBackend:
    """Prints each SMS to standard output, for a developer watching the worker's log."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        sys.stdout.write(f"SMS to {to} [{idempotency_key}]: {text}\n")
        sys.stdout.flush()
        return f"console-{idempotency_key}"


class NotConfiguredSmsBackend:
    """The production default: no provider was configured, so no SMS can go out."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        raise SendError("no SMS provider configured", retryable=False)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- Message texts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    sms_text: str
    subject: str
    text_body: str
    html_body: str
    # RFC 8058 one-click target for the List-Unsubscribe header.
    one_click_unsubscribe_url: str


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


# Which wording a message uses: the first invitation, or a reminder to a customer who has not answered.
INVITATION = "invitation"
REMINDER = "reminder"
KINDS = (INVITATION, REMINDER)

# Managers' wordings are read once per process and kept this long. The dispatcher renders thousands of
# messages a minute and must not ask the database for the wording of each; it is not ours to change,
# so a per-batch cache (handed down by the dispatcher) is not available, while a per-process cache
# needs nobody's cooperation. The cost: a saved text reaches other worker processes within a minute
# (the saving process forgets its copy at once). The table holds at most eight small rows: one query
# loads all of them.
EDITED_WORDINGS_SECONDS = 60.0
_edited_lock = threading.Lock()
_edited: tuple[float, dict[tuple[str, str, str], Wording]] | None = None


def edited_wordings() -> dict[tuple[str, str, str], Wording]:
    """(kind, channel, language) -> the manager's wording, from a copy at most a minute old."""
    global _edited
    now = time.monotonic()  # not the wall clock: tests travel in time, and clocks get set
    with _edited_lock:
        if _edited is not None and now - _edited[0] < EDITED_WORDINGS_SECONDS:
            return _edited[1]
    from surveys.models import MessageTemplate

    rows = MessageTemplate.objects.values_list("kind", "channel", "language", "subject", "body")
    loaded = {(kind, channel, language): Wording(subject, body) for kind, channel, language, subject, body in rows}
    with _edited_lock:
        _edited = (now, loaded)
    return loaded


def forget_edited_wordings() -> None:
    """Drop this process's copy (after a save, and between tests)."""
    global _edited
    with _edited_lock:
        _edited = None


def bank_name(language: str) -> str:
    return settings.BANK_NAME_EN if language == "en" else settings.BANK_NAME_ZH


def format_expiry(expires_at: datetime | None, time_zone: str) -> str:
    """The link's expiry date in the customer's zone, in the active language's date format ("" if none)."""
    if expires_at is None:
        return ""
    return date_format(timezone.localtime(expires_at, ZoneInfo(time_zone)), "DATE_FORMAT")


def message_values(follow_up: FollowUp, token: str, attempt: ContactAttempt) -> dict[str, str]:
    """The placeholder values of one message (call with the customer's language active)."""
    customer = follow_up.customer
    return {
        "link": survey_link(token),
        "opt_out_link": opt_out_link(token),
        "code": verification_code(attempt.pk),
        "title": follow_up.campaign.survey.title_for(customer.language),
        "name": customer.name,
        "expires": format_expiry(follow_up.expires_at, customer.time_zone),
        "bank": bank_name(customer.language),
    }


def _shipped(kind: str, part: str, values: dict[str, str]) -> str:
    return render_to_string(f"messages/{kind}_{part}", values)


def render_invitation(
    *, follow_up: FollowUp, token: str, attempt: ContactAttempt, kind: str = INVITATION
) -> Invitation:
    """Every text of one invitation or reminder, in the customer's language, with their links and code.

    The manager's wording of (kind, channel, language) when there is one, else the shipped text.
    ``follow_up`` should come with ``customer`` and ``campaign__survey`` loaded; ``follow_up.expires_at``
    is the link's expiry, shown in the customer's own time zone.
    """
    language = follow_up.customer.language
    with translation.override(language):
        values = message_values(follow_up, token, attempt)
        edited = edited_wordings().get((kind, "email", language))
        if edited is None:
            subject = _one_line(_shipped(kind, "email_subject.txt", values))
            text_body = _shipped(kind, "email.txt", values).strip() + "\n"
            html_body = _shipped(kind, "email.html", values)
        else:
            subject = _one_line(wording.fill(edited.subject, values))
            text_body = wording.fill(edited.body, values).strip() + "\n"
            html_body = wording.email_html_document(
                wording.email_html_fragment(edited.body, values), subject=subject, language=language
            )
        return Invitation(
            sms_text=_sms_text(kind, language, values),
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            one_click_unsubscribe_url=one_click_opt_out_link(token),
        )


def render_invitation_sms(*, follow_up: FollowUp, token: str, attempt: ContactAttempt, kind: str = INVITATION) -> str:
    """Only the SMS text of ``render_invitation`` (the dispatcher need not render four templates per SMS)."""
    language = follow_up.customer.language
    with translation.override(language):
        return _sms_text(kind, language, message_values(follow_up, token, attempt))


def _sms_text(kind: str, language: str, values: dict[str, str]) -> str:
    edited = edited_wordings().get((kind, "sms", language))
    if edited is None:
        return _one_line(_shipped(kind, "sms.txt", values))
    return _one_line(wording.fill(edited.body, values))


def _one_line(text: str) -> str:
    # SMS segments are paid for and a subject must not contain a line break (header injection).
    return wording.fold(text)


def shipped_wording(*, kind: str, channel: str, language: str) -> Wording:
    """The shipped text of one message with its placeholders put back: the edit page's starting value."""
    values = {name: wording.braced(name) for name in wording.PLACEHOLDERS}
    with translation.override(language):
        if channel == "sms":
            return Wording(subject="", body=_one_line(_shipped(kind, "sms.txt", values)))
        return Wording(
            subject=_one_line(_shipped(kind, "email_subject.txt", values)),
            body=_shipped(kind, "email.txt", values).strip(),
        )


def invitation_idempotency_key(*, attempt_id: int, started_at: datetime) -> str:
    """The provider idempotency key of an attempt's SMS: the same on a resend after a crash."""
    instant = (started_at - _EPOCH) // timedelta(microseconds=1)
    return f"invitation-{attempt_id}-{instant}"


# --- E-mail -----------------------------------------------------------------------------------


def invitation_message_id(*, attempt_id: int, started_at: datetime) -> str:
    """The Message-ID of an attempt's e-mail: the same on a resend, so the copy is recognisable."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    instant = (started_at - _EPOCH) // timedelta(microseconds=1)  # an id reused after a restore is not
    return f"<invitation-{attempt_id}.{instant}@{domain}>"


def send_invitation_email(*, to: str, invitation: Invitation, message_id: str) -> str:
    """Send through Django's mail framework; return the Message-ID or raise SendError.

    The List-Unsubscribe header points at the invitation's one-click opt-out URL (RFC 8058: a mail
    client's "unsubscribe" button POSTs ``List-Unsubscribe=One-Click`` there, no page to click through).
    """
    send_email(
        to=to,
        subject=invitation.subject,
        text_body=invitation.text_body,
        html_body=invitation.html_body,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{invitation.one_click_unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message_id


def send_email(*, to: str, subject: str, text_body: str, html_body: str, headers: dict[str, str]) -> None:
    """One e-mail (text and HTML) through Django's mail framework; SMTP trouble becomes a SendError."""
    message = EmailMultiAlternatives(
        subject=subject, body=text_body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers
    )
    message.attach_alternative(html_body, "text/html")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise SendError(f"recipient refused ({', '.join(map(str, codes))})", retryable=min(codes) < 500) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …: 4xx may pass, 5xx will not
        raise SendError(f"mail server answered {exc.smtp_code}", retryable=exc.smtp_code < 500) from None
    except (smtplib.SMTPException, OSError) as exc:  # connection refused, timeout, disconnected
        raise SendError(f"mail server unreachable: {type(exc).__name__}", retryable=True) from None
    except (BadHeaderError, ValueError) as exc:
        raise SendError(f"message not sendable: {exc}", retryable=False) from None


# --- Preview samples ------------------------------------------------------------------------------

# As long as a real token (43 URL-safe characters), so a preview's length and segments are real; it
# opens no survey (no hash matches it).
SAMPLE_TOKEN = "sample-link-0000000000000000000000000000000"  # noqa: S105 (not a secret)
SAMPLE_CODE = "K7M2QP"
SAMPLE_CUSTOMERS = {"zh-hans": ("王芳", "钱包体验回访"), "en": ("Jane Smith", "Wallet experience follow-up")}


def sample_values(*, language: str, now: datetime | None = None) -> dict[str, str]:
    """Placeholder values of a made-up customer in ``language``, for previews (never a real customer's)."""
    name, title = SAMPLE_CUSTOMERS.get(language, SAMPLE_CUSTOMERS["en"])
    expires_at = (now or timezone.now()) + timedelta(days=14)
    with translation.override(language):
        return {
            "link": survey_link(SAMPLE_TOKEN),
            "opt_out_link": opt_out_link(SAMPLE_TOKEN),
            "code": SAMPLE_CODE,
            "title": title,
            "name": name,
            "expires": format_expiry(expires_at, "Asia/Shanghai"),
            "bank": bank_name(language),
        }
