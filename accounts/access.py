"""Access checks for staff pages: one place to read, one place for IDOR tests to hit."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required, permission_required


def staff_page(permission: str) -> Callable:
    """Login first (anonymous users go to the login page), then the permission (else 403)."""

    def decorator(view: Callable) -> Callable:
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator
