from celery import shared_task


@shared_task(name="imports.run_import", soft_time_limit=25 * 60, time_limit=30 * 60)
def run_import(job_id: int) -> None:
    """Run a queued import; a second delivery finds it claimed and does nothing."""
    from imports import services

    services.run_import(job_id=job_id)


@shared_task(name="imports.fail_stale_imports", soft_time_limit=60, time_limit=90)
def fail_stale_imports() -> int:
    """Beat, every 10 minutes: imports whose worker was lost are marked failed, so their page stops waiting."""
    from django.utils import timezone

    from imports import recovery

    return recovery.fail_stale_imports(now=timezone.now())
