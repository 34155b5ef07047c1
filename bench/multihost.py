"""Issue 9 §3: the stack split across hosts (network namespaces), and proof that each queue runs on its host.

    .venv/bin/python bench/multihost.py --check                         # hosts, db host, the queue proof
    .venv/bin/python bench/multihost.py --customers 10000 --seconds 60  # the load run: docs/benchmarks/multihost.md
    .venv/bin/python bench/multihost.py --cleanup                       # what a crashed run left (namespaces, servers)

Run as root (namespaces; initdb runs as the ``postgres`` user). Steps:

1. Hosts (bench/netns.py): wf-db, wf-web, wf-worker-dispatch, wf-worker-messages, wf-worker-analytics and
   wf-beat on a bridge, 10.77.0.0/24; every host reaches every other (bounded TCP probes).
2. The db host runs its own PostgreSQL cluster (initdb as ``postgres``, listening on 10.77.0.10 only, trust
   for 10.77.0.0/24) and its own redis-server bound to 10.77.0.10; every host reaches both ports.
3. The web host migrates the database and runs gunicorn on 10.77.0.20:8000; each worker host runs one Celery
   worker on its own queue (``-Q``) with its own node name; the beat host runs beat; the SMTP server runs on
   the messages host, and the FileSmsBackend writes the messages worker's file. The processes are
   bench/stack.py's Stack parts, each behind its host's command prefix.
4. ``--check``: from the web host, tasks are published to each queue with known ids; each must run on that
   queue's host and no other (the workers' logs, and Heartbeat rows whose detail names the host), and
   beat's heartbeats must arrive from each queue's host.
5. The load run: the one-machine run's pieces (bench/load_data.py, load_client.py, exactly_once.py) over the
   hosts: data prepared from the root namespace, the trivial view alone as the reference, then customers,
   agents and managers against the web host while the campaign is dispatched by the worker hosts, the drain,
   the exactly-once checks, and where each task ran (the workers' logs) and the Heartbeat rows.

Everything started is stopped, and every namespace, veth and the bridge deleted, on the way out — also on
failure or Ctrl-C (try/finally, atexit).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import netns  # noqa: E402
from bench.common import add_load_arguments, links_needed  # noqa: E402
from bench.fullstack import SentSampler  # noqa: E402
from bench.netns import BEAT, DB, WEB, WORKER_ANALYTICS, WORKER_DISPATCH, WORKER_MESSAGES, Host  # noqa: E402
from bench.stack import Stack, pg_bin  # noqa: E402

PG_PORT = 5432
REDIS_PORT = 6379
WEB_PORT = 8000
SMTP_PORT = 2525
QUEUE_PREFIX = "mh-"

# Which queues each worker host consumes, by part name (the worker's node name is <part>@<host>).
WORKERS: dict[str, tuple[Host, tuple[str, ...]]] = {
    "worker-dispatch": (WORKER_DISPATCH, ("dispatch",)),
    "worker-messages": (WORKER_MESSAGES, ("messages",)),
    "worker-analytics": (WORKER_ANALYTICS, ("analytics",)),
}
STATE_FILE = Path(tempfile.gettempdir()) / "wf-multihost.json"  # what --cleanup must stop after a crash


def wait_until(predicate, *, timeout: float, step: float = 0.25, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class SplitStack(Stack):
    redis_password: str = ""
    concurrency: dict[str, int] = field(default_factory=dict)  # worker part -> processes


def split_stack(
    work: Path,
    *,
    web_workers: int = 2,
    concurrency: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    dispatch_seconds: int = 5,
    claim_timeout_seconds: int = 600,
) -> Stack:
    """bench/stack.py's Stack with each part behind its host's prefix and every address a host's.

    Nothing is started; ``start_servers``, ``start_app`` and ``start_beat`` do that, host by host."""
    on = netns.Network.prefix
    prefixes = {"db": on(DB), "redis": on(DB), "smtp": on(WORKER_MESSAGES), "manage": on(WEB), "web": on(WEB)}
    prefixes |= {"beat": on(BEAT)} | {name: on(host) for name, (host, _kinds) in WORKERS.items()}
    password = uuid.uuid4().hex
    stack = SplitStack(
        work,
        db_host=DB.address,
        redis_host=DB.address,
        smtp_host=WORKER_MESSAGES.address,
        web_host=WEB.address,
        pg_port=PG_PORT,
        redis_port=REDIS_PORT,
        smtp_port=SMTP_PORT,
        web_port=WEB_PORT,
        database="wallet_multihost",
        queue_prefix=QUEUE_PREFIX,
        heartbeat_seconds=5,
        dispatch_seconds=dispatch_seconds,
        claim_timeout_seconds=claim_timeout_seconds,
        web_workers=web_workers,
        prefixes=prefixes,
        redis_password=password,
        concurrency={"worker-dispatch": 1, "worker-messages": 2, "worker-analytics": 1} | (concurrency or {}),
        # Redis refuses other hosts without a password (protected mode); the db host's Redis has one, as in
        # production, and every host's REDIS_URL carries it. bench.benchsite adds the trivial view.
        extra_env={
            "REDIS_URL": f"redis://:{password}@{DB.address}:{REDIS_PORT}/0",
            "CELERY_BROKER_URL": f"redis://:{password}@{DB.address}:{REDIS_PORT}/0",
            "DJANGO_SETTINGS_MODULE": "bench.benchsite",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        },
    )
    return stack


def _remember(stack: Stack) -> None:
    pids = {name: part.process.pid for name, part in stack.parts.items() if part.process is not None}
    STATE_FILE.write_text(json.dumps({"pids": pids, "pgdata": str(stack.pgdata)}))


def start_servers(stack: Stack) -> None:
    """The db host's PostgreSQL (listening on its address only, trust for the subnet) and Redis (password),
    the SMTP server on the messages host, and the database migrated from the web host. ``Stack.bind`` is
    each server's own host address when it starts."""
    stack.bind = DB.address
    stack.init_postgres()
    hba = stack.pgdata / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("host all all 0.0.0.0/0 trust", f"host all all {netns.SUBNET} trust"))
    _remember(stack)
    stack.start_postgres()
    stack.add_redis().argv += ["--requirepass", stack.redis_password]
    stack.start_redis()
    stack.bind = WORKER_MESSAGES.address
    stack.start_smtp()
    _remember(stack)
    stack.migrate()


