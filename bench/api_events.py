"""Benchmark: wallet events posted to the HTTP API by 8 concurrent clients under gunicorn, beside a trivial view.

    .venv/bin/python bench/api_events.py [--repeat 3] [--seconds 20] [--connections 8] [--customers 50000]
                                         [--batch 50] [--workers 4] [--drain-seconds 300]

Target (issue 7): ≥ 500 events/s posted by 8 concurrent clients under gunicorn, with no errors, and every
accepted event stored exactly once. Measured two ways: one event per request (POST /api/v1/wallet-events/)
and ``--batch`` events per request (POST /api/v1/wallet-events/batch/, for bulk senders).

Setup: a PostgreSQL database of its own (created and migrated if missing), ``--customers`` customers, one
running event-triggered campaign listening for failed payments (so new events ask for the planning of their
follow-ups, as in production), and one integration with the ``events:write`` scope and a token issued by
integrations.services. gunicorn with ``--workers`` sync workers (default 4, the Procfile's WEB_CONCURRENCY)
and production settings (DEBUG off, Redis cache and broker), plus the trivial view of bench/benchsite.py as
the reference. A Celery worker (concurrency 2, a queue of its own) plans the waiting events once the load has
stopped: in production workers run on machines of their own, and here one sharing the two cores would
measure the planner rather than the API; how many it planned in ``--drain-seconds`` is reported beside the
figures. API_RATE_PER_MINUTE is set to 10,000,000 in the benchmark's environment: the bench integration
posts far above the production default of 600 requests a minute, and a 429 would measure the rate limit,
not the API.

The load comes from wrk (Debian: ``apt-get install -y wrk``) on 127.0.0.1 with 8 connections and a Lua
script giving every event a distinct bank reference (run, phase, thread, counter) and rotating over the
customers, for a fixed time. Then the database is checked: every event answered 201 is stored exactly once
and nothing was answered 200 (a replay). Last, in one process, the queries and a profile of one event POST.
Medians of the repeats are written to docs/benchmarks/api.md (its Notes section, written by hand, is kept).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.common import machine as bench_machine  # noqa: E402
from bench.common import prepare_http_benchmark, start_gunicorn, stop  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/wallet_bench_api"
PORT = 8766  # not bench/survey_http.py's 8765: both can run on one machine
PREFIX = "bench-api-events-"
QUEUES = [f"{PREFIX}{kind}" for kind in ("dispatch", "messages", "analytics")]
TARGET_PER_SECOND = 500
RATE_PER_MINUTE = 10_000_000
EVENTS_PATH = "/api/v1/wallet-events/"
BATCH_PATH = "/api/v1/wallet-events/batch/"
NOTES = "\n## Notes\n"


def _environment(database_url: str, work: Path) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.benchsite",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://bench.invalid",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        "CELERY_QUEUE_PREFIX": PREFIX,
        "API_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(work / "var"),
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    (work / "var").mkdir(parents=True, exist_ok=True)
    return env


# --- Data ---------------------------------------------------------------------------------------------


def _fill(customers: int) -> str:
    """Customers, a running event campaign for failed payments and an integration; the token in clear."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Customer, EvidenceSource
    from integrations import services
    from integrations.models import Scope
    from surveys.models import Campaign, Survey

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE integrations_apicall, integrations_integrationtoken, integrations_integration, "
            "surveys_answer, surveys_response, surveys_contactattempt, surveys_followup, surveys_campaign, "
            "accounts_walletevent, accounts_customer CASCADE"
        )
    now = timezone.now()
    survey = Survey.objects.filter(key="wallet-follow-up", status=Survey.Status.PUBLISHED).order_by("-version").first()
    if survey is None:
        raise SystemExit("the starter survey (key wallet-follow-up) is missing: did the migrations run?")
    Campaign.objects.create(
        slug="bench-events",
        name="Bench: failed payments",
        survey=survey,
        channels=["sms"],
        status=Campaign.Status.RUNNING,
        trigger=Campaign.Trigger.EVENT,
        trigger_event_kinds=["payment_failed"],
    )
    Customer.objects.bulk_create(
        (
            Customer(
                bank_reference=f"B{index:09d}",
                name=f"客户{index}",
                phone=f"+86137{index:08d}",
                language="zh-hans" if index % 3 else "en",
                consent_given_at=now,
                consent_source=EvidenceSource.ENROLMENT,
            )
            for index in range(customers)
        ),
        batch_size=5000,
    )
    _integration, token = services.create_integration(name="bench", scopes=[Scope.EVENTS_WRITE])
    return token


