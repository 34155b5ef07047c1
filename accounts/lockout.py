"""Lock-out after repeated failed sign-ins (django-axes, database handler, counted per username).

Wrong passwords are counted by axes itself (its backend and the `user_login_failed` signal). Wrong
second-factor codes are sent through the same signal, so they count towards the same limit: five wrong
codes after a right password sign the person out and lock the account like five wrong passwords.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from accounts.forms import LoginForm
from accounts.models import User
from audit.context import client_ip as request_client_ip


def client_address(request: HttpRequest) -> str | None:
    """The address kept on lock-out records (AXES_CLIENT_IP_CALLABLE), read as the audit log reads it
    (behind TRUSTED_PROXY_COUNT proxies, a valid IP or none), so the admin sees who tried, not the proxy.
    Only shown, never a lock-out key: that is the username."""
    return request_client_ip(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)


def lockout_message() -> str:
    minutes = settings.AXES_COOLOFF_MINUTES
    return ngettext(
        "This account is locked after too many failed sign-in attempts. Try again in %(minutes)d minute, "
        "or ask an administrator to unlock it.",
        "This account is locked after too many failed sign-in attempts. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def locked_out_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The sign-in page saying the account is locked (AXES_LOCKOUT_CALLABLE), instead of axes' bare text."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": username})
    context = {"form": form, "next": "", "locked_out_message": lockout_message()}
    return render(request, "registration/login.html", context, status=403)


def _credentials(user: User) -> dict:
    return {"username": user.get_username()}


def is_locked(request: HttpRequest, *, user: User) -> bool:
    return AxesProxyHandler.is_locked(request, _credentials(user))


def record_failed_code(request: HttpRequest, *, user: User) -> bool:
    """Count a wrong second-factor code as a failed sign-in; True when this one locks the account."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def unlock_sign_in(*, user: User) -> int:
    """Forget the user's failed sign-ins, which lifts a lock-out at once. Returns how many records went."""
    return reset(username=user.get_username())