def start_app(stack: Stack) -> None:
    """gunicorn on the web host, one worker per worker host on its queues (each host its own VAR_DIR)."""
    stack.bind = WEB.address
    stack.start_web()
    for name, (host, kinds) in WORKERS.items():
        var = stack.work / host.name / "var"
        var.mkdir(parents=True, exist_ok=True)
        stack.add_worker(name, kinds=kinds, concurrency=stack.concurrency[name], VAR_DIR=str(var))
        stack.start(name)
    _remember(stack)


def start_beat(stack: Stack) -> None:
    stack.add_beat()
    stack.start("beat")
    _remember(stack)


def _pg_ctl_stop(pgdata: Path) -> None:
    stop = ["runuser", "-u", "postgres", "--", pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    subprocess.run(stop, check=False, capture_output=True, timeout=90)  # noqa: S603, S607


def cleanup_leftovers() -> list[str]:
    """After a crashed run: stop the processes and the cluster it recorded, then delete the namespaces."""
    removed = []
    if STATE_FILE.exists():
        state = json.loads(STATE_FILE.read_text())
        ours = {host.name for host in netns.HOSTS}
        for name, pid in state.get("pids", {}).items():
            # Only a process still inside one of our hosts: a recorded pid may have been reused since.
            where = subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True, timeout=10)  # noqa: S603, S607
            if where.stdout.strip() in ours:
                os.killpg(pid, signal.SIGKILL)
                removed.append(f"process group {pid} ({name})")
        pgdata = Path(state.get("pgdata", ""))
        if (pgdata / "postmaster.pid").exists():
            _pg_ctl_stop(pgdata)
            removed.append(f"PostgreSQL cluster {pgdata}")
        STATE_FILE.unlink()
    return removed + netns.cleanup()


# --- The proof: each queue's tasks run on its host only ----------------------------------------------------

_PUBLISH = """
import json, sys
from ops.tasks import record_heartbeat
from wallet_followup.queues import queue_name
for kind, ids in json.loads(sys.argv[1]).items():
    for task_id in ids:
        record_heartbeat.apply_async(kwargs={"component": f"probe-{kind}"}, queue=queue_name(kind), task_id=task_id)
print("published")
"""
_SUCCEEDED = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]{36})\] succeeded")


