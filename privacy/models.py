"""What the privacy app keeps: which responses were anonymised, so the nightly retention run never redoes one.

Nothing personal is kept here: a response id, when, and why (retention or a customer's erasure).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Response


class AnonymisedResponse(models.Model):
    class Reason(models.TextChoices):
        RETENTION = "retention", _("Retention period over")
        ERASURE = "erasure", _("Erased at the customer's request")

    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("response")
    )
    anonymised_at = models.DateTimeField(_("anonymised at"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)

    class Meta:
        verbose_name = _("anonymised response")
        verbose_name_plural = _("anonymised responses")

    def __str__(self) -> str:
        return f"response {self.response_id} · {self.get_reason_display()}"
