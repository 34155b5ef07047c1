"""Each kind of work travels on its own queue, so each can have workers of its own (wallet_followup/queues.py)."""

import pytest

from wallet_followup import queues
from wallet_followup.celery import app


def queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name, (), {})
    return route["queue"].name


@pytest.fixture(autouse=True)
def registered_tasks():
    app.loader.import_default_modules()  # register the tasks as a worker would


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("surveys.dispatch_due_follow_ups", "dispatch"),
        ("surveys.recover_abandoned_claims", "dispatch"),
        ("surveys.plan_campaign", "dispatch"),
        ("surveys.plan_pending_event_follow_ups", "dispatch"),
        ("surveys.queue_due_reminders", "dispatch"),
        ("surveys.send_invitations", "messages"),
        ("surveys.send_case_digest", "messages"),
        ("analytics.refresh_rollups", "analytics"),
        ("imports.run_import", "analytics"),
        ("privacy.apply_retention", "analytics"),
        ("integrations.purge_api_calls", "analytics"),
    ],
)
def test_each_task_travels_on_its_kind_of_queue(settings, task, queue):
    settings.CELERY_QUEUE_PREFIX = ""
    assert task in app.tasks
    assert queue_of(task) == queue


def test_every_registered_task_of_ours_has_a_queue_a_default_worker_consumes(settings):
    settings.CELERY_QUEUE_PREFIX = ""
    consumed = set(app.amqp.queues)  # what a worker started without -Q listens to
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours
    for name in ours:
        assert queue_of(name) in consumed, name


def test_the_prefix_keeps_deployments_sharing_one_redis_apart(settings):
    settings.CELERY_QUEUE_PREFIX = "bank-b-"
    assert queue_of("surveys.send_invitations") == "bank-b-messages"
    assert queue_of("ops.tasks.record_heartbeat") == "bank-b-dispatch"


def test_an_unknown_kind_of_queue_is_refused():
    with pytest.raises(ValueError, match="unknown queue kind 'bulk'"):
        queues.queue_name("bulk")
