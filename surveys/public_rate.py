"""Rate limits on the customers' public pages: survey links (/s/<token>/…) and the verification check (/verify/).

Counted per client IP (wallet_followup.ratelimit.client_ip) and per link, in clock windows, in the shared
cache. Two kinds of limit:

- every request: SURVEY_RATE_PER_IP_PER_MINUTE and SURVEY_RATE_PER_LINK_PER_MINUTE on link pages,
  VERIFY_RATE_PER_IP_PER_MINUTE on code checks (POST) — a flood from one address or on one link;
- misses: SURVEY_BAD_LINKS_PER_IP_PER_HOUR links that do not work, VERIFY_MISSES_PER_IP_PER_HOUR codes
  that match no message — guessing. A miss is counted once the page has answered; when an address has
  spent its misses it is refused before anything is looked up, until the hour is over.

A refused request gets 429 with Retry-After and a page in the browser's language that says when to try
again. Link tokens are secrets: a link's counter is keyed by a hash of its token, never the token.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from wallet_followup import ratelimit

MINUTE, HOUR = 60, 3600
KEY_PREFIX = "rate"  # each test gets its own (tests/conftest.py): the Redis cache outlives test databases


@dataclass(frozen=True)
class Limit:
    name: str  # the counter's key prefix
    setting: str  # the setting that holds how many are allowed per window
    window_seconds: int

    @property
    def allowed(self) -> int:
        return getattr(settings, self.setting)  # read per request, so a changed setting applies

    def key(self, subject: str, window: int) -> str:
        return f"{KEY_PREFIX}:{self.name}:{subject}:{window}"

    def hit(self, subject: str, *, now: float) -> int | None:
        """Count one request; the seconds to wait when that went past the limit, else None."""
        window, retry_after = ratelimit.window_of(now, self.window_seconds)
        if ratelimit.count(self.key(subject, window), window_seconds=self.window_seconds) > self.allowed:
            return retry_after
        return None

    def spent(self, subject: str, *, now: float) -> int | None:
        """The seconds to wait when this window's allowance is already used up, else None (counts nothing)."""
        window, retry_after = ratelimit.window_of(now, self.window_seconds)
        return retry_after if ratelimit.current(self.key(subject, window)) >= self.allowed else None

    def note(self, subject: str, *, now: float) -> None:
        window, _retry_after = ratelimit.window_of(now, self.window_seconds)
        ratelimit.count(self.key(subject, window), window_seconds=self.window_seconds)


SURVEY_PER_IP = Limit("survey-ip", "SURVEY_RATE_PER_IP_PER_MINUTE", MINUTE)
SURVEY_PER_LINK = Limit("survey-link", "SURVEY_RATE_PER_LINK_PER_MINUTE", MINUTE)
BAD_LINKS_PER_IP = Limit("bad-links-ip", "SURVEY_BAD_LINKS_PER_IP_PER_HOUR", HOUR)
VERIFY_PER_IP = Limit("verify-ip", "VERIFY_RATE_PER_IP_PER_MINUTE", MINUTE)
VERIFY_MISSES_PER_IP = Limit("verify-misses-ip", "VERIFY_MISSES_PER_IP_PER_HOUR", HOUR)


def too_many_requests(request, retry_after: int):
    """429: the page says how long to wait (whole minutes), Retry-After says it in seconds."""
    context = {"minutes": max(1, math.ceil(retry_after / MINUTE))}
    response = render(request, "surveys/public/too_many_requests.html", context, status=429)
    response.headers["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def _link_subject(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def limit_link_pages(view=None, *, per_address: bool = True):
    """For views of a link (``view(request, token, …)``): refuse an address that spent its bad links or
    floods, or a link that is flooded; count the request as a bad link when the view answered 404 (the
    one page for every link that does not work).

    ``per_address=False`` leaves out the flood limit per address (not the bad links): mail providers send
    every customer's one-click unsubscribe from a few shared servers."""
    if view is None:
        return functools.partial(limit_link_pages, per_address=per_address)

    @functools.wraps(view)
    def wrapped(request, token: str, *args, **kwargs):
        ip, now = ratelimit.client_ip(request), time.time()
        retry_after = (
            BAD_LINKS_PER_IP.spent(ip, now=now)
            or (per_address and SURVEY_PER_IP.hit(ip, now=now))
            or SURVEY_PER_LINK.hit(_link_subject(token), now=now)
        )
        if retry_after:
            return too_many_requests(request, retry_after)
        response = view(request, token, *args, **kwargs)
        if response.status_code == 404:
            BAD_LINKS_PER_IP.note(ip, now=now)
        return response

    return wrapped


def verification_refused(request) -> int | None:
    """Before a code is checked: the seconds to wait when this address may not check one now, else None."""
    ip, now = ratelimit.client_ip(request), time.time()
    return VERIFY_MISSES_PER_IP.spent(ip, now=now) or VERIFY_PER_IP.hit(ip, now=now)


def verification_missed(request) -> None:
    """A well-formed code matched no message: one more miss for this address."""
    VERIFY_MISSES_PER_IP.note(ratelimit.client_ip(request), now=time.time())