def tasks_run(log: Path) -> dict[str, str]:
    """Task id → task name for each task a worker's log says succeeded."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {m["id"]: m["name"] for m in _SUCCEEDED.finditer(text)}


def runs_by_host(stack: Stack) -> dict[str, list[str]]:
    """Task id → the worker hosts whose logs say it succeeded (one entry per run)."""
    ran: dict[str, list[str]] = {}
    for name, (host, _kinds) in WORKERS.items():
        for task_id in tasks_run(stack.log(name)):
            ran.setdefault(task_id, []).append(host.name)
    return ran


def prove_queues(stack: Stack, *, per_queue: int = 20, timeout: float = 60) -> list[str]:
    """Publish ``per_queue`` tasks to each queue from the web host; each must run once, on its queue's worker
    host and no other. Returns the failures (empty: proven)."""
    ids = {kind: [str(uuid.uuid4()) for _ in range(per_queue)] for _host, kinds in WORKERS.values() for kind in kinds}
    script = stack.work / "publish.py"
    script.write_text("import django\ndjango.setup()\n" + _PUBLISH)
    publish = stack.command("manage", [sys.executable, str(script), json.dumps(ids)])
    done = subprocess.run(publish, cwd=ROOT, env=stack.environment(), capture_output=True, text=True, timeout=60)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"publishing from {WEB.name} failed:\n{done.stderr}")
    expected = {task_id: host for host, kinds in WORKERS.values() for kind in kinds for task_id in ids[kind]}
    wait_until(lambda: expected.keys() <= runs_by_host(stack).keys(), timeout=timeout, what="the published tasks")
    time.sleep(1)  # a task run twice would show here
    ran = runs_by_host(stack)
    return [
        f"task {i} for {host.name} ran on {ran.get(i)}" for i, host in expected.items() if ran.get(i) != [host.name]
    ]


def heartbeats(stack: Stack) -> dict[str, str]:
    """The Heartbeat rows: component → detail ("run by <host>")."""
    rows = stack.psql("SELECT component || '|' || detail FROM ops_heartbeat ORDER BY component")
    return dict(line.split("|", 1) for line in rows.splitlines() if "|" in line)


def check(args: argparse.Namespace) -> int:
    """Hosts, the db host's servers, and the queue proof; PASS or FAIL."""
    work = Path(tempfile.mkdtemp(prefix="wf-multihost-"))
    network = netns.Network()
    stack = split_stack(work, web_workers=2)

    def teardown() -> None:
        stack.close()
        netns.cleanup()
        STATE_FILE.unlink(missing_ok=True)
        shutil.rmtree(stack.pgdata, ignore_errors=True)  # the logs stay in the work folder

    atexit.register(teardown)
    try:
        started = time.monotonic()
        network.create()
        problems = network.check_mesh()
        print(f"1. hosts: {len(network.hosts)} namespaces on {netns.BRIDGE} ({netns.SUBNET}); mesh {problems or 'ok'}")
        if problems:
            return 1
        start_servers(stack)
        start_app(stack)
        reach = [(DB.address, PG_PORT), (DB.address, REDIS_PORT)]
        unreachable = {h.name: r for h in network.hosts if set((r := network.probe(h, reach)).values()) != {"open"}}
        loopback = network.probe(DB, [("127.0.0.1", PG_PORT), ("127.0.0.1", REDIS_PORT)])
        print(
            f"2. db host: PostgreSQL {DB.address}:{PG_PORT} and Redis {DB.address}:{REDIS_PORT} open from every "
            f"host{f' EXCEPT {unreachable}' if unreachable else ''}; on the db host's own loopback: {loopback}"
        )
        workers = ", ".join(f"{host.name} -Q {','.join(kinds)}" for host, kinds in WORKERS.values())
        print(f"3. web host: gunicorn on {WEB.address}:{WEB_PORT} answers /health/ from the root namespace; {workers}")
        failures = prove_queues(stack, per_queue=args.per_queue)
        ran = {host.name: len(tasks_run(stack.log(name))) for name, (host, _kinds) in WORKERS.items()}
        print(
            f"4. {args.per_queue} tasks published to each queue from {WEB.name}; succeeded per host {ran}; "
            f"{failures or 'each ran once, on its queue host only'}"
        )
        start_beat(stack)
        wait_until(lambda: "beat" in heartbeats(stack), timeout=60, what="beat's heartbeat")
        time.sleep(stack.heartbeat_seconds * 2)  # the per-queue heartbeats, where beat sends them
        rows = heartbeats(stack)
        print(f"5. beat on {BEAT.name}; Heartbeat rows: {rows}")
        wrong = {c: d for c, d in rows.items() if ":" in c and d != f"run by wf-worker-{c.split(':', 1)[1]}"}
        wrong |= {c: d for c, d in rows.items() if c.startswith("probe-") and d != f"run by wf-worker-{c[6:]}"}
        ok = not unreachable and not failures and not wrong and rows.get("beat") == f"run by {WORKER_DISPATCH.name}"
        print(f"{'PASS' if ok else 'FAIL'} multihost check in {time.monotonic() - started:.0f} s (logs in {work})")
        return 0 if ok else 1
    finally:
        teardown()
        atexit.unregister(teardown)


