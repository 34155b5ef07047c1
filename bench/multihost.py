"""Issue 9 §3: the stack split across hosts (network namespaces), and proof that each queue runs on its host.

    .venv/bin/python bench/multihost.py --check        # hosts, PostgreSQL/Redis on the db host, the queue proof
    .venv/bin/python bench/multihost.py --cleanup      # remove what a crashed run left (namespaces, servers)

Run as root (namespaces; initdb runs as the ``postgres`` user). Steps:

1. Hosts (bench/netns.py): wf-db, wf-web, wf-worker-dispatch, wf-worker-messages, wf-worker-analytics and
   wf-beat on a bridge, 10.77.0.0/24; every host reaches every other (bounded TCP probes).
2. The db host runs its own PostgreSQL cluster (initdb as ``postgres``, listening on 10.77.0.10 only, trust
   for 10.77.0.0/24) and its own redis-server bound to 10.77.0.10; every host reaches both ports.
3. The web host migrates the database and runs gunicorn on 10.77.0.20:8000; each worker host runs one Celery
   worker on its own queue (``-Q``) with its own node name; the beat host runs beat; the SMTP server runs on
   the messages host, and the FileSmsBackend writes the messages worker's file. The processes are
   bench/stack.py's Stack parts, each behind its host's command prefix.
4. The proof: from the web host, tasks are published to each queue with known ids; each must run on that
   queue's host and no other (the workers' logs, and Heartbeat rows whose detail names the host), and
   beat's heartbeat must arrive from the dispatch host.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import netns  # noqa: E402
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


def split_stack(work: Path, *, web_workers: int = 4, concurrency: dict[str, int] | None = None) -> Stack:
    """bench/stack.py's Stack with each part behind its host's prefix and every address a host's.

    The servers are not started; ``start_split`` does that, host by host."""
    on = netns.Network.prefix
    prefixes = {"db": on(DB), "redis": on(DB), "smtp": on(WORKER_MESSAGES), "manage": on(WEB), "web": on(WEB)}
    prefixes |= {"beat": on(BEAT)} | {name: on(host) for name, (host, _kinds) in WORKERS.items()}
    password = uuid.uuid4().hex
    stack = Stack(
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
        dispatch_seconds=5,
        claim_timeout_seconds=60,
        web_workers=web_workers,
        prefixes=prefixes,
        # Redis refuses other hosts without a password (protected mode); the db host's Redis has one, as in
        # production, and every host's REDIS_URL carries it. bench.benchsite adds the trivial view.
        extra_env={
            "REDIS_URL": f"redis://:{password}@{DB.address}:{REDIS_PORT}/0",
            "DJANGO_SETTINGS_MODULE": "bench.benchsite",
            "LOG_LEVEL": "WARNING",
        },
    )
    stack.redis_password = password
    stack.concurrency = {"worker-dispatch": 1, "worker-messages": 2, "worker-analytics": 1} | (concurrency or {})
    return stack


def _remember(stack: Stack) -> None:
    pids = {name: part.process.pid for name, part in stack.parts.items() if part.process is not None}
    STATE_FILE.write_text(json.dumps({"pids": pids, "pgdata": str(stack.pgdata)}))


def start_split(stack: Stack) -> None:
    """The db host's PostgreSQL and Redis, the SMTP server on the messages host, the database migrated from
    the web host, gunicorn on the web host, one worker per worker host on its queues, beat on the beat host.
    Stack.bind is each server's own host address when it starts (PostgreSQL and Redis listen on the db
    host's address only)."""
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
    stack.bind = WEB.address
    stack.start_web()
    for name, (host, kinds) in WORKERS.items():
        var = stack.work / host.name / "var"  # each host its own local state
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
        for name, pid in state.get("pids", {}).items():
            try:
                os.killpg(pid, signal.SIGKILL)
                removed.append(f"process group {pid} ({name})")
            except ProcessLookupError:
                pass
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
        start_split(stack)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cleanup", action="store_true", help="remove what a crashed run left, then exit")
    parser.add_argument("--check", action="store_true", help="hosts, db host and the queue proof")
    parser.add_argument("--per-queue", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the hosts are network namespaces")
    if args.cleanup:
        print("\n".join(cleanup_leftovers()) or "nothing to clean up")
        return
    sys.exit(check(args))


if __name__ == "__main__":
    main()
