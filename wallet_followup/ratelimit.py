"""Counting requests in fixed clock windows, in Django's cache (Redis in production, shared by every web
machine), and the client's address to count them by.

One counter per key and window, incremented atomically: INCR + EXPIRE in one round trip on Redis. The
window is the clock minute (or hour), not the last sixty seconds: across a boundary a client can send up
to twice the limit in a short time, which is the price of one number per key. Used by the API's throttle
(integrations/throttling.py) and the customers' public pages (surveys/public_rate.py).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def count(key: str, *, window_seconds: int) -> int:
    """Add one to the counter under ``key`` (kept for two windows) and return the new value.

    When the cache cannot be reached the limits fail open (0: nothing counted), with a warning in the log:
    customers keep answering surveys through a Redis outage (bench/chaos.py, redis-stop), at the price of
    no flood limit until it is back.
    """
    try:
        return _count(key, window_seconds=window_seconds)
    except Exception:  # redis-py's ConnectionError/TimeoutError, or any other cache trouble
        logger.warning("rate limit not counted: the cache is unreachable", exc_info=True)
        return 0


def _count(key: str, *, window_seconds: int) -> int:
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy to it)
    lifetime = 2 * window_seconds
    if isinstance(cache, RedisCache):
        # One round trip: INCR creates the key at 1; EXPIRE NX sets its lifetime only once. Django's
        # own add() + incr() would take three (incr checks that the key exists first).
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipeline.incr(full_key)
        pipeline.expire(full_key, lifetime, nx=True)
        return int(pipeline.execute()[0])
    if cache.add(key, 1, timeout=lifetime):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=lifetime)
        return 1


def current(key: str) -> int:
    """The counter under ``key`` without adding to it (0 when there is none, or the cache is unreachable)."""
    try:
        return int(caches["default"].get(key) or 0)
    except Exception:
        logger.warning("rate limit not read: the cache is unreachable", exc_info=True)
        return 0


def window_of(now: float, window_seconds: int) -> tuple[int, int]:
    """The clock window ``now`` falls in (its number) and the whole seconds until the next one begins."""
    return int(now // window_seconds), max(1, math.ceil(window_seconds - now % window_seconds))


def client_address(meta: Mapping[str, str], *, trusted_proxies: int) -> str:
    """The address a request came from, as written (not checked): REMOTE_ADDR, unless ``trusted_proxies``
    reverse proxies stand in front of the app, each appending the address it received from to
    X-Forwarded-For: then the entry that many places from the right, the one the outermost trusted proxy saw
    (anything left of it the client can write). The rate limits and the audit log both read it here."""
    address = meta.get("REMOTE_ADDR", "")
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if trusted_proxies and forwarded:
        address = forwarded[-trusted_proxies] if len(forwarded) >= trusted_proxies else forwarded[0]
    return address


def client_ip(request) -> str:
    """The address a request came from, as the counters see it (``client_address`` behind
    settings.TRUSTED_PROXY_COUNT proxies). An IPv6 client is counted by its /64 network, which one
    household or phone usually has to itself.
    """
    address = client_address(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
