"""Load run of the whole stack: customers answer surveys while a campaign is dispatched (issue 9 §1).

    .venv/bin/python bench/fullstack.py --customers 100000 --seconds 120   # docs/benchmarks/fullstack.md
    .venv/bin/python bench/fullstack.py --quick                            # 10,000 customers, 30 s, < 5 min

Everything runs on this machine under bench/stack.py: its own PostgreSQL cluster and redis-server, an SMTP
server, gunicorn (production settings plus the trivial view of bench/benchurls.py), one Celery worker per
queue (dispatch, messages, analytics) and beat; SMS go through the FileSmsBackend. Steps:

1. Start the stack; fill its database (bench/load_data.py): the campaign's customers, an invited campaign's
   links for the customers who answer, agents with their calls, managers; staff sign in with TOTP.
2. The reference: the trivial view as fast as the customers' threads can ask, ``--trivial-seconds``.
3. The load (bench/load_client.py), ``--seconds``: the campaign is launched through the app's service as it
   starts (planning and dispatch run on the workers), customers answer surveys, agents work their queues,
   managers reload the dashboard; the number of SENT invitations is sampled every few seconds.
4. Drain: wait (at most ``--drain-seconds``) until nothing of the campaign is due any more.
5. Exactly once (bench/exactly_once.py): every accepted submission stored once with its answers; every due
   invitation SENT once, one SMS per idempotency key and follow-up, one e-mail per Message-ID and
   follow-up, none outside the customer's window.
6. Write the report: machine, settings, per-endpoint table, the reference, dispatch throughput, checks,
   the load average before and after, and the first errors if there were any.

Aims only at the stack's own addresses (127.0.0.1 by default); every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.common import add_load_arguments, links_needed  # noqa: E402
from bench.stack import Stack  # noqa: E402

SAMPLE_SECONDS = 5


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _sent_count(campaign_id: int) -> int:
    from surveys.models import ContactAttempt

    return ContactAttempt.objects.filter(follow_up__campaign_id=campaign_id, outcome="sent").count()


def _due_count(campaign_id: int, now: datetime) -> int:
    from surveys.models import FollowUp

    return FollowUp.objects.filter(
        campaign_id=campaign_id,
        status__in=(FollowUp.Status.PLANNED, FollowUp.Status.IN_PROGRESS),
        scheduled_for__lte=now,
    ).count()


def _planning(campaign_id: int) -> dict:
    from surveys.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    return {
        "status": campaign.planning_status,
        "planned": campaign.planned_count,
        "planned_at": campaign.planned_at,
        "exclusions": campaign.exclusions,
        "error": campaign.planning_error,
    }


def _cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack and by PostgreSQL: every live process of the part's
    process group, plus the children its leader has reaped (PostgreSQL: one backend per request, as the
    app does not keep connections); from /proc, in clock ticks."""
    tick = os.sysconf("SC_CLK_TCK")
    processes = []  # (pid, ppid, pgid, own ticks, reaped children's ticks)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        ppid, pgid = int(fields[1]), int(fields[2])
        processes.append((pid, ppid, pgid, int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])))
    usage = {}
    for name, part in stack.parts.items():
        if part.process is not None:
            leader = part.process.pid
            usage[name] = sum(
                own + (reaped if pid == leader else 0) for pid, _pp, g, own, reaped in processes if g == leader
            )
    with contextlib.suppress(OSError, ValueError):
        postmaster = int((stack.pgdata / "postmaster.pid").read_text().split()[0])
        usage["postgresql"] = sum(
            own + (reaped if pid == postmaster else 0)
            for pid, ppid, _g, own, reaped in processes
            if postmaster in (pid, ppid)
        )
    me = os.getpid()
    usage["load client"] = sum(own for pid, *_rest, own, _r in processes if pid == me)
    return {name: ticks / tick for name, ticks in usage.items()}


