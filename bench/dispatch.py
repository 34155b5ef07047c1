"""Benchmark: invitations a minute the dispatcher sends with one worker (target: >= 2,000).

    .venv/bin/python bench/dispatch.py --follow-ups 20000 [--repeat 3] [--database-url postgres://…]

On PostgreSQL (default: a dedicated database, created and migrated if missing), with the FileSmsBackend
writing to a temporary file. Each repeat sets up N due SMS follow-ups (one running campaign, customers in a
zone where it is about noon, so every message is allowed now), then runs the dispatch service in this one
process, as one worker's tick would, and measures invitations a minute. In the same run, as the ceiling:

- a raw loop doing just the SMS file appends (the FileSmsBackend, N messages of the same length);
- one raw SQL UPDATE of the same N rows to INVITED.

Medians of the repeats are written to docs/benchmarks/dispatch.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.common import create_database_if_missing  # noqa: E402
from bench.common import machine as bench_machine  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/wallet_bench_dispatch"
TARGET_PER_MINUTE = 2000


def _prepare_environment(database_url: str, work: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "1")
    os.environ["VAR_DIR"] = str(work / "var")
    os.environ["SMS_BACKEND"] = "surveys.messaging.FileSmsBackend"
    os.environ["SMS_FILE_PATH"] = str(work / "sms-outbox.jsonl")
    os.environ["DJANGO_SETTINGS_MODULE"] = "wallet_followup.settings"


def _noon_zone(now: datetime) -> str:
    offset = 12 - now.hour
    if offset > 12:
        offset -= 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def _reset_and_fill(count: int) -> list[int]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Customer
    from surveys.models import Campaign, FollowUp, Survey

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE surveys_contactattempt, surveys_followup, surveys_campaign, accounts_customer CASCADE")
    now = timezone.now()
    survey, _created = Survey.objects.get_or_create(
        key="bench",
        version=1,
        defaults={
            "title_zh": "钱包体验回访",
            "title_en": "Wallet experience follow-up",
            "status": Survey.Status.PUBLISHED,
            "published_at": now,
        },
    )
    campaign = Campaign.objects.create(
        slug="bench",
        name="Bench",
        survey=survey,
        status=Campaign.Status.RUNNING,
        channels=["sms"],
        allow_holidays=True,
        messages_per_minute=10_000_000,  # the throttle is not what is measured
    )
    zone = _noon_zone(now)
    customers = Customer.objects.bulk_create(
        (
            Customer(
                bank_reference=f"B{index:09d}",
                name=f"客户{index}",
                phone=f"+86135{index:08d}",
                language="zh-hans" if index % 3 else "en",
                time_zone=zone,
                consent_given_at=now - timedelta(days=90),
                consent_source="enrolment",
            )
            for index in range(count)
        ),
        batch_size=5000,
    )
    follow_ups = FollowUp.objects.bulk_create(
        (
            FollowUp(campaign=campaign, customer=customer, channel="sms", scheduled_for=now - timedelta(minutes=1))
            for customer in customers
        ),
        batch_size=5000,
    )
    return [f.pk for f in follow_ups]


def _run_dispatch(count: int, outbox: Path) -> tuple[float, int]:
    from django.conf import settings
    from django.utils import timezone

    from surveys import dispatch

    outbox.unlink(missing_ok=True)
    settings.SMS_FILE_PATH = str(outbox)
    started = time.perf_counter()
    report = dispatch.dispatch_due_follow_ups(now=timezone.now(), budget_seconds=3600)
    elapsed = time.perf_counter() - started
    if report.sent != count:
        raise SystemExit(f"the dispatcher sent {report.sent} of {count}: {report}")
    return elapsed, report.sent


def _run_raw_appends(count: int, outbox: Path) -> float:
    from django.conf import settings

    from surveys.messaging import FileSmsBackend

    outbox.unlink(missing_ok=True)
    settings.SMS_FILE_PATH = str(outbox)
    backend = FileSmsBackend()
    text = "钱包体验回访: how was your experience with our wallet? Tell us here: http://127.0.0.1:8000/s/" + "x" * 43
    started = time.perf_counter()
    for index in range(count):
        backend.send(to=f"+86135{index:08d}", text=text, idempotency_key=f"raw-{index}")
    return time.perf_counter() - started


def _run_raw_update(ids: list[int]) -> float:
    from django.db import connection, transaction

    from surveys.models import FollowUp

    FollowUp.objects.filter(id__in=ids).update(status="planned", attempts=0)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE surveys_followup SET status = 'invited', attempts = attempts + 1, updated_at = now() "
            "WHERE id = ANY(%s)",
            [ids],
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow-ups", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks" / "dispatch.md"))
    summary.add_argument(parser)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL")

    work = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    _prepare_environment(args.database_url, work)
    create_database_if_missing(args.database_url)
    import django

    django.setup()
    import logging

    logging.getLogger("surveys.dispatch").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    dispatch_times, append_times, update_times = [], [], []
    for repeat in range(1, args.repeat + 1):
        ids = _reset_and_fill(args.follow_ups)
        elapsed, sent = _run_dispatch(args.follow_ups, work / "dispatch-outbox.jsonl")
        dispatch_times.append(elapsed)
        append_times.append(_run_raw_appends(args.follow_ups, work / "raw-outbox.jsonl"))
        update_times.append(_run_raw_update(ids))
        print(
            f"repeat {repeat}: dispatcher {elapsed:.2f} s ({sent / elapsed * 60:,.0f}/min), "
            f"raw appends {append_times[-1]:.2f} s, raw UPDATE {update_times[-1]:.2f} s",
            flush=True,
        )

    n = args.follow_ups
    dispatch_s, append_s, update_s = (statistics.median(t) for t in (dispatch_times, append_times, update_times))
    per_minute = n / dispatch_s * 60
    ceiling_per_minute = n / append_s * 60
    met = per_minute >= TARGET_PER_MINUTE
    machine = bench_machine()
    report = f"""# Dispatcher benchmark

