"""Imports whose worker was lost: a job left RUNNING longer than the task may run is marked FAILED.

The import task's hard time limit is 30 minutes (imports/tasks.py), so a job still RUNNING after that has no
worker any more: Celery's redelivery finds it claimed and leaves it, and without this the page would poll a
job that never ends. Failing it is safe: running the same file again changes nothing that was already imported
(rows upsert by the bank's reference; events are idempotent), and an all-or-nothing import rolled back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from imports.models import ImportJob

STALE_AFTER = timedelta(minutes=35)  # the task's hard time limit and a margin
LOST_WORKER = (
    "The import stopped: the worker running it was lost. Run it again; rows already imported stay unchanged. · "
    "导入已中断：执行它的后台进程已丢失。请重新运行；已导入的行不会被重复修改。"
)


def fail_stale_imports(*, now: datetime) -> int:
    """Mark imports RUNNING since before ``now - STALE_AFTER`` as FAILED; how many were (a conditional UPDATE)."""
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=ImportJob.Status.FAILED, error=LOST_WORKER, finished_at=now
    )
