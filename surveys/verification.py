"""The "is this message really from my bank?" check: a code printed in a message → what the bank sent.

Read-only. What it returns is deliberately thin — the campaign's name, the bank's date the message
was sent, the channel — so a code read off someone else's phone reveals nothing about a person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Channel
from surveys.models import ContactAttempt
from surveys.tokens import VERIFICATION_ALPHABET, VERIFICATION_LENGTH

# Messages older than this are not confirmed: a customer checks a message the day it arrives, and
# old codes confirmed forever would let a scammer reuse a genuine code from an old message.
LOOK_BACK = timedelta(days=60)
# What "sent" means here: handed to the provider, or known delivered. Failed or unsent messages never reached anyone.
SENT_OUTCOMES = (ContactAttempt.Outcome.SENT, ContactAttempt.Outcome.DELIVERED)
# People copy codes with spaces or dashes ("ABC-DEF", "abc def"); those are dropped.
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—]+")


class InvalidCode(ValueError):
    """The text cannot be a verification code (wrong characters or length)."""


@dataclass(frozen=True)
class SentMessage:
    campaign_name: str
    sent_on: date  # in the bank's time zone
    channel: str

    @property
    def channel_label(self) -> str:
        """In the language active where it is read (the page's)."""
        return str(Channel(self.channel).label) if self.channel in Channel.values else self.channel


def normalise_code(raw: str) -> str:
    """Upper-case, no spaces or dashes, full-width characters folded; InvalidCode if it cannot be a code."""
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()
    if len(code) != VERIFICATION_LENGTH or any(char not in VERIFICATION_ALPHABET for char in code):
        raise InvalidCode(code)
    return code


def messages_with_code(code: str, *, now: datetime) -> list[SentMessage]:
    """Messages sent with this code in the last LOOK_BACK, newest first (usually one; codes can collide)."""
    code = normalise_code(code)
    rows = (
        ContactAttempt.objects.filter(
            verification_code=code, outcome__in=SENT_OUTCOMES, started_at__gte=now - LOOK_BACK, started_at__lte=now
        )
        .order_by("-started_at")
        .values_list("follow_up__campaign__name", "started_at", "channel")[:10]
    )
    return [
        SentMessage(campaign_name=name, sent_on=timezone.localdate(started_at), channel=channel)
        for name, started_at, channel in rows
    ]
