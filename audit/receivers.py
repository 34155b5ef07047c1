"""Sign-ins, failed sign-ins and sign-outs, from django.contrib.auth's signals, into the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEntry
from audit.services import record


@receiver(user_logged_in, dispatch_uid="audit_login")
def _signed_in(sender, request, user, **kwargs) -> None:
    record(action=AuditEntry.Action.LOGIN, actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the username that was tried: never the password, nor any other credential.
    tried = credentials.get(get_user_model().USERNAME_FIELD, "")
    record(action=AuditEntry.Action.LOGIN_FAILED, username=tried if isinstance(tried, str) else "")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out when not signed in is nothing to record
        record(action=AuditEntry.Action.LOGOUT, actor=user, target=user)
