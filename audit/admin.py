"""The audit log in the Django admin: administrators search and read it; nobody adds, changes or deletes.

``RecordsAccessChanges`` is mixed into the staff users' admin (accounts/admin.py): each save that changes a
user's roles or access flags appends one entry with the before and after.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.models import Role
from audit.access import access_changes, access_of
from audit.models import AuditEntry
from audit.services import record


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_username", "action", "target_label", "ip_address", "request_id")
    list_filter = ("action", "at", "target_type")
    search_fields = ("actor_username", "target_label", "ip_address", "=target_id", "=request_id")
    date_hierarchy = "at"
    fields = (
        "at",
        "actor",
        "actor_username",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "ip_address",
        "user_agent",
        "request_id",
        "details",
    )
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over the whole log on every page

    def _is_administrator(self, request) -> bool:
        return request.user.is_active and request.user.has_role(Role.ADMIN)

    def has_module_permission(self, request) -> bool:
        return self._is_administrator(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_administrator(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RecordsAccessChanges:
    """For a ModelAdmin of staff users: record changes of roles, flags and permissions, before and after.

    The user's groups are saved after the user (``save_related``), so the "before" is read in
    ``save_model`` and compared once everything is saved. The admin runs both in one transaction, so
    the entry and the change are committed together or not at all."""

    def save_model(self, request, obj, form, change):
        before = access_of(type(obj)._default_manager.get(pk=obj.pk)) if change else {}
        request._audit_access_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        changes = access_changes(getattr(request, "_audit_access_before", {}), access_of(user))
        if changes:
            record(
                action=AuditEntry.Action.ROLE_CHANGED,
                actor=request.user,
                target=user,
                details={"created": not change, "changes": changes},
            )


class RecordsDetailViews:
    """For a ModelAdmin of customers: opening one customer's page in the admin is a customer detail view."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.method == "GET":
            record(action=AuditEntry.Action.CUSTOMER_VIEWED, actor=request.user, target=obj, details={"page": "admin"})
        return super().render_change_form(request, context, add, change, form_url, obj)
