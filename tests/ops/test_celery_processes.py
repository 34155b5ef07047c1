"""Web, worker and beat are separate processes that really talk through the configured broker.

The broker is the embedded file-system transport by default and Redis when REDIS_URL is set (CI).
"""

import pytest

from ops.models import Heartbeat
from ops.tasks import record_heartbeat
from tests import processes
from tests.processes import ROOT, CeleryProcesses, use_own_queue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]


@pytest.fixture
def queue(settings):
    yield from use_own_queue(settings)


@pytest.fixture
def start(queue):
    processes = CeleryProcesses(queue)
    yield processes.start
    processes.stop_all()


def wait_for(predicate) -> bool:
    return processes.wait_for(predicate, timeout=60.0, step=0.25)


def test_a_task_sent_from_the_web_process_runs_in_a_separate_worker(start, tmp_path):
    worker = start("worker", "--pool", "solo", "--loglevel", "WARNING")
    assert wait_for(lambda: Heartbeat.objects.filter(component="worker").exists()), "worker never started"

    record_heartbeat.delay(component="beat")

    assert wait_for(lambda: Heartbeat.objects.filter(component="beat").exists()), "the worker did not run the task"
    assert worker.poll() is None
    assert not (ROOT / "control").exists(), "the broker wrote its control folder into the source tree"


def test_beat_ticks_reach_the_worker_through_the_broker(start, tmp_path):
    schedule = tmp_path / "beat-schedule"
    start("worker", "--pool", "solo", "--loglevel", "WARNING")
    start("beat", "--loglevel", "WARNING", "--schedule", str(schedule))

    assert wait_for(lambda: Heartbeat.objects.filter(component="beat").exists()), "no beat tick arrived"
    first = Heartbeat.objects.get(component="beat").last_seen
    assert wait_for(lambda: Heartbeat.objects.get(component="beat").last_seen > first), "beat ticked only once"


def test_a_worker_on_one_queue_answers_only_that_queues_heartbeat(start, queue, tmp_path):
    start("worker", "--pool", "solo", "--loglevel", "WARNING", "-Q", f"{queue}messages")
    start("beat", "--loglevel", "WARNING", "--schedule", str(tmp_path / "beat-schedule"))

    assert wait_for(lambda: Heartbeat.objects.filter(component="worker:messages").exists()), "no heartbeat ran"
    # Beat sent the same ticks to the other queues; nobody consumes them.
    components = set(Heartbeat.objects.values_list("component", flat=True))
    assert "worker:dispatch" not in components
    assert "worker:analytics" not in components
