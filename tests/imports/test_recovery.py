"""An import whose worker was lost does not leave its page waiting for ever."""

from datetime import UTC, datetime, timedelta

import pytest

from imports.models import ImportJob
from imports.recovery import STALE_AFTER, fail_stale_imports

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def job(**fields) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportJob.Kind.CUSTOMERS, original_name="customers.csv", stored_name="x.csv", size=10, **fields
    )


def test_an_import_running_longer_than_the_task_may_run_is_marked_failed_with_what_to_do():
    lost = job(status=ImportJob.Status.RUNNING, started_at=NOW - STALE_AFTER - timedelta(minutes=1))

    assert fail_stale_imports(now=NOW) == 1

    lost.refresh_from_db()
    assert lost.status == ImportJob.Status.FAILED
    assert "Run it again" in lost.error and "请重新运行" in lost.error
    assert lost.finished_at == NOW
    assert not lost.polling


def test_imports_still_within_their_time_and_finished_ones_are_left_alone():
    running = job(status=ImportJob.Status.RUNNING, started_at=NOW - timedelta(minutes=5))
    done = job(status=ImportJob.Status.DONE, started_at=NOW - timedelta(days=1))

    assert fail_stale_imports(now=NOW) == 0

    running.refresh_from_db()
    done.refresh_from_db()
    assert (running.status, done.status) == (ImportJob.Status.RUNNING, ImportJob.Status.DONE)
