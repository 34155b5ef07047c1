"""Operational state the health page reads: when each background component last proved alive."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    class Component(models.TextChoices):
        BEAT = "beat", _("Scheduler (beat → worker)")
        WORKER = "worker", _("Worker")
        # Beat sends a heartbeat to each queue: a fresh row proves a worker consumes that queue.
        WORKER_DISPATCH = "worker:dispatch", _("Worker on the dispatch queue")
        WORKER_MESSAGES = "worker:messages", _("Worker on the messages queue")
        WORKER_ANALYTICS = "worker:analytics", _("Worker on the analytics queue")

    component = models.CharField(_("component"), max_length=16, choices=Component.choices, unique=True)
    last_seen = models.DateTimeField(_("last seen"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.component} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
