"""What every request of a signed-in person passes through: session limits, then the second factor."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import second_factor, sessions

# Parts of the blocks that refresh themselves (hx-trigger="every …"): a refresh is not a person at work,
# so it never keeps a session alive.
BACKGROUND_REFRESHES = frozenset({"queue-rows", "import-progress", "planning-progress"})

# Pages open to someone who has given their password but not yet their second factor (see
# wallet_followup/urls.py): static files, the health check, the customers' own pages (/s/…, /verify/),
# the language switch and the API (bearer tokens, never a staff session). The sign-in pages are added
# from their URL names.
OPEN_PREFIXES = ("/health/", "/s/", "/verify/", "/i18n/", "/api/")
# Under an open prefix, yet a staff page: the survey preview.
STAFF_UNDER_OPEN_PREFIXES = ("/s/preview/",)


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx a whole-page one, so a sign-in page never lands inside a block of a page."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method != "GET" or request.headers.get("HX-Request"):
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class IdleSessionMiddleware:
    """Sign out a person idle for SESSION_IDLE_SECONDS or signed in for SESSION_COOKIE_AGE.

    Django's own expiry (SESSION_SAVE_EVERY_REQUEST) would write the session on every request and let the
    call queue's 30-second refresh keep an empty desk signed in forever; this writes at most once a minute,
    ignores background refreshes, keeps an absolute limit too, and says why the person was signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            # Set at sign-in (sessions.start_session_clock); a session from before that existed starts now.
            signed_in_at = session.setdefault(sessions.SIGNED_IN_AT, now)
            last_seen_at = session.get(sessions.LAST_SEEN_AT, signed_in_at)
            expiry = sessions.session_expiry(
                now=now,
                signed_in_at=signed_in_at,
                last_seen_at=last_seen_at,
                idle_seconds=settings.SESSION_IDLE_SECONDS,
                max_seconds=settings.SESSION_COOKIE_AGE,
            )
            if expiry is not None:
                logout(request)
                if expiry is sessions.Expiry.IDLE:
                    minutes = settings.SESSION_IDLE_SECONDS // 60
                    messages.info(
                        request,
                        _("You were signed out after %(minutes)d minutes without activity.") % {"minutes": minutes},
                    )
                else:
                    messages.info(request, _("You were signed out because your session reached its time limit."))
                return go_to(request, _with_next(reverse(settings.LOGIN_URL), request))
            background = request.headers.get("HX-Trigger") in BACKGROUND_REFRESHES
            if not background and now - last_seen_at >= sessions.LAST_SEEN_RESOLUTION_SECONDS:
                session[sessions.LAST_SEEN_AT] = now
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """A signed-in person who has not passed the second factor in this session reaches only the pages
    that get them through it: the set-up page when they have no device yet, else the code page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open is None:  # reverse() needs the URLconf, which is not loaded yet in __init__
            sign_in_pages = tuple(
                reverse(name) for name in ("login", "logout", "two-factor-setup", "two-factor-verify")
            )
            self._open = (
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
                *OPEN_PREFIXES,
                *sign_in_pages,
            )
        return self._open

    def needs_second_factor(self, path: str) -> bool:
        return path.startswith(STAFF_UNDER_OPEN_PREFIXES) or not path.startswith(self.open_prefixes())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified() and self.needs_second_factor(request.path_info):
            step = "two-factor-verify" if second_factor.has_second_factor(user) else "two-factor-setup"
            return go_to(request, _with_next(reverse(step), request))
        return self.get_response(request)
