"""Issue 9 §3: the stack split across hosts (network namespaces), and proof that each queue runs on its host.

    .venv/bin/python bench/multihost.py --check        # hosts, PostgreSQL/Redis on the db host, the queue proof
    .venv/bin/python bench/multihost.py --cleanup      # remove what a crashed run left (namespaces, servers)

Run as root (namespaces; initdb runs as the ``postgres`` user). Steps:

1. Hosts (bench/netns.py): wf-db, wf-web, wf-worker-dispatch, wf-worker-messages, wf-worker-analytics and
   wf-beat on a bridge, 10.77.0.0/24; every host reaches every other (bounded TCP probes).
2. The db host runs its own PostgreSQL cluster (initdb as ``postgres``, listening on 10.77.0.10 only, trust
   for 10.77.0.0/24) and its own redis-server bound to 10.77.0.10; every host reaches both ports.
3. The web host migrates the database and runs gunicorn on 10.77.0.20:8000; each worker host runs one Celery
   worker on its own queue (``-Q``) with its own node name; the beat host runs beat; the SMTP sink runs on
   the messages host, and the FileSmsBackend writes that host's file.
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
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import netns  # noqa: E402
from bench.netns import BEAT, DB, WEB, WORKER_ANALYTICS, WORKER_DISPATCH, WORKER_MESSAGES, Host  # noqa: E402

PG_PORT = 5432
REDIS_PORT = 6379
WEB_PORT = 8000
SMTP_PORT = 2525
DATABASE = "wallet_multihost"
PG_BIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]) if Path("/usr/lib/postgresql").exists() else None
PYTHON = sys.executable
AS_POSTGRES = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]  # initdb refuses root
BIN = Path(sys.executable).parent

# Which queues each worker host consumes (names without the prefix; the prefix is empty: the Redis is ours).
WORKERS: dict[Host, tuple[str, ...]] = {
    WORKER_DISPATCH: ("dispatch",),
    WORKER_MESSAGES: ("messages",),
    WORKER_ANALYTICS: ("analytics",),
}
STATE_FILE = Path(tempfile.gettempdir()) / "wf-multihost.json"  # what --cleanup must stop after a crash


def wait_until(predicate, *, timeout: float, step: float = 0.25, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


class Deployment:
    """The processes of the split stack; ``stop_all()`` ends them and the PostgreSQL cluster."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.processes: dict[str, subprocess.Popen] = {}
        self.pgdata = work / "db" / "pgdata"
        self.database_url = f"postgres://postgres@{DB.address}:{PG_PORT}/{DATABASE}"
        # Redis refuses other hosts without a password (protected mode): the db host's Redis has one, as in
        # production, and every host's REDIS_URL carries it.
        self.redis_password = uuid.uuid4().hex
        self.redis_url = f"redis://:{self.redis_password}@{DB.address}:{REDIS_PORT}/0"

    # --- bookkeeping -------------------------------------------------------------------------------------
    def _remember(self) -> None:
        state = {"pids": {name: p.pid for name, p in self.processes.items()}, "pgdata": str(self.pgdata)}
        STATE_FILE.write_text(json.dumps(state))

    def spawn(
        self, name: str, host: Host, command: list[str], *, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """``command`` in ``host``, in its own session (so the whole group can be stopped), log in the work dir."""
        log = (self.work / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            [*netns.Network.prefix(host), *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        self._remember()
        return process

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
        if (self.pgdata / "postmaster.pid").exists():
            _pg_ctl_stop(self.pgdata)
        STATE_FILE.unlink(missing_ok=True)

    # --- the db host -------------------------------------------------------------------------------------
    def start_database_host(self) -> None:
        if PG_BIN is None:
            raise SystemExit("PostgreSQL's binaries are missing (/usr/lib/postgresql/*/bin)")
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is missing: apt-get install -y redis-server")
        db_dir = self.work / "db"
        db_dir.mkdir(parents=True)
        shutil.chown(db_dir, "postgres", "postgres")
        initdb = [
            *AS_POSTGRES,
            str(PG_BIN / "initdb"),
            "-D",
            str(self.pgdata),
            *["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"],
        ]
        subprocess.run(initdb, check=True, capture_output=True, timeout=120)  # noqa: S603
        with (self.pgdata / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {netns.SUBNET} trust\n")
        self._remember()
        options = (
            f"-c listen_addresses={DB.address} -p {PG_PORT} -c unix_socket_directories={db_dir} "
            "-c max_connections=200 -c shared_buffers=256MB"
        )
        pg_ctl = [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(db_dir / "postgresql.log"),
            "-w",
            "-t",
            "60",
        ]
        start = [*netns.Network.prefix(DB), *AS_POSTGRES, *pg_ctl, "-o", options, "start"]
        subprocess.run(start, check=True, capture_output=True, timeout=90)  # noqa: S603
        redis_dir = self.work / "redis"
        redis_dir.mkdir()
        redis = ["redis-server", "--bind", DB.address, "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"]
        self.spawn("redis", DB, [*redis, "--dir", str(redis_dir), "--requirepass", self.redis_password])

    # --- the application hosts ---------------------------------------------------------------------------
    def environment(self, host: Host) -> dict[str, str]:
        """What every application host is given; each host has its own VAR_DIR (nothing shared but PG/Redis)."""
        var = self.work / host.name / "var"
        var.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "bench.benchsite",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-" + "x" * 50,
            "ALLOWED_HOSTS": f"{WEB.address},127.0.0.1",
            "SITE_URL": "https://bench.invalid",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_QUEUE_PREFIX": "",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(var),
            "HEARTBEAT_INTERVAL_SECONDS": "5",
            "DISPATCH_INTERVAL_SECONDS": "5",
            "CLAIM_TIMEOUT_SECONDS": "60",
            "SMS_BACKEND": "surveys.messaging.FileSmsBackend",
            "SMS_FILE_PATH": str(self.sms_file),
            "EMAIL_HOST": WORKER_MESSAGES.address,
            "EMAIL_PORT": str(SMTP_PORT),
        }

    @property
    def sms_file(self) -> Path:
        return self.work / WORKER_MESSAGES.name / "sms-outbox.jsonl"

    @property
    def smtp_file(self) -> Path:
        return self.work / WORKER_MESSAGES.name / "smtp-received.jsonl"

    def manage(self, host: Host, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(  # noqa: S603
            [*netns.Network.prefix(host), PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(host),
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} on {host.name} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def create_database(self) -> None:
        subprocess.run(  # noqa: S603
            [str(PG_BIN / "createdb"), "-h", DB.address, "-p", str(PG_PORT), "-U", "postgres", DATABASE],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start_web(self, *, workers: int = 4) -> None:
        self.spawn(
            "web",
            WEB,
            [str(BIN / "gunicorn"), "wallet_followup.wsgi", "--workers", str(workers), "--backlog", "2048", "--bind"]
            + [f"{WEB.address}:{WEB_PORT}"],
            env=self.environment(WEB),
        )

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://{WEB.address}:{WEB_PORT}/bench/trivial/", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(answers, timeout=60, what=f"gunicorn on {WEB.address}:{WEB_PORT}")

    def start_worker(self, host: Host, queues: tuple[str, ...], *, concurrency: int = 1) -> None:
        self.spawn(
            host.name,
            host,
            [
                str(BIN / "celery"),
                *["-A", "wallet_followup", "worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            ]
            + [
                "-Q",
                ",".join(queues),
                "--hostname",
                f"{'+'.join(queues)}@{host.name}",
                "--concurrency",
                str(concurrency),
            ],
            env=self.environment(host),
        )

    def start_beat(self) -> None:
        var = self.work / BEAT.name / "var"
        self.spawn(
            "beat",
            BEAT,
            [
                str(BIN / "celery"),
                *["-A", "wallet_followup", "beat", "--loglevel", "INFO", "--schedule"],
                str(var / "celerybeat-schedule"),
            ],
            env=self.environment(BEAT),
        )

    def start_smtp_sink(self) -> None:
        """A real SMTP server on the messages host recording each accepted message (tests/smtp_sink.py)."""
        self.spawn(
            "smtp",
            WORKER_MESSAGES,
            [
                PYTHON,
                str(ROOT / "bench" / "smtp_jsonl.py"),
                WORKER_MESSAGES.address,
                str(SMTP_PORT),
                str(self.smtp_file),
            ],
        )


def _pg_ctl_stop(pgdata: Path) -> None:
    stop = [*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(pgdata), *["-m", "fast", "-w", "-t", "60", "stop"]]
    subprocess.run(stop, check=False, capture_output=True, timeout=90)  # noqa: S603


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


def prove_queues(deployment: Deployment, *, per_queue: int = 20, timeout: float = 60) -> list[str]:
    """Publish ``per_queue`` tasks to each queue from the web host; each must run on its queue's worker host
    and no other. Returns the failures (empty: proven)."""
    ids = {kind: [str(uuid.uuid4()) for _ in range(per_queue)] for queues in WORKERS.values() for kind in queues}
    script = deployment.work / "publish.py"
    script.write_text("import django\ndjango.setup()\n" + _PUBLISH)
    done = subprocess.run(  # noqa: S603
        [*netns.Network.prefix(WEB), PYTHON, str(script), json.dumps(ids)],
        cwd=ROOT,
        env=deployment.environment(WEB),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode:
        raise SystemExit(f"publishing from {WEB.name} failed:\n{done.stderr}")
    expected = {task_id: host for host, queues in WORKERS.items() for kind in queues for task_id in ids[kind]}

    def runs() -> dict[str, list[str]]:
        ran: dict[str, list[str]] = {}
        for host in WORKERS:
            for task_id in tasks_run(deployment.work / f"{host.name}.log"):
                ran.setdefault(task_id, []).append(host.name)
        return ran

    wait_until(lambda: expected.keys() <= runs().keys(), timeout=timeout, what="the published tasks to run")
    time.sleep(1)  # a task run twice would show here
    ran = runs()
    failures = []
    for task_id, host in expected.items():
        if ran.get(task_id) != [host.name]:
            failures.append(f"task {task_id} for {host.name} ran on {ran.get(task_id)}")
    return failures


def heartbeat_details(deployment: Deployment) -> dict[str, str]:
    out = deployment.manage(
        WEB,
        "shell",
        "-c",
        "import json; from ops.models import Heartbeat; "
        "print(json.dumps({h.component: h.detail for h in Heartbeat.objects.all()}))",
    )
    return json.loads(out.strip().splitlines()[-1])


def check(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="wf-multihost-"))
    work.chmod(0o755)  # the postgres user must reach its folder
    network = netns.Network()
    deployment = Deployment(work)

    def teardown() -> None:
        deployment.stop_all()
        netns.cleanup()

    atexit.register(teardown)
    try:
        started = time.monotonic()
        network.create()
        problems = network.check_mesh()
        print(f"1. hosts: {len(network.hosts)} namespaces on {netns.BRIDGE} ({netns.SUBNET}); mesh {problems or 'ok'}")
        if problems:
            return 1
        deployment.start_database_host()
        reach = [(DB.address, PG_PORT), (DB.address, REDIS_PORT)]
        wait_until(lambda: set(network.probe(WEB, reach).values()) == {"open"}, timeout=30, what="PG and Redis")
        unreachable = {
            h.name: r
            for h in network.hosts
            if h is not DB
            for r in [network.probe(h, reach)]
            if set(r.values()) != {"open"}
        }
        loopback = network.probe(DB, [("127.0.0.1", PG_PORT), ("127.0.0.1", REDIS_PORT)])
        print(
            f"2. db host: PostgreSQL {DB.address}:{PG_PORT} and Redis {DB.address}:{REDIS_PORT} open from every "
            f"host{'' if not unreachable else f' EXCEPT {unreachable}'}; on the db host's loopback: {loopback}"
        )
        if unreachable:
            return 1
        deployment.create_database()
        deployment.manage(WEB, "migrate", "--no-input", "-v", "0")
        deployment.manage(WEB, "collectstatic", "--no-input", "-v", "0")
        for host, queues in WORKERS.items():
            deployment.start_worker(host, queues)
        deployment.start_smtp_sink()
        deployment.start_web()
        print(
            f"3. web host: gunicorn answers on {WEB.address}:{WEB_PORT} from the root namespace; workers: "
            + ", ".join(f"{h.name} -Q {','.join(q)}" for h, q in WORKERS.items())
        )
        failures = prove_queues(deployment, per_queue=args.per_queue)
        ran = {h.name: len(tasks_run(work / f"{h.name}.log")) for h in WORKERS}
        print(
            f"4. queues: {args.per_queue} tasks published to each queue from {WEB.name}; succeeded per host "
            f"{ran}; {failures or 'each ran only on its queue host'}"
        )
        probes = heartbeat_details(deployment)
        print(f"   Heartbeat rows: {probes}")
        deployment.start_beat()
        wait_until(lambda: "beat" in heartbeat_details(deployment), timeout=60, what="beat's heartbeat")
        beat_row = heartbeat_details(deployment)["beat"]
        print(f"5. beat on {BEAT.name}: its heartbeat task was {beat_row!r}")
        wrong = [k for k, v in probes.items() if k.startswith("probe-") and v != f"run by wf-worker-{k[6:]}"]
        ok = not failures and not wrong and beat_row == f"run by {WORKER_DISPATCH.name}"
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