class SentSampler:
    """The campaign's SENT count every few seconds, from a thread of its own (one count query each)."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self.samples: list[tuple[float, int]] = []
        self.claims: list[tuple[int, float]] = []  # (follow-ups claimed and not sent yet, the oldest claim's age)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sent-sampler", daemon=True)

    def _run(self) -> None:
        from django.db import connection
        from django.db.models import Count, Min

        from surveys.models import FollowUp

        try:
            for _ in range(100_000):
                self.samples.append((time.monotonic(), _sent_count(self.campaign_id)))
                claimed = FollowUp.objects.filter(
                    campaign_id=self.campaign_id, status=FollowUp.Status.IN_PROGRESS
                ).aggregate(n=Count("id"), oldest=Min("claimed_at"))
                oldest = (datetime.now(UTC) - claimed["oldest"]).total_seconds() if claimed["oldest"] else 0.0
                self.claims.append((claimed["n"], oldest))
                if self.stopped.wait(SAMPLE_SECONDS):
                    return
        finally:
            connection.close()

    def __enter__(self) -> SentSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)

    def per_minute(self, start: float, end: float) -> tuple[int, float]:
        """Invitations sent between two monotonic moments, and that a minute."""
        during = [(t, n) for t, n in self.samples if start <= t <= end]
        if len(during) < 2:
            return 0, 0.0
        sent = during[-1][1] - during[0][1]
        return sent, sent / ((during[-1][0] - during[0][0]) / 60)


def _log_problems(stack: Stack) -> dict[str, dict[str, int]]:
    """Per part's log: tracebacks and ERROR lines (server-side trouble the client may not see), and the
    dispatcher's "recovered abandoned claims" warnings (claims that waited longer than CLAIM_TIMEOUT_SECONDS)."""
    found = {}
    for log in sorted((stack.work / "logs").glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        found[log.stem] = {
            "errors": sum(1 for line in lines if "Traceback" in line or " ERROR" in line or "ERROR/" in line),
            "recoveries": sum(1 for line in lines if "recovered abandoned claims" in line),
        }
    return found


def main() -> None:  # noqa: PLR0915 - one run, in the order of the module docstring
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser, customers=100_000, seconds=120, trivial_seconds=20, drain_seconds=2400, agents=8)
    parser.add_argument("--work", type=Path, default=None, help="the stack's folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, outbox, database files)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "fullstack.md")
    summary.add_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.customers, args.seconds, args.trivial_seconds = 10_000, 30, 10
        args.drain_seconds = min(args.drain_seconds, 150)
    links = links_needed(args)

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-fullstack-"))
    stack = Stack(
        work,
        queue_prefix="fullstack-",
        heartbeat_seconds=10,
        dispatch_seconds=args.dispatch_interval,
        claim_timeout_seconds=args.claim_timeout,
        web_workers=args.web_workers,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "bench.benchsite",  # the project plus the trivial view
            "TRUSTED_PROXY_COUNT": "1",  # customers come through a proxy, each from an address of their own
            "LOG_LEVEL": "WARNING",
        },
    )
    report: dict = {"command": " ".join(["bench/fullstack.py", *sys.argv[1:]]), "args": vars(args) | {"links": links}}
    try:
        started = time.monotonic()
        stack.start_postgres()
        stack.start_redis()
        stack.start_smtp()
        stack.migrate()
        os.environ.update(stack.environment())
        import django

        django.setup()
        from bench import exactly_once, load_client, load_data
        from bench.common import machine

        t = time.perf_counter()
        hold = timedelta(seconds=args.seconds + args.drain_seconds + 15 * 60)
        scenario = load_data.prepare(
            customers=args.customers,
            submitters=links,
            agents=args.agents,
            managers=args.managers,
            messages_per_minute=args.messages_per_minute,
            hold=hold,
        )
        scenario.save(work / "scenario.json")
        report["prepare_seconds"] = time.perf_counter() - t
        print(f"prepared {args.customers:,} customers and {links:,} links in {report['prepare_seconds']:.1f} s")

        stack.start_web()
        for kind, concurrency in (("dispatch", 1), ("messages", args.messages_concurrency), ("analytics", 1)):
            stack.add_worker(f"worker-{kind}", kinds=(kind,), concurrency=concurrency)
            stack.start(f"worker-{kind}")
        stack.add_beat()
        stack.start("beat")
        print(f"stack up in {time.monotonic() - started:.0f} s at {stack.base_url}")

        # 2. The reference.
        report["reference"] = load_client.measure_reference(
            stack.base_url, seconds=args.trivial_seconds, threads=args.submitters
        )

        # 3. The load, with the campaign launched as it starts.
        report["load_before"] = _load_average()
        recorder = load_client.Recorder()
        plan = load_client.LoadPlan(submitters=args.submitters, agents=args.agents, managers=args.managers)
        launched_at = datetime.now(UTC)
        load_data.launch(scenario, by_username=scenario.managers[0].username)
        with SentSampler(scenario.campaign_id) as sampler:
            client_cpu = resource.getrusage(resource.RUSAGE_SELF)
            cpu_before = _cpu_seconds(stack)
            load_started = time.monotonic()
            elapsed = load_client.run_load(stack.base_url, scenario, seconds=args.seconds, plan=plan, recorder=recorder)
            load_ended = time.monotonic()
            cpu_after = _cpu_seconds(stack)
            report["cpu"] = {name: (cpu_after[name] - cpu_before.get(name, 0.0)) / elapsed for name in cpu_after}
            used = resource.getrusage(resource.RUSAGE_SELF)
            report["client_cpu_share"] = (
                used.ru_utime + used.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime
            ) / elapsed
            report["load_after"] = _load_average()
            report["endpoints"] = recorder.summary(elapsed)
            report["load_seconds"] = elapsed
            report["errors"] = dict(recorder.error_kinds)
            report["error_samples"] = recorder.error_samples
            report["accepted"] = len(recorder.accepted)
            report["sign_ins"] = recorder.sign_ins
            print(f"load: {sum(e['requests'] for e in report['endpoints'].values()):,} requests in {elapsed:.0f} s, "
                  f"{sum(report['errors'].values())} errors, {len(recorder.accepted):,} surveys submitted")  # fmt: skip

            # 4. Drain.
            drain_started = time.monotonic()
            for tick in range(int(args.drain_seconds / SAMPLE_SECONDS) + 1):
                planning = _planning(scenario.campaign_id)
                due = _due_count(scenario.campaign_id, datetime.now(UTC))
                if planning["status"] in ("done", "failed") and not due:
                    break
                if tick % 12 == 0:
                    print(f"drain: {sampler.samples[-1][1] if sampler.samples else 0:,} sent, {due:,} due", flush=True)
                if time.monotonic() - drain_started >= args.drain_seconds:
                    break
                time.sleep(SAMPLE_SECONDS)
            drained_at = datetime.now(UTC)
            report["drain_seconds"] = time.monotonic() - drain_started
        samples = [*sampler.samples, (time.monotonic(), _sent_count(scenario.campaign_id))]
        report["claims"] = {
            "most_waiting": max((n for n, _age in sampler.claims), default=0),
            "oldest_age_s": max((age for _n, age in sampler.claims), default=0.0),
        }
        report["planning"] = _planning(scenario.campaign_id)
        report["launched_at"] = launched_at
        handed_over = _handed_over_at(stack, scenario.campaign_id)
        report["dispatch"] = _dispatch_figures(samples, load_started, load_ended, launched_at, handed_over)
        print(f"drained in {report['drain_seconds']:.0f} s: {report['dispatch']}")

        # 5. Exactly once.
        checks = [
            exactly_once.check_submissions(recorder.accepted),
            exactly_once.check_invitations(
                campaign_id=scenario.campaign_id,
                sms_records=exactly_once.read_jsonl(stack.sms_file),
                email_records=exactly_once.read_jsonl(stack.smtp_file),
                due_by=drained_at,
            ),
        ]
        for check in checks:
            print(check.line())
        report["checks"] = checks
        report["health"] = stack.health()
        report["log_problems"] = _log_problems(stack)
        report["machine"] = machine()
        report["zones"] = scenario.zones
        with (work / "report.pickle").open("wb") as kept:  # to write the report again from a kept run
            pickle.dump(report, kept)
        _write_report(report, args.output)
        summary.write(args.summary_json, _summary_rows(report))
        print(f"written to {args.output}")
    finally:
        stack.close()
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"kept {work}")