# --- The load run: the same figures as the one-machine run, over the hosts -----------------------------------

SAMPLE_SECONDS = 5


def task_hosts(stack: Stack) -> Counter:
    """(task name, host) → how many runs the workers' logs show."""
    counts: Counter = Counter()
    for name, (host, _kinds) in WORKERS.items():
        for task_name in tasks_run(stack.log(name)).values():
            counts[task_name, host.name] += 1
    return counts


def log_problems(stack: Stack) -> dict[str, int]:
    """Per part: tracebacks and ERROR lines in its log, and the dispatcher's claim recoveries (claims older than
    CLAIM_TIMEOUT_SECONDS handed over again)."""
    found = {}
    for log in sorted((stack.work / "logs").glob("*.log")):
        text = log.read_text(errors="replace")
        found[log.stem] = text.count("Traceback") + sum(1 for line in text.splitlines() if " ERROR" in line)
    found["claim recoveries"] = sum(
        stack.log(name).read_text(errors="replace").count("recovered abandoned claims") for name in WORKERS
    )
    return found


def check_task_hosts(counts: Counter) -> list[str]:
    """Each task ran only on the host of its queue (wallet_followup/queues.py): the violations."""
    from wallet_followup.queues import DISPATCH, QUEUE_OF_TASK

    host_of_kind = {kind: host.name for host, kinds in WORKERS.values() for kind in kinds}
    wrong = []
    for (task_name, host), n in sorted(counts.items()):
        expected = host_of_kind[QUEUE_OF_TASK.get(task_name, DISPATCH)]
        if host != expected and not task_name.startswith("ops.tasks.record_heartbeat"):
            wrong.append(f"{task_name} ran {n}× on {host} (its queue is on {expected})")
    return wrong


def _still_due(campaign_id: int) -> tuple[str, int]:
    from django.utils import timezone

    from surveys.models import Campaign, FollowUp

    status = Campaign.objects.get(pk=campaign_id).planning_status
    due = FollowUp.objects.filter(
        campaign_id=campaign_id,
        status__in=(FollowUp.Status.PLANNED, FollowUp.Status.IN_PROGRESS),
        scheduled_for__lte=timezone.now(),
    ).count()
    return status, due


