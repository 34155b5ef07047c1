"""What a survey link a customer holds leads to. Read-only.

Every message carries its own link (the token of its ContactAttempt, stored as a hash); all the links
of one follow-up lead to the same survey and stay valid until the follow-up's ``expires_at``. A link
is good for one response: once the response is submitted, every link of the follow-up says so.

The public pages show one page for every link that does not work (unknown, expired, cancelled), so a
guessed or forwarded link reveals nothing about whether a customer exists.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from surveys.models import ContactAttempt, FollowUp, Response
from surveys.tokens import hash_token

# Dispatcher tokens are 43 URL-safe characters, random ones 43 too; anything far off is not ours.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")

# A follow-up closed for one of these reasons no longer takes answers: the customer opted out or asked
# not to be contacted, refused, or the link ran out.
_DEAD_STATUSES = frozenset(
    {FollowUp.Status.CANCELLED, FollowUp.Status.EXPIRED, FollowUp.Status.REFUSED, FollowUp.Status.SKIPPED}
)


class LinkState(enum.Enum):
    OPEN = "open"  # the survey can be answered (perhaps resumed)
    ANSWERED = "answered"  # the response was submitted: "already answered"
    INVALID = "invalid"  # unknown, expired or closed: one page that reveals nothing


@dataclass(frozen=True)
class Link:
    state: LinkState
    follow_up: FollowUp | None = None
    attempt: ContactAttempt | None = None


def resolve_link(token: str, *, now: datetime) -> Link:
    """The follow-up behind ``token`` (with customer, campaign and survey loaded) and what it allows."""
    if not _TOKEN_SHAPE.fullmatch(token or ""):
        return Link(LinkState.INVALID)
    attempt = (
        ContactAttempt.objects.select_related("follow_up__customer", "follow_up__campaign__survey")
        .filter(link_token_hash=hash_token(token))
        .first()
    )
    if attempt is None:
        return Link(LinkState.INVALID)
    follow_up = attempt.follow_up
    submitted = Response.objects.filter(follow_up=follow_up, status=Response.Status.SUBMITTED).exists()
    if submitted:
        return Link(LinkState.ANSWERED, follow_up, attempt)
    if follow_up.expires_at is None or follow_up.expires_at <= now or follow_up.status in _DEAD_STATUSES:
        return Link(LinkState.INVALID)
    return Link(LinkState.OPEN, follow_up, attempt)
