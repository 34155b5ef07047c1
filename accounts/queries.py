from __future__ import annotations

from accounts.models import Role, User


def landing_url_name(user: User) -> str | None:
    """The page each role starts its day on; None when the account has no role yet."""
    if user.has_role(Role.ADMIN):
        return "admin:index"
    if user.has_role(Role.MANAGER):
        return "analytics:manager-home"
    if user.has_role(Role.AGENT):
        return "surveys:agent-queue"
    return None
