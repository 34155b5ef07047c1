import socket

from celery import shared_task
from celery.signals import worker_ready

from ops import services


@shared_task(name="ops.tasks.record_heartbeat")
def record_heartbeat(component: str) -> None:
    """Sent by beat and run by a worker: a fresh row proves beat, broker and worker all work."""
    services.record_heartbeat(component=component, detail=f"run by {socket.gethostname()}")


@worker_ready.connect
def _worker_started(sender=None, **kwargs) -> None:
    services.record_heartbeat(component="worker", detail=f"started on {socket.gethostname()}")
