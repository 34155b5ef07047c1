"""Survey link tokens and the short code that proves a message came from the bank.

A survey link carries a long token (256 bits, URL-safe); the database keeps only its SHA-256 hash
(``ContactAttempt.link_token_hash``: each message has its own link), so a leaked table or backup
opens no customer's survey. The public page at ``/s/<token>/`` hashes what it receives and looks the
hash up (surveys/links.py).

Two ways to get a token:

- ``new_link_token()``: a random one (``secrets``), for links minted outside the dispatcher.
- ``link_token_for_attempt()``: the dispatcher's. It is derived with an HMAC of SECRET_KEY from the
  contact attempt that carries it, so a send interrupted by a dead worker can be repeated with the
  *same* link: the provider's idempotency key makes the repeat a no-op and the customer holds the
  first message, whose token must still match the stored hash. A fresh random token could not be
  re-sent, because only its hash was kept. The HMAC output is as unguessable as a random token to
  anyone without SECRET_KEY (the argument Django's own password-reset tokens rest on); the attempt's
  start instant is part of the input, so attempt ids reused after a database restore give new tokens.

``verification_code()`` is a short code printed in each message (same HMAC idea) and stored on its
ContactAttempt: a customer who doubts a message types it on the bank's public "is this really from
my bank?" page, which shows the campaign and the date it was sent, nothing personal.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.crypto import salted_hmac

# No 0/O, 1/I/L: read aloud or typed from a phone screen, a code must not be ambiguous.
VERIFICATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
VERIFICATION_LENGTH = 6

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in ContactAttempt.link_token_hash."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_link_token() -> tuple[str, str]:
    """A random URL-safe token (256 bits) and its hash; store only the hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def link_token_for_attempt(*, attempt_id: int, follow_up_id: int, started_at: datetime) -> tuple[str, str]:
    """The link token of one contact attempt (and its hash): the same every time it is asked for.

    See the module docstring for why the dispatcher derives tokens instead of drawing them.
    """
    if started_at.tzinfo is None:
        raise ValueError("started_at must be a timezone-aware datetime")
    # Whole microseconds since the epoch: the same number whether the instant came from the caller
    # or back from the database (PostgreSQL and SQLite both keep microseconds).
    instant = (started_at - _EPOCH) // _MICROSECOND
    digest = salted_hmac(
        "surveys.tokens.link_token_for_attempt", f"{attempt_id}:{follow_up_id}:{instant}", algorithm="sha256"
    ).digest()
    token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return token, hash_token(token)


def survey_link(token: str) -> str:
    return f"{settings.SITE_URL}/s/{token}/"


def opt_out_link(token: str) -> str:
    return f"{settings.SITE_URL}/s/{token}/opt-out/"


def one_click_opt_out_link(token: str) -> str:
    """The RFC 8058 one-click target of an e-mail's List-Unsubscribe header (a mail client POSTs to it)."""
    return f"{settings.SITE_URL}/s/{token}/opt-out/one-click/"


def verification_code(attempt_id: int) -> str:
    """Six characters from VERIFICATION_ALPHABET, derived from the attempt and SECRET_KEY (~30 bits)."""
    digest = salted_hmac("surveys.tokens.verification_code", str(attempt_id), algorithm="sha256").digest()
    number = int.from_bytes(digest, "big")  # 256 bits: the modulo bias below is negligible
    base = len(VERIFICATION_ALPHABET)
    characters = []
    for _position in range(VERIFICATION_LENGTH):
        number, index = divmod(number, base)
        characters.append(VERIFICATION_ALPHABET[index])
    return "".join(characters)
