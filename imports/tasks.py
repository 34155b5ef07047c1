from celery import shared_task


@shared_task(name="imports.run_import", soft_time_limit=25 * 60, time_limit=30 * 60)
def run_import(job_id: int) -> None:
    """Run a queued import; a second delivery finds it claimed and does nothing."""
    from imports import services

    services.run_import(job_id=job_id)
