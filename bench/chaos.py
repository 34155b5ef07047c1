"""Fault scenarios: the whole stack (bench/stack.py) under a seeded campaign, one fault at a time.

    .venv/bin/python bench/chaos.py [--fast] [--only NAME …] [--customers N] [--redis-seconds S] [--seed N]

Each scenario seeds a campaign of its own (customers in zones where it is mid-day, a policy whose message
window is open now, SMS and e-mail mixed) due now, lets the dispatcher start, injects its fault while survey
answers are posted over HTTP and /health/ is polled, recovers, waits (bounded) for the dispatcher to finish,
and then checks from the database, the SMS file and the SMTP server's file:

- no invitation lost: every follow-up INVITED with exactly one SENT attempt (window-close: the rest PLANNED
  in their next window, with no SENT attempt);
- none sent twice: one SMS line per idempotency key, one SMTP delivery per Message-ID (raw duplicates counted);
- none sent outside its window: each SENT attempt's started_at allowed by the customer's rules, and each
  SMS/e-mail really handed over before the window's end (window-close);
- no accepted answer lost: every POST answered 302 has its response and answer stored, once;
- /health/ reported the outage while it lasted and was all ok again afterwards.

One line per scenario: ``PASS name (figures)`` or ``FAIL name: why``; the exit code is 1 if any failed.
--fast is the CI subset (tests/chaos/): kill -9 worker, Redis down 10 s, PostgreSQL restarts, SMTP failing.
Scenario window-close waits (at most 31 min, usually less) for a moment when a message window somewhere
closes about two minutes ahead: every window ends on a whole local hour, and zones put those ends at :00,
:15 and :30 UTC.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.common import first_answer, invite_with_links  # noqa: E402
from bench.stack import Stack  # noqa: E402
from tests.processes import wait_for  # noqa: E402

CSRF_SECRET = "c" * 32  # Django accepts the unmasked secret as the form token too
WINDOW_ENDS = {"mainland_china": 20, "united_states": 21, "hong_kong": 22}  # message windows' local end hour


# --- Data (in this process, through the ORM, against the stack's database) ----------------------------------
def setup_django(stack: Stack) -> None:
    os.environ.update(stack.environment(LOG_LEVEL="WARNING"))
    import django

    django.setup()


def midday_zones(now: datetime) -> list[str]:
    """Whole-hour zones where it is 11:00–15:59 now: every message window is open for hours yet."""
    zones = []
    for hours in range(-12, 15):
        if 11 <= (now.hour + hours) % 24 <= 15:
            zones.append(f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT")
    return zones


def window_closing(now: datetime, lead: float, within: float) -> tuple[str, str, datetime] | None:
    """(policy, zone, end) of a message window open now that ends between ``lead`` and ``within`` s from now."""
    from zoneinfo import ZoneInfo, available_timezones

    best = None
    for zone_name in sorted(available_timezones()):
        if zone_name.startswith(("posix", "right", "SystemV")) or "/" not in zone_name:
            continue
        local = now.astimezone(ZoneInfo(zone_name))
        for policy, hour in WINDOW_ENDS.items():
            end = local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)
            if lead <= (end - now).total_seconds() <= within and (best is None or end < best[2]):
                best = (policy, zone_name, end)
    return best


def rules(policy: str, zone: str):
    from accounts.models import Customer
    from surveys.dispatch import rules_for
    from surveys.models import Campaign

    return rules_for(Campaign(contact_policy=policy, allow_holidays=True), Customer(time_zone=zone))


def seed_campaign(slug: str, count: int, *, zones: list[str], policy: str, email_share: float, per_minute: int,
                  rng: random.Random) -> int:  # fmt: skip
    """A RUNNING campaign with ``count`` follow-ups due now; returns its id."""
    from django.utils import timezone

    from accounts.models import Customer
    from surveys.models import Campaign, FollowUp, Survey

    now = timezone.now()
    survey = Survey.objects.filter(key="wallet-follow-up", status=Survey.Status.PUBLISHED).order_by("-version").first()
    campaign = Campaign.objects.create(
        slug=slug, name=slug, survey=survey, status=Campaign.Status.RUNNING, channels=["sms", "email"],
        contact_policy=policy, allow_holidays=True, max_attempts=10, messages_per_minute=per_minute,
    )  # fmt: skip
    customers = Customer.objects.bulk_create(
        (
            Customer(
                bank_reference=f"{slug}-{index:06d}",
                name=f"客户{index}",
                phone=f"+86137{index:08d}",
                email=f"c{index}@{slug}.example",
                language="zh-hans" if index % 3 else "en",
                time_zone=rng.choice(zones),
                consent_given_at=now - timedelta(days=90),
                consent_source="enrolment",
            )  # fmt: skip
            for index in range(count)
        ),
        batch_size=2000,
    )
    FollowUp.objects.bulk_create(
        (
            FollowUp(
                campaign=campaign,
                customer=customer,
                scheduled_for=now - timedelta(minutes=1),
                channel="email" if rng.random() < email_share else "sms",
            )  # fmt: skip
            for customer in customers
        ),
        batch_size=2000,
    )
    return campaign.pk


def seed_links(slug: str, count: int) -> tuple[dict[str, int], dict[str, str]]:
    """Invited customers of a campaign of their own, for answers posted during the fault: {token: follow-up id}
    and the form fields of an answer to the first question."""
    from django.utils import timezone

    from accounts.models import Customer
    from surveys.models import Campaign, Survey

    now = timezone.now()
    survey = Survey.objects.filter(key="wallet-follow-up", status=Survey.Status.PUBLISHED).order_by("-version").first()
    campaign = Campaign.objects.create(slug=slug, name=slug, survey=survey, channels=["sms"])
    customers = Customer.objects.bulk_create(
        Customer(bank_reference=f"{slug}-{i:06d}", name=f"答{i}", phone=f"+86138{i:08d}") for i in range(count)
    )
    tokens = dict(invite_with_links(campaign, customers, now=now))
    return tokens, {**first_answer(survey), "csrfmiddlewaretoken": CSRF_SECRET}


def db_retry(function, *args, attempts: int = 30, **kwargs):
    """Run an ORM read, reconnecting while the database comes back (bounded: ``attempts`` × 1 s)."""
    from django.db import connection

    for attempt in range(attempts):
        try:
            return function(*args, **kwargs)
        except Exception:
            connection.close()
            if attempt == attempts - 1:
                raise
            time.sleep(1)
    return None


def statuses(campaign_id: int) -> Counter:
    from surveys.models import FollowUp

    return Counter(FollowUp.objects.filter(campaign_id=campaign_id).values_list("status", flat=True))


def sent_count(campaign_id: int) -> int:
    from surveys.models import ContactAttempt

    return ContactAttempt.objects.filter(follow_up__campaign_id=campaign_id, outcome="sent").count()


# --- Background: health polling and answers over HTTP -------------------------------------------------------
class Background(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval, self.stopped = interval, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.step()
            self.stopped.wait(self.interval)

    def finish(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


class HealthPoller(Background):
    def __init__(self, stack: Stack) -> None:
        super().__init__(0.5)
        self.stack, self.samples = stack, []

    def step(self) -> None:
        self.samples.append((time.time(), self.stack.health(timeout=3)))

    def down(self, check: str, start: float, end: float, detail: str = "") -> float:
        """Seconds between ``start`` and ``end`` during which /health/ said ``check`` was not ok."""
        bad = [t for t, body in self.samples if start <= t <= end and not _check_ok(body, check, detail)]
        return (bad[-1] - bad[0] + 0.5) if bad else 0.0

    def all_ok_after(self, moment: float) -> float | None:
        """Seconds after ``moment`` when /health/ first said everything was ok."""
        for t, body in self.samples:
            if t >= moment and body is not None and body.get("ok") is True:
                return t - moment
        return None


def _check_ok(body: dict | None, check: str, detail: str) -> bool:
    if body is None:  # the web tier did not answer at all
        return False
    if check == "database" and body.get("status") == 503:
        return False
    entry = body.get("checks", {}).get(check, {})
    return bool(entry.get("ok")) and not (detail and entry.get("detail", "").startswith(detail))


class Answerer(Background):
    """Posts one answer every ``interval`` seconds, each to a fresh link, until stopped or out of links."""

    def __init__(self, stack: Stack, tokens: dict[str, int], fields: dict[str, str], interval: float = 0.2) -> None:
        super().__init__(interval)
        self.stack, self.fields, self.todo = stack, urllib.parse.urlencode(fields).encode(), list(tokens)
        self.accepted: list[str] = []
        self.refused: Counter = Counter()

    def step(self) -> None:
        if not self.todo:
            return
        token = self.todo.pop()
        request = urllib.request.Request(  # noqa: S310 - our own server on loopback
            f"{self.stack.base_url}/s/{token}/", data=self.fields, method="POST",
            headers={"Cookie": f"csrftoken={CSRF_SECRET}", "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                self.refused[response.status] += 1
        except urllib.error.HTTPError as error:
            if error.code == 302:
                self.accepted.append(token)
            else:
                self.refused[error.code] += 1
        except OSError as error:
            self.refused[type(error).__name__] += 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- Verification -------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    name: str
    figures: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    kinds: list[str] = field(default_factory=list)  # one per failure: what tests/chaos/ tells apart

    def check(self, ok: bool, why: str, kind: str = "other") -> None:
        if not ok:
            self.failures.append(why)
            self.kinds.append(kind)

    def as_dict(self) -> dict:
        return {"figures": self.figures, "failures": self.failures, "kinds": self.kinds}

    def line(self) -> str:
        figures = ", ".join(f"{k}={v}" for k, v in self.figures.items())
        if self.failures:
            return f"FAIL {self.name}: {'; '.join(self.failures)} ({figures})"
        return f"PASS {self.name} ({figures})"


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def verify_sends(
    stack: Stack,
    campaign_id: int,
    outcome: Outcome,
    *,
    window_end: datetime | None = None,
    email_twice_allowed: int = 0,
) -> None:
    """Exactly-once and in-window, from the database, the SMS file and the SMTP file.

    SMTP has no idempotency key: an e-mail the server accepted just before its worker process died (or lost
    the database) is not yet recorded as sent and goes out again. The dispatcher records each e-mail as
    soon as it is accepted, so that is at most one e-mail per worker process interrupted:
    ``email_twice_allowed`` (the scenario's interruptions × the worker's processes). More is a failure;
    any SMS twice is one."""
    from surveys.dispatch import allowed_at
    from surveys.messaging import invitation_idempotency_key
    from surveys.models import ContactAttempt, FollowUp

    rows = FollowUp.objects.filter(campaign_id=campaign_id).select_related("customer", "campaign")
    follow_ups = {f.pk: f for f in rows}
    attempts = list(ContactAttempt.objects.filter(follow_up__campaign_id=campaign_id))
    sent = Counter(a.follow_up_id for a in attempts if a.outcome == "sent")
    by_outcome = Counter(a.outcome for a in attempts)
    sms_lines = Counter(line["idempotency_key"] for line in read_jsonl(stack.sms_file))
    sms_time = {line["idempotency_key"]: line["sent_at"] for line in read_jsonl(stack.sms_file)}
    smtp = read_jsonl(stack.smtp_file)
    smtp_lines = Counter(line["message_id"] for line in smtp)
    smtp_time = {line["message_id"]: line["time"] for line in smtp}
    status = Counter(f.status for f in follow_ups.values())
    outcome.figures.update(follow_ups=len(follow_ups), invited=status["invited"], attempts_failed=by_outcome["failed"])

    invited_wrong = [pk for pk, f in follow_ups.items() if f.status == "invited" and sent[pk] != 1]
    outcome.check(not invited_wrong, f"{len(invited_wrong)} invited follow-ups without exactly one SENT attempt")
    if window_end is None:
        outcome.check(status["invited"] == len(follow_ups), f"not all invited: {dict(status)}")
    else:
        rest = [f for pk, f in follow_ups.items() if f.status != "invited"]
        outcome.figures["planned_next_window"] = sum(1 for f in rest if f.status == "planned")
        outcome.check(all(f.status == "planned" for f in rest), f"left over, not planned: {dict(status)}")
        outcome.check(all(sent[f.pk] == 0 for f in rest), "a follow-up planned again although it was sent")
        early = [f for f in rest if f.scheduled_for is None or f.scheduled_for <= window_end]
        outcome.check(not early, f"{len(early)} planned before the window's end")

    sms_dupes = sms_missing = smtp_dupes = smtp_missing = outside = late = 0
    late_by = 0.0
    for attempt in attempts:
        if attempt.outcome != "sent":
            continue
        follow_up = follow_ups[attempt.follow_up_id]
        policy, calendar, zone = rules(follow_up.campaign.contact_policy, follow_up.customer.time_zone)
        if not allowed_at(attempt.started_at, zone, attempt.channel, policy, calendar, None, None):
            outside += 1
        if attempt.channel == "sms":
            key = invitation_idempotency_key(attempt_id=attempt.pk, started_at=attempt.started_at)
            sms_missing += sms_lines[key] == 0
            sms_dupes += max(0, sms_lines[key] - 1)
            handed = datetime.fromisoformat(sms_time[key]) if key in sms_time else None
        else:
            mid = attempt.provider_message_id
            smtp_missing += smtp_lines[mid] == 0
            smtp_dupes += max(0, smtp_lines[mid] - 1)
            handed = datetime.fromtimestamp(smtp_time[mid], UTC) if mid in smtp_time else None
        if window_end is not None and handed is not None and handed >= window_end:
            late += 1
            late_by = max(late_by, (handed - window_end).total_seconds())
    outcome.figures.update(sms_dupes=sms_dupes, smtp_dupes=smtp_dupes, outside_window=outside)
    outcome.check(sms_dupes == 0, f"{sms_dupes} SMS sent twice", "sms_twice")
    outcome.figures["smtp_dupes_allowed"] = email_twice_allowed
    outcome.check(
        smtp_dupes <= email_twice_allowed,
        f"{smtp_dupes} e-mails delivered twice (same Message-ID), more than {email_twice_allowed} (one per "
        "interrupted worker process)",
        "email_twice",
    )
    outcome.check(sms_missing == 0 and smtp_missing == 0, f"SENT but never handed over: {sms_missing} SMS, "
                                                          f"{smtp_missing} e-mails")  # fmt: skip
    outcome.check(outside == 0, f"{outside} attempts started outside the customer's window")
    if window_end is not None:
        outcome.figures["handed_after_end"] = late
        outcome.check(late == 0, f"{late} messages handed over after the window's end (up to {late_by:.1f} s)")


def verify_answers(answerer: Answerer, tokens: dict[str, int], outcome: Outcome) -> None:
    from surveys.models import Answer, Response

    ids = [tokens[t] for t in answerer.accepted]
    responses = Counter(Response.objects.filter(follow_up_id__in=ids).values_list("follow_up_id", flat=True))
    answers = Counter(Answer.objects.filter(response__follow_up_id__in=ids).values_list("response__follow_up_id",
                                                                                       flat=True))  # fmt: skip
    lost = sum(1 for pk in ids if responses[pk] != 1 or answers[pk] != 1)
    outcome.figures["answers"] = f"{len(ids)}/{len(ids) + sum(answerer.refused.values())}"
    if answerer.refused:
        outcome.figures["answer_errors"] = "+".join(f"{k}:{v}" for k, v in sorted(answerer.refused.items(), key=str))
    outcome.check(len(ids) > 0, "no answer was accepted at all")
    outcome.check(lost == 0, f"{lost} accepted answers not stored exactly once")


# --- Scenarios ----------------------------------------------------------------------------------------------
class Chaos:
    def __init__(self, stack: Stack, *, fast: bool, customers: int, redis_seconds: float, seed: int) -> None:
        self.stack, self.fast, self.customers, self.redis_seconds = stack, fast, customers, redis_seconds
        self.rng = random.Random(seed)
        self.count = 0

    # Shared steps
    def begin(self, name: str, *, per_minute: int = 3000, email_share: float = 0.2, count: int | None = None,
              zones=None, policy="mainland_china"):  # fmt: skip
        self.count += 1
        slug = f"{name}-{self.count}"
        zones = zones or midday_zones(datetime.now(UTC))
        campaign = seed_campaign(slug, count or self.customers, zones=zones, policy=policy, email_share=email_share,
                                 per_minute=per_minute, rng=self.rng)  # fmt: skip
        tokens, fields = seed_links(f"{slug}-answers", 150 if self.fast else 400)
        poller, answerer = HealthPoller(self.stack), Answerer(self.stack, tokens, fields)
        poller.start()
        answerer.start()
        return Outcome(name), campaign, tokens, poller, answerer

    def wait_sent(self, campaign: int, at_least: int, timeout: float = 120) -> bool:
        return wait_for(lambda: db_retry(sent_count, campaign) >= at_least, timeout=timeout, step=0.5)

    def wait_invited(self, campaign: int, timeout: float, outcome: Outcome | None = None) -> bool:
        total = self.customers

        def done() -> bool:
            if outcome is not None:
                self.supervise(outcome)
            return db_retry(statuses, campaign)["invited"] >= total

        return wait_for(done, timeout=timeout, step=1)

    def supervise(self, outcome: Outcome) -> None:
        """What systemd's Restart=always does in production: start again an app process that died by itself
        (not one the scenario stopped), and count it: a crash is a finding even when nothing is lost."""
        for name in ("web", "worker", "beat"):
            part = self.stack.parts.get(name)
            if part is not None and part.process is not None and not part.running:
                self.stack.start(name)
                outcome.figures[f"{name}_crashed_restarted"] = outcome.figures.get(f"{name}_crashed_restarted", 0) + 1

    def heal(self) -> None:
        """Every part running again, the SMTP server normal (between scenarios)."""
        self.stack.smtp_mode("normal")
        for name, part in self.stack.parts.items():
            if not part.running:
                self.stack.start(name)

    def finish(self, outcome, campaign, tokens, poller, answerer, *, fault: tuple[float, float], check: str,
               detail: str = "", timeout: float = 300, window_end=None, interruptions: int = 0) -> Outcome:  # fmt: skip
        started = time.monotonic()
        if window_end is None:
            self.wait_invited(campaign, timeout, outcome)
        crashes = outcome.figures.get("worker_crashed_restarted", 0)
        interrupted = (interruptions + crashes) * WORKER_PROCESSES
        outcome.figures["drain_s"] = round(time.monotonic() - started, 1)
        recovered = fault[1]
        wait_for(lambda: poller.all_ok_after(recovered) is not None, timeout=90, step=1)
        answerer.finish()
        poller.finish()
        down = poller.down(check, *fault, detail)
        ok_after = poller.all_ok_after(recovered)
        outcome.figures[f"health_{check}_down_s"] = round(down, 1)
        outcome.figures["health_ok_after_s"] = None if ok_after is None else round(ok_after, 1)
        outcome.check(down > 0, f"/health/ never reported {check} {detail or 'down'} during the fault")
        outcome.check(ok_after is not None, "/health/ did not come back to ok within 90 s of recovery")
        db_retry(verify_sends, self.stack, campaign, outcome, window_end=window_end, email_twice_allowed=interrupted)
        db_retry(verify_answers, answerer, tokens, outcome)
        return outcome

    # 1
    def kill9_worker(self) -> Outcome:
        # Unpaced, so the worker is busy sending when it is killed (claims held, attempts QUEUED).
        outcome, campaign, tokens, poller, answerer = self.begin("kill9-worker", per_minute=1_000_000)
        self.wait_sent(campaign, self.customers // 10)
        fault_start = time.time()
        self.stack.kill("worker")
        outcome.figures["sent_before_kill"] = db_retry(sent_count, campaign)
        outcome.figures["in_progress_at_kill"] = db_retry(statuses, campaign)["in_progress"]
        time.sleep(10)  # long enough for the queues' heartbeats to go stale (3 × 2 s)
        self.stack.start("worker")
        return self.finish(outcome, campaign, tokens, poller, answerer, fault=(fault_start, time.time()),
                           check="worker:dispatch", interruptions=1)  # fmt: skip

    # 2
    def redis_stop(self) -> Outcome:
        outcome, campaign, tokens, poller, answerer = self.begin("redis-stop")
        self.wait_sent(campaign, self.customers // 5)
        fault_start = time.time()
        self.stack.stop_redis()
        time.sleep(self.redis_seconds)
        self.stack.start_redis()
        outcome.figures["redis_down_s"] = round(time.time() - fault_start, 1)
        return self.finish(outcome, campaign, tokens, poller, answerer, fault=(fault_start, time.time()),
                           check="broker")  # fmt: skip

    # 3
    def postgres_restart(self) -> Outcome:
        outcome, campaign, tokens, poller, answerer = self.begin("postgres-restart")
        self.wait_sent(campaign, self.customers // 5)
        fault_start = time.time()
        for mode in ("fast", "immediate"):
            moment = time.monotonic()
            self.stack.stop_postgres(mode=mode)
            time.sleep(3)
            self.stack.start_postgres()
            outcome.figures[f"{mode}_restart_s"] = round(time.monotonic() - moment, 1)
            time.sleep(5)
        return self.finish(outcome, campaign, tokens, poller, answerer, fault=(fault_start, time.time()),
                           check="database", interruptions=2)  # fmt: skip

    # 4
    def smtp_slow_then_failing(self) -> Outcome:
        outcome, campaign, tokens, poller, answerer = self.begin("smtp-slow-failing", email_share=0.5)
        self.wait_sent(campaign, self.customers // 10)
        slow_start = time.time()
        if not self.fast:
            self.stack.smtp_mode("slow", seconds=6)
            time.sleep(20)
        failing_start = time.time()
        self.stack.smtp_mode("failing")
        time.sleep(15 if self.fast else 30)
        self.stack.smtp_mode("normal")
        failing_end = time.time()
        # A failed e-mail is retried after RETRY_BACKOFF (10 min): instead of waiting, its retry time is moved
        # to now, as if the backoff had passed (the retry is still checked against the customer's window).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and db_retry(statuses, campaign)["invited"] < self.customers:
            db_retry(_advance_retries, campaign)
            time.sleep(2)
        result = self.finish(outcome, campaign, tokens, poller, answerer, fault=(failing_start, failing_end),
                             check="email", detail="failing", timeout=30)  # fmt: skip
        if not self.fast:
            slow = poller.down("email", slow_start, failing_start, "slow")
            result.figures["health_email_slow_s"] = round(slow, 1)
            result.check(slow > 0, "/health/ never reported the e-mail as slow")
        return result

    # 5
    def window_close(self, closing: tuple[str, str, datetime]) -> Outcome:
        policy, zone, end = closing
        count = self.customers // 2
        seconds_left = (end - datetime.now(UTC)).total_seconds()
        # Paced so that about half is sent before the worker goes down 25 s before the window's end.
        per_minute = max(60, int(count / 2 / max(seconds_left - 25, 10) * 60))
        outcome, campaign, tokens, poller, answerer = self.begin(
            "window-close", per_minute=per_minute, count=count, zones=[zone], policy=policy
        )
        outcome.figures.update(zone=zone, policy=policy, window_end=f"{end:%H:%M:%S}Z")
        wait_for(lambda: datetime.now(UTC) >= end - timedelta(seconds=25), timeout=300, step=0.5)
        fault_start = time.time()
        self.stack.kill("worker")
        outcome.figures["sent_before_end"] = db_retry(sent_count, campaign)
        wait_for(lambda: datetime.now(UTC) >= end + timedelta(seconds=15), timeout=300, step=0.5)
        self.stack.start("worker")
        fault_end = time.time()
        # Nothing due remains: abandoned claims recovered (CLAIM_TIMEOUT_SECONDS) and re-planned.
        wait_for(lambda: db_retry(statuses, campaign)["in_progress"] == 0, timeout=180, step=1)
        wait_for(lambda: db_retry(_due_now, campaign) == 0, timeout=60, step=1)
        self.customers_saved, self.customers = self.customers, count
        try:
            return self.finish(outcome, campaign, tokens, poller, answerer, fault=(fault_start, fault_end),
                               check="worker:dispatch", window_end=end, interruptions=1)  # fmt: skip
        finally:
            self.customers = self.customers_saved


def _advance_retries(campaign_id: int) -> None:
    from django.utils import timezone

    from surveys.models import FollowUp

    now = timezone.now()
    FollowUp.objects.filter(campaign_id=campaign_id, status="planned", scheduled_for__gt=now).update(scheduled_for=now)


def _due_now(campaign_id: int) -> int:
    from django.utils import timezone

    from surveys.models import FollowUp

    return FollowUp.objects.filter(
        campaign_id=campaign_id, status__in=["planned", "in_progress"], scheduled_for__lte=timezone.now()
    ).count()


WORKER_PROCESSES = 2  # Stack.add_worker's default concurrency

FAST = ("kill9-worker", "redis-stop", "postgres-restart", "smtp-slow-failing")
ALL = (*FAST, "window-close")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the CI subset, shortened")
    parser.add_argument("--only", nargs="*", choices=ALL)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--redis-seconds", type=float)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--json", type=Path, help="also write each scenario's figures and failures here")
    parser.add_argument("--max-wait", type=float, default=31 * 60, help="longest wait for a window to close")
    args = parser.parse_args(argv)
    names = args.only or (FAST if args.fast else ALL)
    customers = args.customers or (600 if args.fast else 3000)
    redis_seconds = args.redis_seconds or (10 if args.fast else 60)
    work = args.work or Path(tempfile.mkdtemp(prefix="chaos-"))
    # The answers all come from 127.0.0.1 but stand for many customers: the per-IP limit is lifted.
    stack = Stack(work, queue_prefix="chaos-", extra_env={"SURVEY_RATE_PER_IP_PER_MINUTE": "1000000"})
    started = time.monotonic()
    failed = False
    results: dict[str, dict] = {}
    try:
        stack.start_all()
        setup_django(stack)
        chaos = Chaos(stack, fast=args.fast, customers=customers, redis_seconds=redis_seconds, seed=args.seed)
        print(f"stack up in {time.monotonic() - started:.0f} s in {work}", flush=True)
        methods = {
            "kill9-worker": chaos.kill9_worker,
            "redis-stop": chaos.redis_stop,
            "postgres-restart": chaos.postgres_restart,
            "smtp-slow-failing": chaos.smtp_slow_then_failing,
        }
        pending = list(names)
        while pending:
            closing = window_closing(datetime.now(UTC), lead=100, within=160) if "window-close" in pending else None
            if closing is not None:
                name = "window-close"
            elif pending == ["window-close"]:
                wait_for(lambda: window_closing(datetime.now(UTC), 100, 160) is not None, timeout=args.max_wait, step=5)
                closing = window_closing(datetime.now(UTC), lead=90, within=160)
                if closing is None:
                    print("FAIL window-close: no message window closing within --max-wait", flush=True)
                    failed = True
                    break
                name = "window-close"
            else:
                name = next(n for n in pending if n != "window-close")
            pending.remove(name)
            moment = time.monotonic()
            try:
                outcome = chaos.window_close(closing) if name == "window-close" else methods[name]()
            except Exception as exc:  # a scenario that crashes is a failed scenario, and the others still run
                outcome = Outcome(name, failures=[f"{type(exc).__name__}: {exc}"], kinds=["crash"])
            outcome.figures["scenario_s"] = round(time.monotonic() - moment, 1)
            print(outcome.line(), flush=True)
            results[name] = outcome.as_dict()
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str))
            failed |= bool(outcome.failures)
            chaos.heal()
    finally:
        stack.close()
    print(f"chaos: {len(names)} scenarios in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