def _handed_over_at(stack: Stack, campaign_id: int) -> list[datetime]:
    """When each of the campaign's messages left: the SMS outbox's ``sent_at`` and the SMTP server's time of
    acceptance (the attempts' own timestamps are the batch's moment, taken before sending)."""
    from bench.exactly_once import EMAIL_ID, SMS_KEY, read_jsonl
    from surveys.models import ContactAttempt

    ours = set(ContactAttempt.objects.filter(follow_up__campaign_id=campaign_id).values_list("id", flat=True))

    def of_campaign(pattern, key) -> bool:
        match = pattern.match(str(key or ""))
        return match is not None and int(match.group(1)) in ours

    moments = [
        datetime.fromisoformat(r["sent_at"])
        for r in read_jsonl(stack.sms_file)
        if r.get("sent_at") and of_campaign(SMS_KEY, r.get("idempotency_key"))
    ]
    moments += [
        datetime.fromtimestamp(r["time"], UTC)
        for r in read_jsonl(stack.smtp_file)
        if r.get("time") and of_campaign(EMAIL_ID, r.get("message_id"))
    ]
    return sorted(moments)


def _dispatch_figures(samples, load_started: float, load_ended: float, launched_at, handed_over) -> dict:
    during = [(t, n) for t, n in samples if load_started <= t <= load_ended]
    in_load = (during[-1][1] - during[0][1]) if len(during) > 1 else 0
    load_minutes = (during[-1][0] - during[0][0]) / 60 if len(during) > 1 else 0
    figures = {
        "sent": samples[-1][1] if samples else 0,
        "handed_over": len(handed_over),
        "sent_during_load": in_load,
        "per_minute_during_load": in_load / load_minutes if load_minutes else 0.0,
    }
    if len(handed_over) > 1:
        first, last = handed_over[0], handed_over[-1]
        figures["first_after_launch_s"] = (first - launched_at).total_seconds()
        figures["all_sent_after_launch_s"] = (last - launched_at).total_seconds()
        figures["per_minute_first_to_last"] = len(handed_over) / max((last - first).total_seconds() / 60, 1e-9)
    # The best rate between two samples a minute or so apart.
    best = 0.0
    for i, (t0, n0) in enumerate(samples):
        for t1, n1 in samples[i + 1 :]:
            if t1 - t0 >= 55:
                best = max(best, (n1 - n0) / ((t1 - t0) / 60))
                break
    figures["peak_per_minute"] = best
    return figures


