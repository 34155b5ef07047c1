"""The fast part of the fault scenarios (bench/chaos.py --fast), against a whole stack of its own.

One run starts its own PostgreSQL cluster (initdb), redis-server, SMTP server, gunicorn, a Celery worker and
beat, and runs four shortened scenarios (about 3.5 minutes here): a worker killed with SIGKILL while it sends,
Redis down for 10 s, PostgreSQL restarted (fast, then immediate), the SMTP server failing. Each test reads one
scenario's verdict. A missing initdb or redis-server fails the run: nothing is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.processes


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("chaos")
    output = work / "results.json"
    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "chaos.py"), "--fast", "--work", str(work / "stack"),
         "--json", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (work / "chaos.log").write_text(run.stdout + run.stderr)
    assert output.exists(), f"the fault scenarios did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return json.loads(output.read_text())


def failures(results: dict, name: str, *, besides: tuple[str, ...] = ()) -> list[str]:
    assert name in results, f"scenario {name} did not run"
    scenario = results[name]
    return [why for why, kind in zip(scenario["failures"], scenario["kinds"], strict=True) if kind not in besides]


EMAIL_TWICE_AFTER_A_CRASH = (
    "known, reported to the lead: the dispatcher records SENT only every FINISH_EVERY messages, so a worker "
    "killed (or a database lost) between a hand-over and that record makes recovery resend the batch's "
    "QUEUED attempts; the SMS provider collapses them by idempotency key, SMTP cannot (surveys/dispatch.py)"
)


def test_a_worker_killed_mid_dispatch_loses_no_invitation_and_sends_no_sms_twice(results):
    assert failures(results, "kill9-worker", besides=("email_twice",)) == []


@pytest.mark.xfail(strict=True, reason=EMAIL_TWICE_AFTER_A_CRASH)
def test_a_worker_killed_mid_dispatch_delivers_no_email_twice(results):
    assert "email_twice" not in results["kill9-worker"]["kinds"]


def test_redis_down_loses_no_invitation_and_no_answer_and_health_says_so(results):
    assert failures(results, "redis-stop") == []


def test_postgresql_restarted_fast_and_immediate_loses_no_invitation_and_no_accepted_answer(results):
    # E-mails delivered twice are left out here: the same defect as above, but hit only when the database
    # goes away between a batch's hand-overs and its SENT record (0 and 73 duplicates in two runs), so no
    # test here can say which it will be. `make chaos` prints the figure (smtp_dupes).
    assert failures(results, "postgres-restart", besides=("email_twice",)) == []


def test_a_failing_mail_server_delays_e_mails_without_losing_or_doubling_any(results):
    assert failures(results, "smtp-slow-failing") == []
