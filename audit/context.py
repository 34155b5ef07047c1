"""Where the current request comes from, kept in a contextvar so services deep down need no request.

``client_ip`` is a pure function: the address the rate limits count by (wallet_followup.ratelimit.
client_address: REMOTE_ADDR, or X-Forwarded-For read from the right past ``trusted_proxies`` proxies),
kept only when it is an IP address, else REMOTE_ADDR.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from wallet_followup.ratelimit import client_address

USER_AGENT_LENGTH = 300
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""


NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("audit_request_context", default=NO_REQUEST)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(meta: Mapping[str, str], *, trusted_proxies: int) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry the outermost trusted proxy added."""
    chosen = client_address(meta, trusted_proxies=trusted_proxies)
    return _valid_ip(chosen) or _valid_ip(meta.get("REMOTE_ADDR", ""))


def request_context(meta: Mapping[str, str], *, trusted_proxies: int) -> RequestContext:
    given_id = meta.get("HTTP_X_REQUEST_ID", "")
    return RequestContext(
        ip_address=client_ip(meta, trusted_proxies=trusted_proxies),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        request_id=given_id if _REQUEST_ID.match(given_id) else "",
    )


def current() -> RequestContext:
    return _current.get()


@contextmanager
def using(context: RequestContext) -> Iterator[RequestContext]:
    """Record entries as coming from ``context`` inside the block (the middleware; tasks acting for a request)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
