"""Integrations (the bank's systems that call the API), their hashed tokens, and the log of every call."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What an integration may do; each endpoint requires one."""

    EVENTS_WRITE = "events:write", _("Post wallet events")
    CUSTOMERS_WRITE = "customers:write", _("Create and update customers")
    OPTOUTS_WRITE = "optouts:write", _("Record opt-outs")
    FOLLOWUPS_READ = "followups:read", _("Read follow-ups")
    CUSTOMERS_READ = "customers:read", _("Read customers' contact history")


class Integration(models.Model):
    """One of the bank's systems allowed to call the API (the core banking system, the wallet back end…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive integration's tokens are refused.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF treats the authenticated principal (request.user) as a user; an integration always is one.
    is_authenticated = True

    def has_scope(self, scope: Scope | str) -> bool:
        return scope in self.scopes


class IntegrationToken(models.Model):
    """A bearer token of an integration. Only its SHA-256 hash is stored; the token is shown once.

    A token works while it is not revoked and its `expires_at` (set when it is rotated out) has not
    passed; a fresh token has no expiry.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    hint = models.CharField(_("begins with"), max_length=12, help_text=_("The token's first characters."))
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("stops working at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["integration", "-created_at"]

    def __str__(self) -> str:
        return f"{self.integration} · {self.hint}…"


class ApiCall(models.Model):
    """One request to the API: who, what, how it ended and how long it took. Never a request body."""

    integration = models.ForeignKey(
        Integration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("integration"),
        help_text=_("Empty when the request carried no valid token."),
    )
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    at = models.DateTimeField(_("when"))
    request_id = models.CharField(_("request id"), max_length=64)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="apicall_at_idx"),
            models.Index(fields=["integration", "-at"], name="apicall_integration_idx"),
            models.Index(fields=["-at"], condition=Q(status__gte=400), name="apicall_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
