from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The append-only record of who did what, when and from where (audit.services.record)."""

    name = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Sign-ins, failures and sign-outs arrive as django.contrib.auth signals.
        from audit import receivers  # noqa: F401
