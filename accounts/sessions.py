"""Staff sessions: when one has lasted too long or sat idle too long, and "sign out everywhere".

Sessions live in the database by default, but nothing here depends on the session engine: a session
records when it began and when its person last asked for a page, and the user's session epoch is
mixed into the hash every session keeps (accounts.models.User._get_session_auth_hash).
"""

from __future__ import annotations

import enum
import time

from django.db.models import F

from accounts.models import User

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
# A session is written at most once a minute just to say its person is still there.
LAST_SEEN_RESOLUTION_SECONDS = 60


class Expiry(enum.Enum):
    IDLE = "idle"
    TOO_LONG = "too_long"


def session_expiry(*, now: float, signed_in_at: float, last_seen_at: float, idle_seconds: int, max_seconds: int):
    """Why a session has ended at `now` (Unix seconds), or None while it is still good."""
    if now - signed_in_at >= max_seconds:
        return Expiry.TOO_LONG
    if now - last_seen_at >= idle_seconds:
        return Expiry.IDLE
    return None


def start_session_clock(sender, request, user, **kwargs) -> None:
    """On sign-in (the user_logged_in signal): the session's clock starts now."""
    if hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = time.time()


def sign_out_everywhere(*, user: User, by: User | None = None) -> None:
    """End every session of the user, on every browser and machine, this one included; audit-logged as done
    by ``by`` (an administrator) or the user themselves."""
    from audit import services as audit
    from audit.models import AuditEntry

    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    audit.record(action=AuditEntry.Action.LOGOUT, actor=by or user, target=user, details={"everywhere": True})
