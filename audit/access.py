"""Who changed whose access: a staff account's roles and flags before and after an administrator's edit."""

from __future__ import annotations

from typing import Any

ACCESS_FLAGS = ("is_active", "is_staff", "is_superuser")


def access_of(user) -> dict[str, Any]:
    """What decides what ``user`` may do: the flags, the role groups and directly granted permissions."""
    if user is None or user.pk is None:
        return {}
    return {
        **{flag: getattr(user, flag) for flag in ACCESS_FLAGS},
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app_label}.{codename}"
            for app_label, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


def access_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"is_staff": {"before": False, "after": True}, …}`` for what differs; a new account has no before."""
    return {
        key: {"before": before.get(key), "after": value} for key, value in after.items() if before.get(key) != value
    }
