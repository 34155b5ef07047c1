from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import lockout, second_factor
from accounts.models import ConsentRecord, Customer, User, WalletEvent
from audit import services as audit
from audit.admin import RecordsAccessChanges, RecordsDetailViews
from audit.models import AuditEntry


@admin.register(User)
class UserAdmin(RecordsAccessChanges, DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "language")
    actions = ["reset_second_factor", "unlock_sign_in"]

    @admin.action(
        description=_("Reset second factor (they set it up again at their next sign-in)"), permissions=["change"]
    )
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            removed = second_factor.reset_second_factor(user=user, by=request.user)
            audit.record(
                action=AuditEntry.Action.ROLE_CHANGED,
                actor=request.user,
                target=user,
                details={"change": "second factor reset", "devices_removed": removed},
            )
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "Second factor reset for %(count)d user; they set it up again at their next sign-in.",
                "Second factor reset for %(count)d users; they set it up again at their next sign-in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unlock sign-in (forget failed attempts)"), permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            forgotten = lockout.unlock_sign_in(user=user)
            audit.record(
                action=AuditEntry.Action.ROLE_CHANGED,
                actor=request.user,
                target=user,
                details={"change": "sign-in unlocked", "failed_attempts_forgotten": forgotten},
            )
        count = len(queryset)
        self.message_user(
            request,
            ngettext("Sign-in unlocked for %(count)d user.", "Sign-in unlocked for %(count)d users.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class WalletEventInline(admin.TabularInline):
    model = WalletEvent
    extra = 0
    fields = ("bank_reference", "kind", "occurred_at", "access_channel")
    readonly_fields = fields
    show_change_link = True
    can_delete = False


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    fields = ("recorded_at", "kind", "channel", "source", "recorded_by", "reference")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # evidence is recorded through the services, never typed into the admin


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Evidence is append-only: the admin can read and search it, nobody can change or delete it."""

    list_display = ("customer", "kind", "channel", "source", "recorded_at", "recorded_by")
    list_filter = ("kind", "channel", "source")
    search_fields = ("customer__bank_reference", "customer__name", "reference")
    date_hierarchy = "recorded_at"
    list_select_related = ("customer", "recorded_by")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(RecordsDetailViews, admin.ModelAdmin):
    list_display = ("bank_reference", "name", "language", "time_zone", "device_os", "app_version", "segment")
    list_filter = ("language", "device_os", "wallet_product", "segment", "region", "preferred_channel", "time_zone")
    search_fields = ("bank_reference", "name", "phone", "email")
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "updated_at",
        "consent_given_at",
        "consent_source",
        "phone_opt_out_at",
        "sms_opt_out_at",
        "email_opt_out_at",
        "do_not_contact_at",
        "do_not_contact_source",
    )
    inlines = [ConsentRecordInline, WalletEventInline]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of customers on every page is slow
    # Object tools "Export personal data" and "Erase personal data", for administrators (privacy/admin_views.py).
    change_form_template = "admin/accounts/customer/change_form.html"

    def has_delete_permission(self, request, obj=None):
        # Deleting a customer would delete their follow-ups and responses, and the dashboards would no longer add
        # up after a rebuild. A customer's request to be forgotten is "Erase personal data" instead.
        return False

    def get_urls(self):
        from privacy import admin_views

        urls = [
            path(
                "<path:object_id>/export-personal-data/",
                admin_views.admin_page(admin_views.export_customer, model_admin=self),
                name="accounts_customer_export",
            ),
            path(
                "<path:object_id>/erase-personal-data/",
                admin_views.admin_page(admin_views.erase_customer, model_admin=self),
                name="accounts_customer_erase",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from privacy.rules import may_handle_requests

        extra_context = {**(extra_context or {}), "may_handle_requests": may_handle_requests(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(WalletEvent)
class WalletEventAdmin(admin.ModelAdmin):
    list_display = ("bank_reference", "kind", "customer", "occurred_at", "access_channel")
    list_filter = ("kind", "access_channel")
    search_fields = ("bank_reference", "customer__bank_reference", "customer__name")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    show_full_result_count = False
