"""The whole stack on this machine, under program control: PostgreSQL, Redis, gunicorn, Celery workers and
beat, and an SMTP server — each a process of its own that can be started, stopped, killed and restarted.

Every server is the stack's own (its own PostgreSQL cluster made with ``initdb``, its own redis-server, each
on a free port), so fault scenarios may kill them without touching anybody else's. Logs, data, the SMS file
and the SMTP file live in the work folder.

    stack = Stack(Path("/tmp/chaos"))
    stack.start_all()                   # db, redis, smtp, migrate, web, one worker, beat
    stack.kill("worker")                # SIGKILL, the whole process group
    stack.start("worker")               # the same command line again
    stack.stop_postgres(mode="immediate"); stack.start_postgres()
    stack.smtp_mode("slow", seconds=5)  # or "failing", "normal"; the server re-reads it on each message
    stack.health()                      # /health/'s JSON
    stack.close()                       # everything stopped, nothing left running

Other topologies (network namespaces) reuse it: every command line goes through ``Stack.command``, which
puts ``Stack.prefixes[name]`` (e.g. ``["ip", "netns", "exec", "web"]``) in front, and every address comes
from the constructor (``db_host``, ``redis_host``, ``bind``, ``smtp_host``, ``web_host``).

``python bench/stack.py smtp --port P --bind H --out F --control C`` is the SMTP server itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.common import create_database_if_missing  # noqa: E402
from tests.processes import wait_for  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = ("dispatch", "messages", "analytics")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pg_bin(name: str) -> str:
    """A PostgreSQL program from /usr/lib/postgresql/<newest>/bin; FileNotFoundError when none is installed."""
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise FileNotFoundError(f"{name} not found under /usr/lib/postgresql/*/bin: apt-get install postgresql")
    return found[-1]


def redis_bin() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise FileNotFoundError("redis-server not found: apt-get install redis-server")
    return path


@dataclass
class Part:
    """One named process of the stack: how to start it, and the running process if any."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Stack:
    work: Path
    bind: str = "127.0.0.1"  # where the servers listen (PostgreSQL, Redis, SMTP, gunicorn)
    db_host: str = "127.0.0.1"  # where the app reaches them
    redis_host: str = "127.0.0.1"
    smtp_host: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    pg_port: int = 0  # 0: a free port
    redis_port: int = 0
    smtp_port: int = 0
    web_port: int = 0
    database: str = "wallet"
    queue_prefix: str = "stack-"
    heartbeat_seconds: int = 2
    dispatch_seconds: int = 2
    claim_timeout_seconds: int = 30
    web_workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, list[str]] = field(default_factory=dict)  # part name -> command prefix
    parts: dict[str, Part] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.work = Path(self.work).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "logs").mkdir(exist_ok=True)
        # The cluster belongs to the postgres user, who must reach it: in the work folder when every folder
        # above it lets others through, else (pytest's 0700 temporary folders) in one of its own under /tmp.
        reachable = all(os.stat(p).st_mode & 0o001 for p in self.work.parents)
        self.pg_home = self.work if reachable else Path(tempfile.mkdtemp(prefix="stack-pg-"))
        self.pg_home.chmod(0o755)
        for name in ("pg_port", "redis_port", "smtp_port", "web_port"):
            if not getattr(self, name):
                setattr(self, name, free_port())

    # --- Paths and addresses ----------------------------------------------------------------------------
    @property
    def pgdata(self) -> Path:
        return self.pg_home / "pgdata"

    @property
    def pg_log(self) -> Path:
        return self.pg_home / "postgres.log"

    @property
    def sms_file(self) -> Path:
        return self.work / "sms-outbox.jsonl"

    @property
    def smtp_file(self) -> Path:
        return self.work / "smtp-accepted.jsonl"

    @property
    def smtp_control(self) -> Path:
        return self.work / "smtp-control.json"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{self.db_host}:{self.pg_port}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @property
    def base_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def queues(self, kinds=KINDS) -> list[str]:
        return [f"{self.queue_prefix}{kind}" for kind in kinds]

    # --- The one place command lines and environments are made ------------------------------------------
    def command(self, name: str, argv: list[str]) -> list[str]:
        """``argv`` as part ``name`` runs it: behind its prefix (say, ``ip netns exec web``) if it has one."""
        return [*self.prefixes.get(name, []), *argv]

    def environment(self, **extra: str) -> dict[str, str]:
        """The app's production-like environment (as bench/survey_http.py builds it), pointed at this stack."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wallet_followup.settings",
            "DEBUG": "0",
            "SECRET_KEY": "stack-only-" + "x" * 50,
            "ALLOWED_HOSTS": f"{self.web_host},127.0.0.1,localhost",
            "SITE_URL": "https://stack.invalid",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database_url,
            "DATABASE_CONNECT_TIMEOUT": "3",
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_QUEUE_PREFIX": self.queue_prefix,
            "HEARTBEAT_INTERVAL_SECONDS": str(self.heartbeat_seconds),
            "DISPATCH_INTERVAL_SECONDS": str(self.dispatch_seconds),
            "CLAIM_TIMEOUT_SECONDS": str(self.claim_timeout_seconds),
            "EMAIL_HOST": self.smtp_host,
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_TIMEOUT": "10",
            "SMS_BACKEND": "surveys.messaging.FileSmsBackend",
            "SMS_FILE_PATH": str(self.sms_file),
            "VAR_DIR": str(self.work / "var"),
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            **self.extra_env,
            **extra,
        }

    # --- Generic process control ------------------------------------------------------------------------
    def add(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Part:
        """Register (or replace) part ``name``; ``start(name)`` runs it."""
        self.parts[name] = Part(name, self.command(name, argv), env)
        return self.parts[name]

    def start(self, name: str) -> subprocess.Popen:
        part = self.parts[name]
        if part.running:
            return part.process
        with self.log(name).open("a") as log:
            log.write(f"--- start {part.starts + 1} at {time.strftime('%H:%M:%S')}: {' '.join(part.argv)}\n")
            log.flush()
            part.process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
                part.argv, cwd=ROOT, env=part.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        part.starts += 1
        return part.process

    def signal(self, name: str, sig: int) -> None:
        """Send ``sig`` to part ``name``'s whole process group (its children too)."""
        part = self.parts.get(name)
        if part is not None and part.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(part.process.pid, sig)

    def stop(self, name: str, timeout: float = 30) -> None:
        """SIGTERM the part's process group; SIGKILL it if it has not ended within ``timeout`` seconds."""
        part = self.parts.get(name)
        if part is None or part.process is None:
            return
        self.signal(name, signal.SIGTERM)
        try:
            part.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(name)
        self.signal(name, signal.SIGKILL)  # children that outlived their parent

    def kill(self, name: str) -> None:
        """SIGKILL the part's whole process group, at once (a crash)."""
        part = self.parts.get(name)
        if part is None or part.process is None:
            return
        self.signal(name, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            part.process.wait(timeout=10)

    def restart(self, name: str) -> subprocess.Popen:
        self.stop(name)
        return self.start(name)

    def close(self) -> None:
        """Stop everything this stack started (app first, servers last); leaves no process behind."""
        order = [n for n in self.parts if n not in ("smtp", "redis")] + ["smtp", "redis"]
        for name in order:
            if name in self.parts:
                self.stop(name, timeout=15)
        if self.pgdata.exists():
            self.stop_postgres(mode="fast")
        if self.pg_home != self.work:  # a cluster outside the work folder: keep its log, drop the data
            if self.pg_log.exists():
                shutil.copy(self.pg_log, self.log("postgres"))
            shutil.rmtree(self.pg_home, ignore_errors=True)

    # --- PostgreSQL -------------------------------------------------------------------------------------
    def _as_postgres(self, argv: list[str]) -> list[str]:
        return self.command("db", ["runuser", "-u", "postgres", "--", *argv])

    def init_postgres(self) -> None:
        """A fresh cluster in the work folder: trust authentication, fsync on, listening on ``bind``."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(mode=0o700)
        shutil.chown(self.pgdata, "postgres", "postgres")
        self.pg_log.touch()
        shutil.chown(self.pg_log, "postgres", "postgres")
        subprocess.run(  # noqa: S603
            self._as_postgres([pg_bin("initdb"), "-D", str(self.pgdata), "-U", "postgres", "-A", "trust",
                               "-E", "UTF8", "--no-locale"]),
            check=True, stdout=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '{self.bind}'\nport = {self.pg_port}\n"
                f"unix_socket_directories = '{self.pgdata}'\n"
                "fsync = on\nsynchronous_commit = on\nmax_connections = 200\n"
            )
        with (self.pgdata / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 0.0.0.0/0 trust\n")

    def start_postgres(self, timeout: float = 60) -> None:
        self.init_postgres()
        subprocess.run(  # noqa: S603
            self._as_postgres([pg_bin("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.pg_log),
                               "-w", "-t", str(int(timeout)), "start"]),
            check=True, stdout=subprocess.DEVNULL, timeout=timeout + 10,
        )  # fmt: skip
        if not wait_for(lambda: port_open(self.db_host, self.pg_port), timeout=timeout, step=0.2):
            raise RuntimeError(f"PostgreSQL did not open {self.db_host}:{self.pg_port}; see {self.pg_log}")

    def stop_postgres(self, mode: str = "fast", timeout: float = 60) -> None:
        """``pg_ctl stop -m fast`` (clean) or ``-m immediate`` (a crash: recovery from the WAL at next start)."""
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(  # noqa: S603
            self._as_postgres([pg_bin("pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "-t", str(int(timeout)),
                               "stop"]),
            check=False, stdout=subprocess.DEVNULL, timeout=timeout + 10,
        )  # fmt: skip

    def restart_postgres(self, mode: str = "fast") -> None:
        self.stop_postgres(mode=mode)
        self.start_postgres()

    def psql(self, sql: str) -> str:
        out = subprocess.run(  # noqa: S603
            self.command("db", [pg_bin("psql"), "-h", self.db_host, "-p", str(self.pg_port), "-U", "postgres",
                                "-d", self.database, "-At", "-c", sql]),
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return out.stdout.strip()

    # --- Redis ------------------------------------------------------------------------------------------
    def add_redis(self, appendonly: bool = False) -> Part:
        """redis-server keeping nothing on disk (``--save "" --appendonly no``): a restart empties it."""
        (self.work / "redis").mkdir(exist_ok=True)
        argv = [redis_bin(), "--port", str(self.redis_port), "--bind", self.bind, "--save", "",
                "--appendonly", "yes" if appendonly else "no", "--dir", str(self.work / "redis"),
                "--protected-mode", "no"]  # fmt: skip
        return self.add("redis", argv)

    def start_redis(self, timeout: float = 20) -> None:
        if "redis" not in self.parts:
            self.add_redis()
        self.start("redis")
        if not wait_for(lambda: port_open(self.redis_host, self.redis_port), timeout=timeout, step=0.1):
            raise RuntimeError(f"redis-server did not open {self.redis_host}:{self.redis_port}")

    def stop_redis(self) -> None:
        """SIGTERM: with --save "" Redis writes nothing, the same as SHUTDOWN NOSAVE."""
        self.stop("redis", timeout=10)

    # --- SMTP -------------------------------------------------------------------------------------------
    def add_smtp(self) -> Part:
        self.smtp_mode("normal")
        argv = [sys.executable, str(Path(__file__).resolve()), "smtp", "--bind", self.bind, "--port",
                str(self.smtp_port), "--out", str(self.smtp_file), "--control", str(self.smtp_control)]  # fmt: skip
        return self.add("smtp", argv)

    def start_smtp(self, timeout: float = 20) -> None:
        if "smtp" not in self.parts:
            self.add_smtp()
        self.start("smtp")
        if not wait_for(lambda: port_open(self.smtp_host, self.smtp_port), timeout=timeout, step=0.1):
            raise RuntimeError(f"the SMTP server did not open {self.smtp_host}:{self.smtp_port}")

    def smtp_mode(self, mode: str, seconds: float = 0) -> None:
        """``normal``, ``slow`` (wait ``seconds`` before answering DATA) or ``failing`` (451 to DATA)."""
        if mode not in ("normal", "slow", "failing"):
            raise ValueError(mode)
        temporary = self.smtp_control.with_suffix(".tmp")
        temporary.write_text(json.dumps({"mode": mode, "seconds": seconds}))
        temporary.replace(self.smtp_control)

    # --- The app ----------------------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 600) -> None:
        with self.log("manage").open("a") as log:
            subprocess.run(  # noqa: S603
                self.command("manage", [sys.executable, "manage.py", *args]),
                cwd=ROOT, env=self.environment(), stdout=log, stderr=subprocess.STDOUT, check=True, timeout=timeout,
            )  # fmt: skip

    def migrate(self) -> None:
        """The database created if missing, migrated, and the static files collected (production serves them)."""
        create_database_if_missing(self.database_url)
        self.manage("migrate", "--no-input")
        self.manage("collectstatic", "--no-input", "-v", "0")

    def add_web(self, name: str = "web") -> Part:
        argv = [str(BIN / "gunicorn"), "wallet_followup.wsgi", "--workers", str(self.web_workers),
                "--bind", f"{self.bind}:{self.web_port}", "--timeout", "60", "--graceful-timeout", "10"]  # fmt: skip
        return self.add(name, argv, self.environment())

    def start_web(self, name: str = "web", timeout: float = 60) -> None:
        if name not in self.parts:
            self.add_web(name)
        self.start(name)
        if not wait_for(lambda: self.health(timeout=2) is not None, timeout=timeout, step=0.3):
            raise RuntimeError(f"gunicorn did not answer /health/; see {self.log(name)}")

    def add_worker(self, name: str = "worker", *, kinds=KINDS, concurrency: int = 2, **env: str) -> Part:
        """A Celery worker consuming the queues of ``kinds``, as ``name@<host>``."""
        argv = [str(BIN / "celery"), "-A", "wallet_followup", "worker", "-Q", ",".join(self.queues(kinds)),
                "-c", str(concurrency), "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
                "-l", "INFO"]  # fmt: skip
        return self.add(name, argv, self.environment(**env))

    def add_beat(self, name: str = "beat") -> Part:
        schedule = self.work / f"{name}-schedule"
        argv = [str(BIN / "celery"), "-A", "wallet_followup", "beat", "-s", str(schedule),
                "--pidfile", "", "-l", "INFO"]  # fmt: skip
        return self.add(name, argv, self.environment())

    def health(self, timeout: float = 5) -> dict | None:
        """/health/'s JSON (with ``"status"``: the HTTP code added), or None when the web server does not answer."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/health/", timeout=timeout) as response:  # noqa: S310
                return {**json.loads(response.read()), "status": response.status}
        except urllib.error.HTTPError as error:
            try:
                return {**json.loads(error.read()), "status": error.code}
            except ValueError:
                return {"ok": False, "status": error.code}
        except (OSError, ValueError):
            return None

    def start_all(self, *, workers: int = 1) -> None:
        """Servers first, the database migrated, then web, ``workers`` workers on all queues and one beat."""
        self.start_postgres()
        self.start_redis()
        self.start_smtp()
        self.migrate()
        self.start_web()
        for number in range(workers):
            name = "worker" if number == 0 else f"worker{number + 1}"
            self.add_worker(name)
            self.start(name)
        self.add_beat()
        self.start("beat")


# --- The SMTP server process ----------------------------------------------------------------------------
def serve_smtp(bind: str, port: int, out: Path, control: Path) -> None:
    """aiosmtpd until SIGTERM: each accepted message's Message-ID, recipients and time appended to ``out``."""
    import asyncio
    import email
    import threading
    from email import policy

    from aiosmtpd.controller import Controller

    def behaviour() -> dict:
        try:
            return json.loads(control.read_text())
        except (OSError, ValueError):
            return {"mode": "normal"}

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            mode = behaviour()
            if mode.get("mode") == "slow":
                await asyncio.sleep(float(mode.get("seconds", 5)))
            elif mode.get("mode") == "failing":
                return "451 4.3.0 Temporary failure (chaos), try again later"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            record = {"message_id": message.get("Message-ID", ""), "to": envelope.rcpt_tos, "time": time.time()}
            with out.open("a") as file:
                file.write(json.dumps(record) + "\n")
            return "250 Message accepted for delivery"

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    controller = Controller(Handler(), hostname=bind, port=port, ready_timeout=10)
    controller.start()
    stopped.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    smtp = sub.add_parser("smtp", help="run the SMTP server")
    smtp.add_argument("--bind", default="127.0.0.1")
    smtp.add_argument("--port", type=int, required=True)
    smtp.add_argument("--out", type=Path, required=True)
    smtp.add_argument("--control", type=Path, required=True)
    up = sub.add_parser("up", help="start the whole stack, print its health, stop it (a smoke test)")
    up.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "stack-smoke")
    args = parser.parse_args()
    if args.what == "smtp":
        serve_smtp(args.bind, args.port, args.out, args.control)
        return
    stack = Stack(args.work)
    try:
        started = time.monotonic()
        stack.start_all()
        ok = wait_for(lambda: (stack.health() or {}).get("ok") is True, timeout=60, step=1)
        print(f"stack up in {time.monotonic() - started:.1f} s, healthy={ok}: {json.dumps(stack.health())}")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
