"""Administrators manage integrations here: create (token shown once), rotate, revoke; read the call log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations import services
from integrations.models import ApiCall, Integration, IntegrationToken, Scope

SHOWN_ONCE_TEMPLATE = "admin/integrations/integration/new_tokens.html"


class IntegrationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Integration
        fields = ["name", "scopes", "is_active"]


class IntegrationTokenInline(admin.TabularInline):
    model = IntegrationToken
    extra = 0
    fields = ("hint", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # tokens are issued by the "rotate" action, which shows the new one once


def show_new_tokens(request, issued: list[tuple[Integration, str]]) -> TemplateResponse:
    """The one page that ever shows tokens in clear; never cached, never stored."""
    response = TemplateResponse(
        request,
        SHOWN_ONCE_TEMPLATE,
        {
            **admin.site.each_context(request),
            "title": _("New API tokens"),
            "issued": issued,
            "opts": Integration._meta,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ("name", "scope_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    inlines = [IntegrationTokenInline]
    actions = ["rotate_token", "revoke_tokens"]

    @admin.display(description=_("scopes"))
    def scope_list(self, integration: Integration) -> str:
        return ", ".join(integration.scopes)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            request._new_api_token = services.issue_token(integration=obj)

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(request, "_new_api_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        return show_new_tokens(request, [(obj, token)])

    @admin.action(description=_("Rotate token (the old one works for the grace period)"))
    def rotate_token(self, request, queryset):
        issued = [(integration, services.rotate_token(integration=integration)) for integration in queryset]
        return show_new_tokens(request, issued)

    @admin.action(description=_("Revoke every token now"))
    def revoke_tokens(self, request, queryset):
        revoked = sum(services.revoke_tokens(integration=integration) for integration in queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    """The call log: read-only."""

    list_display = ("at", "integration", "method", "path", "status", "duration_ms", "request_id")
    list_filter = ("status", "method", "integration")
    search_fields = ("request_id", "path")
    date_hierarchy = "at"
    list_select_related = ("integration",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
