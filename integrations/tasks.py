from celery import shared_task


@shared_task(name="integrations.purge_api_calls", soft_time_limit=10 * 60, time_limit=12 * 60)
def purge_api_calls() -> int:
    """Beat, daily: the API call log older than API_LOG_RETENTION_DAYS is deleted."""
    from django.utils import timezone

    from integrations import retention

    return retention.purge_api_calls(now=timezone.now())