def _summary_rows(report: dict) -> list[dict]:
    """The headline figures for bench/run_all.py: throughput and the worst p99 beside the trivial view measured
    alone, errors, the dispatch rate during the load, and the exactly-once checks."""
    reference, endpoints = report["reference"], report["endpoints"].values()
    errors = sum(e["errors"] for e in endpoints)
    worst = max((e["p99"] for e in endpoints), default=0.0)
    rows = [
        summary.row(
            "full stack under load, requests/s (all endpoints)",
            figure=sum(e["rps"] for e in endpoints),
            unit="req/s",
            reference="trivial view alone",
            reference_figure=reference["rps"],
        ),
        summary.row(
            "full stack under load, worst endpoint p99",
            figure=worst,
            unit="ms",
            reference="trivial view alone, p99",
            reference_figure=reference["p99"],
        ),
        summary.row("full stack under load, errors", figure=errors, unit="", target="0", met=errors == 0),
        summary.row(
            "full stack, invitations sent a minute during the load",
            figure=report["dispatch"]["per_minute_during_load"],
            unit="/min",
        ),
    ]
    for check in report["checks"]:
        counted, figure = next(iter(check.figures.items()), ("", 0))  # submissions accepted, follow-ups due
        rows.append(
            summary.row(
                f"full stack, exactly once: {check.name}",
                figure=figure,
                unit=counted,
                target="no loss, no duplicate, none outside its window",
                met=check.ok,
            )
        )
    return rows