Run `{" ".join(["bench/dispatch.py", *sys.argv[1:]]) or "bench/dispatch.py"}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.

Target (issue 3, DESIGN.md): **≥ {TARGET_PER_MINUTE:,} invitations a minute with one worker.**

## Machine

| | |
|---|---|
| CPU | {machine["cpu"]} |
| memory | {machine["memory"]} |
| PostgreSQL | {machine["postgresql"]} (same machine) |
| Python | {machine["python"]} |

## What is measured

{n:,} due SMS follow-ups in one running campaign; `surveys.dispatch.dispatch_due_follow_ups` in one
process (one worker's tick; batches of DISPATCH_BATCH_SIZE, default 500) with the FileSmsBackend writing
to a temporary file. Per message: the re-check of the contact rules, a QUEUED ContactAttempt and the
link's hash (bulk, per batch), the rendered SMS in the customer's language, the backend call with its
idempotency key (file lock, append), and the SENT/INVITED bookkeeping (bulk, every 100 messages).
References in the same run: the same number of bare FileSmsBackend appends, and one raw SQL UPDATE of
the same rows to INVITED. Median of {len(dispatch_times)} repeats.

## Figures (median)

| work | time | per minute |
|---|---:|---:|
| dispatcher, {n:,} invitations | {dispatch_s:.2f} s | **{per_minute:,.0f}** |
| reference: raw SMS file appends only | {append_s:.2f} s | {ceiling_per_minute:,.0f} |
| reference: one raw SQL UPDATE of the rows | {update_s:.3f} s | {n / update_s * 60:,.0f} |

Dispatcher / raw appends: {dispatch_s / append_s:.1f}× the time of the appends alone.
All repeats (s): dispatcher {", ".join(f"{t:.2f}" for t in dispatch_times)};
appends {", ".join(f"{t:.2f}" for t in append_times)}; UPDATE {", ".join(f"{t:.3f}" for t in update_times)}.

**Target {"met" if met else "NOT met"}**: {per_minute:,.0f} invitations a minute against {TARGET_PER_MINUTE:,}
({per_minute / TARGET_PER_MINUTE:.1f}× the target).

The machine is shared (two cores, other jobs running at the same time), so the figures are a floor.
A real SMS provider's HTTP round trip (tens of ms per message, sent one at a time) would dominate these
numbers; the dispatcher's own cost per message is what this measures.
"""
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    summary.write(
        args.summary_json,
        [
            summary.row(
                "dispatcher, invitations a minute with one worker", figure=per_minute, unit="/min",
                target=f"≥ {TARGET_PER_MINUTE:,} /min", met=met, reference="raw SMS file appends",
                reference_figure=ceiling_per_minute,
            )
        ],
    )  # fmt: skip
    print(f"{per_minute:,.0f} invitations/min (target {TARGET_PER_MINUTE:,}); written to {output}")


if __name__ == "__main__":
    main()