def run(args: argparse.Namespace) -> int:  # noqa: PLR0915 - one run, in the order of the report
    """Hosts, servers, data, reference, load with the campaign dispatched, drain, checks, report."""
    work = Path(tempfile.mkdtemp(prefix="wf-multihost-"))
    network = netns.Network()
    stack = split_stack(
        work,
        web_workers=args.web_workers,
        concurrency={"worker-messages": args.messages_concurrency},
        extra_env={"TRUSTED_PROXY_COUNT": "1"},  # customers come through a proxy, each from its own address
        dispatch_seconds=args.dispatch_interval,
        claim_timeout_seconds=args.claim_timeout,
    )

    def teardown() -> None:
        stack.close()
        netns.cleanup()
        STATE_FILE.unlink(missing_ok=True)
        shutil.rmtree(stack.pgdata, ignore_errors=True)

    atexit.register(teardown)
    report: dict = {"command": " ".join(["bench/multihost.py", *sys.argv[1:]]), "args": vars(args)}
    try:
        started = time.monotonic()
        network.create()
        problems = network.check_mesh()
        if problems:
            raise SystemExit(f"the hosts do not reach each other: {problems}")
        start_servers(stack)
        os.environ.update(stack.environment())  # this process: the operator's side, in the root namespace
        import django

        django.setup()
        from bench import exactly_once, load_client, load_data
        from bench.common import machine

        links = links_needed(args)
        t = time.perf_counter()
        scenario = load_data.prepare(
            customers=args.customers,
            submitters=links,
            agents=args.agents,
            managers=args.managers,
            messages_per_minute=args.messages_per_minute,
            hold=timedelta(seconds=args.seconds + args.drain_seconds + 15 * 60),
        )
        report["prepare_seconds"] = time.perf_counter() - t
        print(f"prepared {args.customers:,} customers and {links:,} links in {report['prepare_seconds']:.0f} s")
        start_app(stack)
        start_beat(stack)
        print(f"hosts and stack up in {time.monotonic() - started:.0f} s; web at {stack.base_url}")

        report["reference"] = load_client.measure_reference(
            stack.base_url, seconds=args.trivial_seconds, threads=args.submitters
        )

        report["load_before"] = os.getloadavg()
        recorder = load_client.Recorder()
        plan = load_client.LoadPlan(submitters=args.submitters, agents=args.agents, managers=args.managers)
        launched = time.monotonic()
        load_data.launch(scenario, by_username=scenario.managers[0].username)
        with SentSampler(scenario.campaign_id) as sampler:
            load_started = time.monotonic()
            elapsed = load_client.run_load(stack.base_url, scenario, seconds=args.seconds, plan=plan, recorder=recorder)
            load_ended = time.monotonic()
            report["load_after"] = os.getloadavg()
            report["load_seconds"] = elapsed
            report["endpoints"] = recorder.summary(elapsed)
            report["errors"] = dict(recorder.error_kinds)
            report["error_samples"] = recorder.error_samples
            report["accepted"] = len(recorder.accepted)
            requests = sum(e["requests"] for e in report["endpoints"].values())
            print(f"load: {requests:,} requests in {elapsed:.0f} s, {sum(report['errors'].values())} errors, "
                  f"{len(recorder.accepted):,} surveys submitted")  # fmt: skip
            for _ in range(int(args.drain_seconds / SAMPLE_SECONDS) + 1):
                status, due = _still_due(scenario.campaign_id)
                if status in ("done", "failed") and not due:
                    break
                time.sleep(SAMPLE_SECONDS)
            drained = time.monotonic()
            report["drain"] = {"seconds": drained - load_ended, "planning": status, "still_due": due}
        from django.utils import timezone

        due_by = timezone.now()
        from surveys.models import ContactAttempt

        sent_during, per_minute = sampler.per_minute(load_started, load_ended)
        total_sent = ContactAttempt.objects.filter(follow_up__campaign_id=scenario.campaign_id, outcome="sent").count()
        report["dispatch"] = {
            "sent": total_sent,
            "sent_during_load": sent_during,
            "per_minute_during_load": per_minute,
            "all_sent_after_launch_s": drained - launched,
        }
        print(f"dispatch: {report['dispatch']}; drain {report['drain']}")
        report["checks"] = [
            exactly_once.check_submissions(recorder.accepted),
            exactly_once.check_invitations(
                campaign_id=scenario.campaign_id,
                sms_records=exactly_once.read_jsonl(stack.sms_file),
                email_records=exactly_once.read_jsonl(stack.smtp_file),
                due_by=due_by,
            ),
        ]
        time.sleep(stack.heartbeat_seconds * 2)  # a fresh round of per-queue heartbeats
        counts = task_hosts(stack)
        report["task_hosts"] = counts
        report["task_host_problems"] = check_task_hosts(counts)
        report["heartbeats"] = heartbeats(stack)
        report["log_problems"] = log_problems(stack)
        report["health"] = stack.health()
        report["machine"] = machine()
        report["zones"] = scenario.zones
        for check in report["checks"]:
            print(check.line())
        print(f"tasks per host: {dict(counts)}; wrong host: {report['task_host_problems'] or 'none'}")
        ok = all(c.ok for c in report["checks"]) and not report["task_host_problems"] and not report["errors"]
        report["ok"] = ok
        write_report(report, stack, args.output)
        print(f"{'PASS' if ok else 'FAIL'} multihost run; written to {args.output} (logs in {work})")
        return 0 if ok else 1
    finally:
        teardown()
        atexit.unregister(teardown)


