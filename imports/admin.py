from django.contrib import admin

from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Imports are run from the manager pages; the admin shows them, read-only, for support."""

    list_display = ("original_name", "kind", "status", "created_by", "created_at", "created_count", "error_rows")
    list_filter = ("kind", "status")
    search_fields = ("original_name",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
