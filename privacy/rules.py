"""Pure rules of personal-data handling: what an anonymised text says, what an erased customer is called,
who may handle a customer's request, and when retention starts. No ORM here.

Free text is REPLACED, not scrubbed: phone numbers and e-mails can be found by patterns, but names,
addresses and "my daughter's card" cannot, in Chinese least of all (no spaces, no capitals). After the
retention period the value of a comment is the themes it counts for on the dashboards, so the anonymised
text keeps exactly those: the neutral marker, then the lexicon keywords the tagger found, one per line
(a line ends a clause, so no keyword reads as negated by the one before it). A full ``rebuild_rollups``
therefore counts the same themes again, and Answer.concerns, stored beside the text, is not touched.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from accounts.models import Role

MARKER = "[已匿名化 · anonymised]"
ERASED_PREFIX = "erased-"


def anonymised_text(text: str, matches: Callable[[str], Iterable[tuple[str, str]]]) -> str:
    """The marker and the (concern, keyword) themes ``matches`` finds in ``text``, nothing else.

    Idempotent: an anonymised text anonymises to itself. An empty text stays empty (nothing to hide, and an
    empty answer counts for no theme)."""
    if not text:
        return ""
    keywords = sorted({keyword for _concern, keyword in matches(text)})
    return "\n".join([MARKER, *keywords])


def erased_placeholder() -> str:
    """A bank reference and name for an erased customer: unique per row, derived from nothing about them."""
    return f"{ERASED_PREFIX}{secrets.token_hex(8)}"


def is_erased(bank_reference: str) -> bool:
    return bank_reference.startswith(ERASED_PREFIX)


def may_handle_requests(user) -> bool:
    """Exports and erasures of one customer's data are for administrators only (not managers, not agents)."""
    return bool(user.is_authenticated and user.has_role(Role.ADMIN))


def link_purge_cutoff(now: datetime, *, after_days: int) -> datetime:
    """Links that expired before this moment lose their token hash."""
    return now - timedelta(days=after_days)


def anonymise_cutoff(now: datetime, *, after_days: int) -> datetime:
    """Responses submitted (or, never submitted, started) before this moment are anonymised."""
    return now - timedelta(days=after_days)