def write_report(report: dict, stack: Stack, output: Path) -> None:
    args, machine, reference = report["args"], report["machine"], report["reference"]
    endpoints = report["endpoints"]
    total = sum(e["requests"] for e in endpoints.values())
    errors = sum(e["errors"] for e in endpoints.values())

    def row(name: str, e: dict) -> str:
        return (
            f"| {name} | {e['requests']:,} | {e['rps']:.1f} | {e['p50']:.0f} | {e['p95']:.0f} | {e['p99']:.0f} | "
            f"{e['errors']} |"
        )

    table = "\n".join(row(name, e) for name, e in endpoints.items())
    reference_row = row(
        f"trivial view, reference (alone, {args['submitters']} threads, {args['trivial_seconds']:.0f} s, before)",
        reference,
    )
    wrong_host = "; ".join(report["task_host_problems"]) or "none: no task ran on another queue's host"
    node = "celery worker -Q {prefix}{kind} (node worker-{kind}@{host}, {n} process(es))"
    topology = "\n".join(
        [
            f" root namespace {netns.GATEWAY} (the load client; plays the proxy: X-Forwarded-For, X-Forwarded-Proto)",
            f"      │  bridge {netns.BRIDGE}, {netns.SUBNET}",
            f"      ├── {WEB.name:<20} {WEB.address:<11} gunicorn ({args['web_workers']} sync workers) :{WEB_PORT}",
            *(
                f"      ├── {host.name:<20} {host.address:<11} "
                + node.format(prefix=QUEUE_PREFIX, kind=kinds[0], host=host.name, n=stack.concurrency[name])
                + (f"; SMTP server :{SMTP_PORT}" if host is WORKER_MESSAGES else "")
                for name, (host, kinds) in WORKERS.items()
            ),
            f"      ├── {BEAT.name:<20} {BEAT.address:<11} celery beat (exactly one)",
            f"      └── {DB.name:<20} {DB.address:<11} PostgreSQL :{PG_PORT} (own cluster, listening on this address "
            f"only; trust for {netns.SUBNET})",
            f"          {'':<20} {'':<11} redis-server :{REDIS_PORT} (bound to this address, requirepass)",
        ]
    )
    dispatch, drain = report["dispatch"], report["drain"]
    run_line = (
        f"{args['submitters']} customer threads answering surveys, {args['agents']} agents, {args['managers']} "
        "managers, one trivial-view probe every 0.5 s."
    )
    dispatch_line = (
        f"{dispatch['sent_during_load']:,} invitations sent during the load "
        f"(**{dispatch['per_minute_during_load']:,.0f} a minute**, sampled every {SAMPLE_SECONDS} s), "
        f"{dispatch['sent']:,} in all; the campaign drained {dispatch['all_sent_after_launch_s']:.0f} s after "
        f"its launch (planning {drain['planning']}, {drain['still_due']} still due at the end)."
    )
    checks = "\n".join(
        f"- {'PASS' if c.ok else 'FAIL'} **{c.name}**: " + ", ".join(f"{k} {v:,}" for k, v in c.figures.items())
        + "".join(f"\n  - {p}" for p in c.problems)
        for c in report["checks"]
    )  # fmt: skip
    hosts_of = {host.name: "+".join(kinds) for host, kinds in WORKERS.values()}
    task_rows = "\n".join(
        f"| {task} | {host} ({hosts_of[host]}) | {n:,} |" for (task, host), n in sorted(report["task_hosts"].items())
    )
    heartbeat_rows = "\n".join(f"| {c} | {d} |" for c, d in sorted(report["heartbeats"].items()))
    problems = ", ".join(f"{name} {n}" for name, n in report["log_problems"].items())
    error_lines = "\n".join(f"- {k}: {n}" for k, n in sorted(report["errors"].items())) or "- none"
    before, after = (" / ".join(f"{v:.2f}" for v in report[k]) for k in ("load_before", "load_after"))
    senders = sorted({host for (task, host) in report["task_hosts"] if task == "surveys.send_invitations"})
    hand_over = (
        f"`surveys.send_invitations` (queue messages) handed the SMS and e-mails over on {', '.join(senders)}"
        if senders
        else "no `surveys.send_invitations` task ran: on this code the dispatcher hands SMS and e-mails over "
        f"itself, inside `surveys.dispatch_due_follow_ups` on {WORKER_DISPATCH.name} (e-mail through the SMTP "
        f"server on {WORKER_MESSAGES.address}); the messages worker runs the case digest and its heartbeat"
    )
    text = f"""# The stack across hosts (network namespaces)

Run `{report["command"]}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: **{"PASS" if report["ok"] else "FAIL"}**.

Issue 9 §3: the same stack as the one-machine load run (docs/benchmarks/fullstack.md), split across hosts
that the run makes itself: Linux network namespaces joined by veth pairs to a bridge, each with its own
loopback, address and hostname (`unshare --uts`), so every connection between parts crosses a network
interface, and the Heartbeat rows name the host that ran them.

## Topology

```
{topology}
```

Every application host gets the same settings except its own `VAR_DIR`: `DATABASE_URL` and `REDIS_URL`
point at {DB.address}, `EMAIL_HOST` at {WORKER_MESSAGES.address}:{SMTP_PORT}, `CELERY_QUEUE_PREFIX={QUEUE_PREFIX}`,
`DEBUG=0`, `TRUSTED_PROXY_COUNT=1`, dispatcher tick every {args["dispatch_interval"]} s,
`CLAIM_TIMEOUT_SECONDS={args["claim_timeout"]}` (production's), SMS through the FileSmsBackend (its file is in
the run's folder). Nothing listens on the db host's loopback: the servers are reachable only at the host's
address, as on a separate machine.

Found on the way: Redis refuses connections from other hosts while it has no password (protected mode),
so the db host's Redis runs with `requirepass` and every `REDIS_URL` carries it: production needs the
same (or an explicit `protected-mode no` behind a firewall).

## Machine

| | |
|---|---|
| CPU | {machine["cpu"]} |
| memory | {machine["memory"]} |
| PostgreSQL | {machine["postgresql"]} (the db host's own cluster, fsync on) |
| Python | {machine["python"]} |
| load average (1/5/15 min) before the load | {before} |
| load average (1/5/15 min) right after the load | {after} |

All six hosts share this machine's {machine["cpus"]} cores (namespaces separate the network, not the CPU),
and the machine is shared with other jobs: the figures are a floor, and they show that the split works and
costs little, not what six machines would do.

## The run

{args["customers"]:,} customers in the campaign (half SMS, half e-mail only; {args["messages_per_minute"]:,} messages a
minute allowed), launched through `surveys.services.launch_campaign` as the load starts; the data (bench/load_data.py)
was prepared from the root namespace in {report["prepare_seconds"]:.0f} s. Load ({report["load_seconds"]:.0f} s,
bench/load_client.py from the root namespace to {WEB.address}:{WEB_PORT}): {run_line}

| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |
|---|---:|---:|---:|---:|---:|---:|
{reference_row}
{table}

{total:,} requests, **{errors} errors**; {report["accepted"]:,} surveys submitted.

Errors by kind:
{error_lines}

Tracebacks or ERROR lines in each host's logs, and the dispatcher's claim recoveries (claims older than
`CLAIM_TIMEOUT_SECONDS` = {args["claim_timeout"]} s handed over again): {problems}.

Dispatch: {dispatch_line}

## Exactly once

{checks}

## Each queue's tasks ran on its host only

From the workers' logs (`Task <name>[<id>] succeeded`, each log is one host's worker):

| task | host (queues) | runs |
|---|---|---:|
{task_rows}

Wrong host: {wrong_host}. Invitations: {hand_over}.

Heartbeat rows at the end (beat sends one to each queue; the worker that runs it writes its hostname):

| component | detail |
|---|---|
{heartbeat_rows}

/health/ at the end: `{json.dumps(report["health"], default=str)}`
"""
    output.parent.mkdir(parents=True, exist_ok=True)
    notes = ""
    if output.exists() and "\n## Notes" in output.read_text(encoding="utf-8"):
        notes = "\n## Notes" + output.read_text(encoding="utf-8").split("\n## Notes", 1)[1]
    output.write_text(text + notes, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cleanup", action="store_true", help="remove what a crashed run left, then exit")
    parser.add_argument("--check", action="store_true", help="hosts, db host and the queue proof")
    parser.add_argument("--per-queue", type=int, default=20, help="--check: tasks published to each queue")
    add_load_arguments(parser, customers=10_000, seconds=60, trivial_seconds=15, drain_seconds=600, agents=4)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "multihost.md")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.seconds, args.trivial_seconds, args.drain_seconds = 10_000, 30, 10, 150
    if os.geteuid() != 0:
        raise SystemExit("run as root: the hosts are network namespaces")
    if args.cleanup:
        print("\n".join(cleanup_leftovers()) or "nothing to clean up")
        return
    sys.exit(check(args) if args.check else run(args))


if __name__ == "__main__":
    main()