def _purge_queue() -> None:
    from wallet_followup.celery import app

    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


# --- Load ---------------------------------------------------------------------------------------------

# Each wrk thread has its own Lua state: `thread_id` is set by setup() in the main state, the counters are
# read back from every thread in done(). A request's reference is <run>-<phase>-<thread>-<counter>: unique.
_LUA = r"""
local threads = {}
local started = 0
function setup(thread)
  started = started + 1
  thread:set("thread_id", started)
  table.insert(threads, thread)
end

function init(args)
  created, replayed, refused = 0, 0, 0
  counter = 0
  prefix = os.getenv("BENCH_PREFIX")
  customers = tonumber(os.getenv("BENCH_CUSTOMERS"))
  offset = tonumber(os.getenv("BENCH_OFFSET"))
  occurred = os.getenv("BENCH_OCCURRED_AT")
  batch = tonumber(os.getenv("BENCH_BATCH"))
  headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
             ["Content-Type"] = "application/json"}
end

local function event()
  counter = counter + 1
  local customer = (offset + counter * 16 + thread_id) % customers
  return string.format(
    '{"bank_reference":"%s-%d-%d","customer_reference":"B%09d","kind":"payment_failed",' ..
    '"occurred_at":"%s","access_channel":"app","details":{"amount":"120.00","currency":"CNY"}}',
    prefix, thread_id, counter, customer, occurred)
end

request = function()
  local body
  if batch > 0 then
    local events = {}
    for i = 1, batch do events[i] = event() end
    body = '{"events":[' .. table.concat(events, ",") .. ']}'
  else
    body = event()
  end
  return wrk.format("POST", os.getenv("BENCH_PATH"), headers, body)
end

-- A batch answered 201 stored all its events: every reference is new.
response = function(status, headers, body)
  if status == 201 then created = created + math.max(batch, 1)
  elseif status == 200 then replayed = replayed + 1
  else refused = refused + 1 end
end

done = function(summary, latency, requests)
  local c, r, x = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("replayed")
    x = x + thread:get("refused")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"seconds\": %f, \"created\": %d, \"replayed\": %d, \"refused\": %d, " ..
    "\"socket_errors\": %d, \"p50\": %f, \"p95\": %f, \"p99\": %f}\n",
    summary.requests, summary.duration / 1e6, c, r, x, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""

_TRIVIAL_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"seconds\": %f, \"non_2xx\": %d, \"socket_errors\": %d, " ..
    "\"p50\": %f, \"p95\": %f, \"p99\": %f}\n",
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _wrk(work: Path, script: str, path: str, seconds: int, connections: int, env: dict[str, str]) -> dict:
    script_path = work / f"load-{abs(hash(script))}.lua"
    script_path.write_text(script, encoding="utf-8")
    command = [
        "wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
        "-s", str(script_path), f"http://127.0.0.1:{PORT}{path}",
    ]  # fmt: skip
    output = subprocess.run(  # noqa: S603 - wrk on 127.0.0.1, fixed arguments
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(re.search(r"^BENCH (.*)$", output, re.M).group(1))
    result["rps"] = result["requests"] / result["seconds"]
    if "created" in result:
        result["errors"] = result["refused"] + result["replayed"] + result["socket_errors"]
        result["accepted_per_second"] = result["created"] / result["seconds"]
    else:
        result["errors"] = result["non_2xx"] + result["socket_errors"]
    return result


def _post_events(
    work: Path, *, token: str, prefix: str, offset: int, customers: int, seconds: int, connections: int, batch: int = 0
):
    """wrk posting new events for ``seconds``: one per request, or ``batch`` per request to the batch endpoint."""
    occurred_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    path = BATCH_PATH if batch else EVENTS_PATH
    env = {
        "BENCH_TOKEN": token,
        "BENCH_PREFIX": prefix,
        "BENCH_OFFSET": str(offset),
        "BENCH_CUSTOMERS": str(customers),
        "BENCH_OCCURRED_AT": occurred_at,
        "BENCH_PATH": path,
        "BENCH_BATCH": str(batch),
    }
    return _wrk(work, _LUA, path, seconds, connections, env)


def _trivial(work: Path, *, seconds: int, connections: int) -> dict:
    return _wrk(work, _TRIVIAL_LUA, "/bench/trivial/", seconds, connections, {})


# --- gunicorn and the Celery worker -------------------------------------------------------------------


def _start_worker(work: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    log = (work / "celery.log").open("w")
    return subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [str(celery), "-A", "wallet_followup", "worker", "-Q", ",".join(QUEUES), "-c", "2", "--loglevel", "WARNING"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for_planning(prefix: str, timeout: float) -> tuple[int, float]:
    """Wait until the worker has planned every stored event of this run; (events left, seconds waited)."""
    from accounts.models import WalletEvent

    started = time.monotonic()
    pending = WalletEvent.objects.filter(bank_reference__startswith=prefix, follow_up_planned_at__isnull=True)
    left = pending.count()
    while left and time.monotonic() - started < timeout:
        time.sleep(2)
        left = pending.count()
    return left, time.monotonic() - started


# --- Checks and where the time goes -------------------------------------------------------------------


def _stored(prefix: str) -> dict:
    from django.db.models import Count

    from accounts.models import WalletEvent
    from integrations.models import ApiCall
    from surveys.models import FollowUp

    events = WalletEvent.objects.filter(bank_reference__startswith=prefix)
    duplicated = events.values("bank_reference").annotate(n=Count("id")).filter(n__gt=1).count()
    follow_ups = FollowUp.objects.filter(wallet_event__bank_reference__startswith=prefix)
    return {
        "events": events.count(),
        "duplicated": duplicated,
        "planned": events.filter(follow_up_planned_at__isnull=False).count(),
        "logged_201": ApiCall.objects.filter(path=EVENTS_PATH, status=201).count(),
        "logged_batches_201": ApiCall.objects.filter(path=BATCH_PATH, status=201).count(),
        "follow_ups": dict(follow_ups.values_list("status").annotate(n=Count("id")).order_by("status")),
        "follow_ups_total": follow_ups.count(),
    }


def _profile(token: str, customers: int) -> dict:
    """Queries and the top functions of one event POST, in this process (the test client)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    occurred_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    counter = iter(range(10**9))

    def post():
        number = next(counter)
        body = {
            "bank_reference": f"profile-{secrets.token_hex(4)}-{number}",
            "customer_reference": f"B{number % customers:09d}",
            "kind": "payment_failed",
            "occurred_at": occurred_at,
            "access_channel": "app",
            "details": {"amount": "120.00", "currency": "CNY"},
        }
        return client.post(EVENTS_PATH, json.dumps(body), content_type="application/json")

    post()  # warm
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = post()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(200):
        post()
    profiler.disable()
    elapsed = (time.perf_counter() - started) / 200 * 1000
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
    return {
        "status": response.status_code,
        "queries": [" ".join(sql.split())[:160] for sql in queries],
        "ms": elapsed,
        "profile": stream.getvalue(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50, help="events per request to the batch endpoint")
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn sync workers (the Procfile's default WEB_CONCURRENCY)"
    )
    parser.add_argument("--drain-seconds", type=int, default=300, help="how long the worker may take to plan")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks" / "api.md"))
    summary.add_argument(parser)
    args = parser.parse_args()
    work = prepare_http_benchmark(args.database_url, prefix="bench-api-", environment=_environment)
    token = _fill(args.customers)
    _purge_queue()
    run = f"bench{secrets.token_hex(3)}"

    server = start_gunicorn(work, port=PORT, workers=args.workers)
    runs: dict[str, list[dict]] = {"trivial": [], "events": [], "batches": []}
    try:
        # Warm-up: imports, connections, the token's and the campaign's first reads.
        _trivial(work, seconds=3, connections=args.connections)
        warm = _post_events(
            work, token=token, prefix=f"{run}-0", offset=0, customers=args.customers, seconds=3,
            connections=args.connections,
        )  # fmt: skip
        offset = warm["requests"]
        for repeat in range(1, args.repeat + 1):
            runs["trivial"].append(_trivial(work, seconds=args.seconds, connections=args.connections))
            runs["events"].append(
                _post_events(
                    work,
                    token=token,
                    prefix=f"{run}-{repeat}",
                    offset=offset,
                    customers=args.customers,
                    seconds=args.seconds,
                    connections=args.connections,
                )  # fmt: skip
            )
            offset += runs["events"][-1]["requests"]
            runs["batches"].append(
                _post_events(
                    work,
                    token=token,
                    prefix=f"{run}-b{repeat}",
                    offset=offset,
                    customers=args.customers,
                    seconds=args.seconds,
                    connections=args.connections,
                    batch=args.batch,
                )  # fmt: skip
            )
            offset += runs["batches"][-1]["requests"] * args.batch
            trivial, events, batches = runs["trivial"][-1], runs["events"][-1], runs["batches"][-1]
            print(
                f"repeat {repeat}: trivial {trivial['rps']:.0f} req/s p99 {trivial['p99']:.1f} ms; "
                f"events {events['accepted_per_second']:.0f}/s accepted, p50 {events['p50']:.1f} "
                f"p95 {events['p95']:.1f} p99 {events['p99']:.1f} ms, errors {events['errors']}; "
                f"in batches of {args.batch} {batches['accepted_per_second']:.0f}/s, p99 {batches['p99']:.1f} ms, "
                f"errors {batches['errors']}",
                flush=True,
            )
    finally:
        stop(server)
    # The planning queued by the events runs after the load: in production workers have machines of their
    # own, and here a worker sharing the two cores would measure the planner, not the API.
    worker = _start_worker(work)
    try:
        left, drained_in = _wait_for_planning(run, timeout=args.drain_seconds)
    finally:
        stop(worker)

    accepted = warm["created"] + sum(r["created"] for name in ("events", "batches") for r in runs[name])
    stored = _stored(run)
    profile = _profile(token, args.customers)  # after the checks: its events have their own prefix
    _purge_queue()
    keys = ("rps", "p50", "p95", "p99")
    median = {name: {key: statistics.median(r[key] for r in results) for key in keys} for name, results in runs.items()}
    for name in ("events", "batches"):
        median[name]["accepted_per_second"] = statistics.median(r["accepted_per_second"] for r in runs[name])
    verification = {"accepted": accepted, "unplanned": left, "drained_in": drained_in, **stored}
    _write_report(args, runs, median, verification, profile, bench_machine(), Path(args.output))


def _write_report(args, runs, median, verification, profile, machine, output: Path) -> None:
    events, batches, trivial = median["events"], median["batches"], median["trivial"]
    errors = {name: sum(r["errors"] for r in results) for name, results in runs.items()}
    # wrk stops counting at the deadline; a request in flight then may still be stored (and logged 201).
    # Every reference is new, so a batch answered 201 stored all of its events.
    logged_events = verification["logged_201"] + verification["logged_batches_201"] * args.batch
    exactly_once = (
        verification["events"] == logged_events >= verification["accepted"] and verification["duplicated"] == 0
    )
    checks = [
        (
            f"≥ {TARGET_PER_SECOND} events/s accepted with {args.connections} clients, "
            f"posted in batches of {args.batch}",
            batches["accepted_per_second"] >= TARGET_PER_SECOND,
            f"{batches['accepted_per_second']:,.0f} events/s",
        ),
        (
            f"≥ {TARGET_PER_SECOND} events/s accepted with {args.connections} clients, one event per request",
            events["accepted_per_second"] >= TARGET_PER_SECOND,
            f"{events['accepted_per_second']:,.0f} events/s",
        ),
        (
            "no errors (non-201 answers, socket errors)",
            not any(errors.values()),
            f"events {errors['events']}, batches {errors['batches']}",
        ),
        (
            "every accepted event stored exactly once",
            exactly_once,
            f"{verification['accepted']:,} answered 201, {verification['events']:,} stored, "
            f"{verification['logged_201']:,} single posts and {verification['logged_batches_201']:,} batches "
            f"logged 201, {verification['duplicated']} references stored twice",
        ),
        (
            "every stored event's follow-ups planned by the worker within the drain time",
            verification["unplanned"] == 0 and verification["planned"] == verification["events"],
            f"{verification['planned']:,} planned by the worker in {verification['drained_in']:.0f} s "
            f"({verification['planned'] / max(verification['drained_in'], 1):,.0f} events/s), "
            f"{verification['unplanned']:,} left",
        ),
    ]
    every = "\n".join(
        f"- {name}: "
        + ", ".join(
            f"{r.get('accepted_per_second', r['rps']):,.0f}/s (p99 {r['p99']:.0f} ms, {r['errors']} errors)"
            for r in results
        )
        for name, results in runs.items()
    )
    statuses = ", ".join(f"{status} {count:,}" for status, count in verification["follow_ups"].items()) or "none"
    queries = "\n".join(f"  - `{sql}`" for sql in profile["queries"])
    table = "\n".join(
        f"| {label} | {m[rate]:,.0f} | {m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} |"
        for label, m, rate in (
            ("trivial view (reference), requests", trivial, "rps"),
            (f"POST {EVENTS_PATH}, events accepted (201)", events, "accepted_per_second"),
            (f"POST {BATCH_PATH}, {args.batch} a request, events accepted", batches, "accepted_per_second"),
        )
    )
    command = " ".join(["bench/api_events.py", *sys.argv[1:]])
    report = f"""# API benchmark: wallet events

Run `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.

Target (issue 7): **≥ {TARGET_PER_SECOND} events/s posted by {args.connections} concurrent clients under gunicorn**,
zero errors, every accepted event stored exactly once.

## Machine

| | |
|---|---|
| CPU | {machine["cpu"]} |
| memory | {machine["memory"]} |
| PostgreSQL | {machine["postgresql"]} (same machine, default configuration) |
| Python | {machine["python"]} |

gunicorn with **{args.workers} sync workers** (the Procfile's default WEB_CONCURRENCY), production settings
(DEBUG off, Redis cache and broker); new events ask for the planning of their follow-ups as in production,
and a Celery worker (concurrency 2) started after the load plans them for at most {args.drain_seconds} s (on
the same cores it would measure the planner); **API_RATE_PER_MINUTE = {RATE_PER_MINUTE:,}** in the
benchmark's environment only (the production default, 600 requests a minute per integration, would answer
most of these requests 429). wrk with 2 threads and {args.connections} connections on 127.0.0.1 for
{args.seconds} s per measurement, every event new (a distinct bank reference) for one of {args.customers:,}
customers, one per request or {args.batch} per request to the batch endpoint, with a bearer token of an
integration holding the `events:write` scope. One running event-triggered campaign listens for failed
payments. The load generator, gunicorn, the worker, PostgreSQL and Redis share the machine's cores.

## Figures (median of {args.repeat} repeats)

| endpoint | per second | p50 ms | p95 ms | p99 ms |
|---|---:|---:|---:|---:|
{table}

Events are {events["accepted_per_second"] / trivial["rps"]:.0%} of the trivial view's requests per second.

{chr(10).join(f"- {'✅' if ok else '❌'} {label}: {value}" for label, ok, value in checks)}

Every repeat:
{every}

Follow-ups of the benchmark's events after the queue drained: {verification["follow_ups_total"]:,}
({statuses}). A customer gets one open follow-up; the later events of the same customer are planned as
skipped follow-ups with their reason, as the contact rules require.

## Where the time goes

Queries of one event POST after warm-up (HTTP {profile["status"]}, {profile["ms"]:.1f} ms in-process with the
test client, same settings; the planning task is only queued here):

{queries}

Top of a cProfile of 200 POSTs (cumulative):

```
{profile["profile"][:7000]}
```
"""
    # The hand-written analysis below the figures (from "## Notes" on) survives a new run.
    notes = output.read_text(encoding="utf-8").partition(NOTES)[2] if output.exists() else ""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report + (NOTES + notes if notes else ""), encoding="utf-8")
    trivial_view = "trivial view"
    target = f"≥ {TARGET_PER_SECOND} events/s"
    summary.write(
        args.summary_json,
        [
            summary.row(
                f"API events, one a request, {args.connections} clients", figure=events["accepted_per_second"],
                unit="events/s", reference=trivial_view, reference_figure=trivial["rps"], reference_unit="req/s",
                target=target,
                met=events["accepted_per_second"] >= TARGET_PER_SECOND,
            ),
            summary.row(
                f"API events, {args.batch} a request, {args.connections} clients",
                figure=batches["accepted_per_second"], unit="events/s", reference=trivial_view,
                reference_figure=trivial["rps"], reference_unit="req/s", target=target,
                met=batches["accepted_per_second"] >= TARGET_PER_SECOND,
            ),
            summary.row(
                "API events stored (each exactly once)", figure=verification["events"], unit="events",
                reference="events answered 201", reference_figure=verification["accepted"],
                target="each accepted event exactly once, no errors", met=exactly_once and not any(errors.values()),
            ),
            summary.row(
                f"API events planned by the worker in {args.drain_seconds} s", figure=verification["planned"],
                unit="events", reference="events stored", reference_figure=verification["events"],
                target="all", met=verification["unplanned"] == 0 and verification["planned"] == verification["events"],
            ),
        ],
    )  # fmt: skip
    print(report.split("## Where the time goes")[0])
    print(f"written to {output}")


if __name__ == "__main__":
    main()
