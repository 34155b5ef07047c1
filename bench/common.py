"""What every benchmark needs: its own PostgreSQL database and a description of the machine."""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def create_database_if_missing(database_url: str) -> None:
    """Create the database named in ``database_url`` (connecting to ``postgres`` on the same server)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def machine() -> dict[str, str]:
    """CPU, memory, Python, platform and the PostgreSQL version (Django must be set up)."""
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.1f} GiB"
    except (ValueError, OSError):
        memory = "unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    return {
        "cpu": f"{os.cpu_count()} × {cpu}",
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": pg_version,
    }


# --- The HTTP benchmarks' server ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def start_gunicorn(work: Path, *, port: int, workers: int = 2) -> subprocess.Popen:
    """gunicorn serving the project on 127.0.0.1:``port`` (its own session, log in ``work``), once the trivial
    view (bench/benchurls.py) answers; SystemExit when it does not within 30 s."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (work / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(gunicorn), "wallet_followup.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--backlog", "2048"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial/", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise SystemExit(f"gunicorn did not start; see {work / 'gunicorn.log'}")


def stop(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a process started in its own session, and its children: SIGTERM, then SIGKILL after ``timeout``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def prepare_http_benchmark(database_url: str, *, prefix: str, environment: Callable[[str, Path], object]) -> Path:
    """What the HTTP benchmarks share before their data: PostgreSQL and wrk present, a work folder, the
    benchmark's environment (``environment(database_url, work)``), its database created, migrated and the
    static files collected (production serves hashed names). Returns the work folder."""
    if not database_url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix=prefix))
    environment(database_url, work)
    create_database_if_missing(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return work


def add_load_arguments(
    parser, *, customers: int, seconds: float, trivial_seconds: float, drain_seconds: float, agents: int
) -> None:
    """The options of the full-stack and the multi-host load runs (bench/fullstack.py, bench/multihost.py)."""
    parser.add_argument("--quick", action="store_true", help="10,000 customers, 30 s of load, 10 s reference")
    parser.add_argument("--customers", type=int, default=customers, help="the campaign to dispatch")
    parser.add_argument("--seconds", type=float, default=seconds, help="the load")
    parser.add_argument("--trivial-seconds", type=float, default=trivial_seconds, help="the reference, first")
    parser.add_argument("--drain-seconds", type=float, default=drain_seconds, help="at most, after the load")
    parser.add_argument("--links", type=int, default=0, help="invited customers' links (default: enough)")
    parser.add_argument("--submitters", type=int, default=16, help="customer threads")
    parser.add_argument("--agents", type=int, default=agents)
    parser.add_argument("--managers", type=int, default=2)
    parser.add_argument("--messages-per-minute", type=int, default=100_000, help="the campaign's throttle")
    parser.add_argument("--dispatch-interval", type=int, default=10, help="seconds between dispatcher ticks")
    parser.add_argument("--claim-timeout", type=int, default=600, help="CLAIM_TIMEOUT_SECONDS (production: 600)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--messages-concurrency", type=int, default=2, help="the messages worker's processes")


def links_needed(args) -> int:
    """Enough invited customers' links that the submitting threads never run out during the load."""
    return args.links or max(2000, int(args.submitters * args.seconds * 4))


def invite_with_links(campaign, customers, *, now, **follow_up_fields) -> list[tuple[str, int]]:
    """The customers invited by ``campaign`` an hour before ``now``, as the dispatcher leaves them: an INVITED
    follow-up with one SENT SMS attempt carrying a fresh link. [(link token, follow-up id)], in order.
    ``follow_up_fields`` go to the follow-ups (``scheduled_for``: the reminder's moment). Django set up."""
    from datetime import timedelta

    from surveys.models import ContactAttempt, FollowUp
    from surveys.tokens import new_link_token

    sent_at = now - timedelta(hours=1)
    follow_ups = FollowUp.objects.bulk_create(
        (
            FollowUp(
                campaign=campaign,
                customer=customer,
                channel="sms",
                status=FollowUp.Status.INVITED,
                attempts=1,
                expires_at=now + timedelta(days=14),
                **follow_up_fields,
            )
            for customer in customers
        ),
        batch_size=5000,
    )
    links, attempts = [], []
    for follow_up in follow_ups:
        token, token_hash = new_link_token()
        links.append((token, follow_up.pk))
        attempts.append(
            ContactAttempt(
                follow_up=follow_up,
                number=1,
                channel="sms",
                started_at=sent_at,
                ended_at=sent_at,
                outcome=ContactAttempt.Outcome.SENT,
                link_token_hash=token_hash,
            )
        )
    ContactAttempt.objects.bulk_create(attempts, batch_size=5000)
    return links


def first_answer(survey) -> dict[str, str]:
    """The form fields of a valid answer to the survey's first question, as its page posts them."""
    first = survey.questions.order_by("position", "id").first()
    choice = first.choices.order_by("position", "id").first()
    value = {"yes_no": "no", "nps": "8", "rating": "4", "ces": "5", "free_text": "很好用 works fine"}.get(first.kind)
    return {"question": first.code, "answer": value or choice.code}
