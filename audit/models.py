"""AuditEntry: one thing a person did, when (UTC) and from where. Rows are only ever inserted.

Append-only is enforced three times: the model and its queryset refuse to change or delete rows, the admin
grants nobody add, change or delete, and on PostgreSQL a trigger refuses UPDATE and DELETE of the table
(audit/migrations/0002_append_only; on SQLite UPDATE only). The one change allowed is Django's SET NULL of
``actor`` when a staff account is deleted (an UPDATE touching that column alone): the entry keeps the
actor's username as text.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An audit entry was about to be changed or deleted; nothing was written."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries are append-only: update() is refused")

    def delete(self):
        raise AppendOnlyError("audit entries are append-only: delete() is refused")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit entries are append-only: bulk_update() is refused")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError("audit entries are append-only: update_or_create() is refused")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGOUT = "logout", _("Signed out")
        PHONE_REVEALED = "phone_revealed", _("Phone number revealed")
        CUSTOMER_VIEWED = "customer_viewed", _("Customer details viewed")
        EXPORTED = "exported", _("Data exported")
        IMPORT_STARTED = "import_started", _("Import started")
        IMPORT_REPORT_DOWNLOADED = "import_report_downloaded", _("Import error report downloaded")
        CONSENT_CHANGED = "consent_changed", _("Consent or opt-out recorded")
        ROLE_CHANGED = "role_changed", _("Role or access changed")
        CASE_RESOLVED = "case_resolved", _("Case resolved")
        CUSTOMER_ERASED = "customer_erased", _("Customer's personal data erased")

    at = models.DateTimeField(_("when"))  # stored in UTC like every datetime; the admin shows local time
    # SET_NULL so a deleted account's entries stay; actor_username keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the (actor, at) index below serves it
    )
    # The actor's username; for a failed sign-in, the username that was tried.
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)  # "accounts.customer"
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    # A short description for people: masked, never a customer's full name, number or e-mail.
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        # Only "view": nobody can be granted adding, changing or deleting entries.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["actor_username", "at"], name="audit_username_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["target_type", "target_id", "at"], name="audit_target_at"),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.target_label}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries are append-only: an existing entry cannot be saved again")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only: delete() is refused")

    delete.alters_data = True