def _write_report(report: dict, output: Path) -> None:
    machine, args, reference = report["machine"], report["args"], report["reference"]
    trivial_rps, trivial_p50 = reference["rps"], reference["p50"]
    endpoints = report["endpoints"]
    total_requests = sum(e["requests"] for e in endpoints.values())
    total_errors = sum(e["errors"] for e in endpoints.values())
    rows = [
        f"| {name} | {e['requests']:,} | {e['rps']:.1f} | {e['p50']:.0f} | {e['p95']:.0f} | {e['p99']:.0f} | "
        f"{e['max']:.0f} | {e['p50'] / trivial_p50:.1f}× | {e['errors']} |"
        for name, e in endpoints.items()
    ]
    from bench.load_client import BUCKETS_MS

    histogram_head = " | ".join([*(f"< {b} ms" for b in BUCKETS_MS), "more"])
    histograms = [f"| {name} | " + " | ".join(str(n) for n in e["histogram"]) + " |" for name, e in endpoints.items()]
    dispatch, planning = report["dispatch"], report["planning"]
    checks = "\n".join(
        f"- {'✅' if c.ok else '❌'} **{c.name}**: " + ", ".join(f"{k} {v:,}" for k, v in c.figures.items())
        + "".join(f"\n  - {p}" for p in c.problems)
        for c in report["checks"]
    )  # fmt: skip
    errors = "\n".join(f"- {kind}: {n}" for kind, n in sorted(report["errors"].items())) or "- none"
    samples = "\n".join(f"    {s}" for s in report["error_samples"][:20])
    logs = ", ".join(f"{name} {n['errors']}" for name, n in report["log_problems"].items())
    cpu = ", ".join(f"{name} {share:.2f}" for name, share in sorted(report.get("cpu", {}).items(), key=lambda i: -i[1]))
    recoveries = sum(n["recoveries"] for n in report["log_problems"].values())
    survey_rps = sum(e["rps"] for name, e in endpoints.items() if name.startswith("survey"))
    reference_row = (
        f"| **trivial view, reference (alone, {args['submitters']} threads, {args['trivial_seconds']:.0f} s)** | "
        f"{reference['requests']:,} | {trivial_rps:.1f} | {trivial_p50:.0f} | {reference['p95']:.0f} | "
        f"{reference['p99']:.0f} | {reference['max']:.0f} | 1.0× | {reference['errors']} |"
    )
    planned_after = (
        (planning["planned_at"] - report["launched_at"]).total_seconds() if planning["planned_at"] else float("nan")
    )
    nan = float("nan")
    dispatch_lines = "\n".join(
        [
            f"- Planning: {planning['status']}, {planning['planned']:,} follow-ups planned "
            f"(left out: {json.dumps(planning['exclusions'])}), {planned_after:.0f} s after the launch.",
            f"- Invitations sent during the load: {dispatch['sent_during_load']:,}, "
            f"**{dispatch['per_minute_during_load']:,.0f} a minute** (sampled every {SAMPLE_SECONDS} s); "
            f"best minute of the run {dispatch['peak_per_minute']:,.0f}.",
            f"- All {dispatch['sent']:,} SENT ({dispatch['handed_over']:,} in the outbox and SMTP file) by "
            f"{dispatch.get('all_sent_after_launch_s', nan):.0f} s after the launch "
            f"(the first at {dispatch.get('first_after_launch_s', nan):.0f} s): "
            f"{dispatch.get('per_minute_first_to_last', 0):,.0f} a minute from the first to the last; "
            f"the drain after the load took {report['drain_seconds']:.0f} s.",
            f"- Claimed by the dispatch tick and waiting for the messages worker: at most "
            f"{report['claims']['most_waiting']:,} follow-ups; the oldest claim was at most "
            f"{report['claims']['oldest_age_s']:.0f} s old (CLAIM_TIMEOUT_SECONDS {args['claim_timeout']} s).",
        ]
    )
    summary = (
        f"{total_requests:,} requests, **{total_errors} errors**; {report['accepted']:,} surveys submitted, "
        f"{report['sign_ins']} staff sign-ins. Survey pages: {survey_rps:.1f} requests/s in all, against the "
        f"trivial view's {trivial_rps:.0f} requests/s measured alone with as many threads just before "
        f"({survey_rps / trivial_rps:.0%})."
    )
    text = f"""# Full-stack load run

Run `{report["command"]}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.

Issue 9 §1: customers answer surveys while a {args["customers"]:,}-customer campaign is dispatched, agents work
their queues and managers reload the concern dashboard, all against one stack on this machine.

## Machine

| | |
|---|---|
| CPU | {machine["cpu"]} |
| memory | {machine["memory"]} |
| PostgreSQL | {machine["postgresql"]} (the stack's own cluster, default configuration, fsync on) |
| Python | {machine["python"]} |
| load average (1/5/15 min) before the load | {report["load_before"]} |
| load average right after the load | {report["load_after"]} |

The machine is shared with other jobs; the client, gunicorn, the workers and PostgreSQL share its cores (the load
client itself used {report["client_cpu_share"]:.0%} of one core during the load). Cores used by each part during
the load (CPU seconds ÷ wall seconds): {cpu}; the stack and client together {sum(report.get("cpu", {}).values()):.2f} of
the machine's {machine["cpus"]} (other jobs on the machine had the rest).

## Settings

- bench/stack.py: own PostgreSQL cluster and redis-server, an SMTP server process (aiosmtpd), gunicorn with
  {args["web_workers"]} sync workers and production settings (DEBUG off) plus the trivial view, one Celery
  worker per queue (dispatch ×1, messages ×{args["messages_concurrency"]}, analytics ×1), beat; dispatcher tick every
  {args["dispatch_interval"]} s; SMS through the FileSmsBackend.
- The campaign: {args["customers"]:,} customers (half SMS, half e-mail only), {args["messages_per_minute"]:,} messages a
  minute allowed (the throttle is not what is measured), launched through `surveys.services.launch_campaign`
  when the load starts; customers' zones chosen where calls and messages are allowed for the whole run:
  {", ".join(report["zones"])}.
- The load ({report["load_seconds"]:.0f} s): {args["submitters"]} customer threads (each customer a new session from an
  address of its own through X-Forwarded-For, no pause: GET the link, POST every answer with its CSRF token,
  submit, thanks), {args["agents"]} agents (signed in with password and TOTP; queue, its rows partial, a call page;
  1 s pause), {args["managers"]} managers (signed in; dashboard and its blocks partial; 2 s pause), and one trivial
  view request every 0.5 s. The data was prepared in {report["prepare_seconds"]:.0f} s.

## Requests

{summary}

| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | p50 ÷ trivial p50 | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{reference_row}
{chr(10).join(rows)}

Latency histogram (requests per bucket):

| endpoint | {histogram_head} |
|---|{"---:|" * (len(histogram_head.split(" | ")))}
{chr(10).join(histograms)}

Errors by kind:
{errors}
{f"{chr(10)}First errors:{chr(10)}{chr(10)}{samples}{chr(10)}" if samples else ""}
Tracebacks or ERROR lines in the processes' logs: {logs}. The dispatcher recovered "abandoned" claims
{recoveries} times (claims older than CLAIM_TIMEOUT_SECONDS = {args["claim_timeout"]} s).

## Dispatch

{dispatch_lines}

## Exactly once

{checks}

/health/ at the end: {json.dumps(report["health"], default=str)}
"""
    output.parent.mkdir(parents=True, exist_ok=True)
    notes = ""
    if output.exists() and "\n## Notes" in output.read_text(encoding="utf-8"):
        notes = "\n## Notes" + output.read_text(encoding="utf-8").split("\n## Notes", 1)[1]
    output.write_text(text + notes, encoding="utf-8")


if __name__ == "__main__":
    main()
