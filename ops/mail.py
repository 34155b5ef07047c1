"""The SMTP backend the app sends with: Django's, recording how each hand-over went, for the health page.

Each send stores in the cache (Redis in production, shared by every process) the time and duration of the
last success, or the time and reason of the last server failure; ``ops.queries.check_email`` reads them.
That costs one cache write per message and nothing per health poll, and it reports what the real sends
met, which a probe (connect + EHLO) cannot: a server that greets but then times out or answers 451 to DATA.
A refused recipient is not a server failure and is not recorded. The state is best-effort: if the cache is
unreachable the send goes on and nothing is recorded.
"""

from __future__ import annotations

import logging
import smtplib
import time

from django.core.cache import cache
from django.core.mail.backends.smtp import EmailBackend

logger = logging.getLogger(__name__)

SUCCESS_KEY = "ops:email:last-success"
FAILURE_KEY = "ops:email:last-failure"
# A hand-over slower than this (connect, greeting, MAIL, RCPT, DATA) is reported as slow.
EMAIL_SLOW_SECONDS = 5.0
KEEP_SECONDS = 7 * 24 * 3600


def last_outcomes() -> tuple[dict | None, dict | None]:
    """(last success {"at", "seconds"}, last failure {"at", "reason"}); raises when the cache is unreachable."""
    found = cache.get_many([SUCCESS_KEY, FAILURE_KEY])
    return found.get(SUCCESS_KEY), found.get(FAILURE_KEY)


def record_success(*, seconds: float) -> None:
    _record(SUCCESS_KEY, {"at": time.time(), "seconds": round(seconds, 3)})


def record_failure(*, reason: str) -> None:
    _record(FAILURE_KEY, {"at": time.time(), "reason": reason[:120]})


def _record(key: str, value: dict) -> None:
    try:
        cache.set(key, value, KEEP_SECONDS)
    except Exception:  # the cache down must not stop mail; the health page reports the cache itself
        logger.warning("could not record the e-mail outcome in the cache", exc_info=True)


class RecordingEmailBackend(EmailBackend):
    """django.core.mail.backends.smtp.EmailBackend, timing each batch of messages and recording the outcome."""

    def send_messages(self, email_messages):
        started = time.monotonic()
        try:
            sent = super().send_messages(email_messages)
        except smtplib.SMTPRecipientsRefused:
            raise  # the server answered; the address is the problem
        except smtplib.SMTPResponseException as exc:
            record_failure(reason=f"mail server answered {exc.smtp_code}")
            raise
        except (smtplib.SMTPException, OSError) as exc:
            record_failure(reason=f"mail server unreachable: {type(exc).__name__}")
            raise
        if sent:
            record_success(seconds=(time.monotonic() - started) / sent)
        return sent
