from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, User, WalletEvent


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "language")


class WalletEventInline(admin.TabularInline):
    model = WalletEvent
    extra = 0
    fields = ("bank_reference", "kind", "occurred_at", "access_channel")
    readonly_fields = fields
    show_change_link = True
    can_delete = False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("bank_reference", "name", "language", "time_zone", "device_os", "app_version", "segment")
    list_filter = ("language", "device_os", "wallet_product", "segment", "preferred_channel", "time_zone")
    search_fields = ("bank_reference", "name", "phone", "email")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")
    inlines = [WalletEventInline]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of customers on every page is slow


@admin.register(WalletEvent)
class WalletEventAdmin(admin.ModelAdmin):
    list_display = ("bank_reference", "kind", "customer", "occurred_at", "access_channel")
    list_filter = ("kind", "access_channel")
    search_fields = ("bank_reference", "customer__bank_reference", "customer__name")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    show_full_result_count = False
