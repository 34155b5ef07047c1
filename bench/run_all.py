"""Run every benchmark in bench/ and add a dated results table to docs/benchmarks.md (`make bench`).

    .venv/bin/python bench/run_all.py [--only planning --only import] [--timeout-minutes 25]

1. Describe the machine (bench.common.machine()) and read the load average.
2. Run each benchmark in BENCHMARKS, one after the other, in a process of its own with ``--summary-json``;
   its output goes to var/bench-logs/<run>-<name>.log, its detailed report to docs/benchmarks/<name>.md as
   when it runs alone. A benchmark that fails (non-zero exit, no summary, or past the time limit) gets a
   FAILED row with the first line of its error; the others still run. A script not present (bench/fullstack.py
   until it lands) gets a "skipped: not present" row.
3. Read the load average again and write a section for this run at the top of docs/benchmarks.md (earlier
   runs stay below it): the machine, the load, one row per headline figure with the reference measured in
   the same run.
4. Exit non-zero when any benchmark failed.

Every benchmark uses a PostgreSQL database of its own (its default ``--database-url``); BENCH_DATABASE_URL is
therefore not passed on. BENCH_REDIS_URL is (the HTTP benchmarks' Redis database).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
LOG_DIR = ROOT / "var" / "bench-logs"
STOP_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str  # relative to the project root
    args: tuple[str, ...]

    @property
    def report(self) -> str:
        """Its detailed report, relative to docs/."""
        return f"benchmarks/{self.name}.md"

    @property
    def command(self) -> str:
        return " ".join(("bench/" + Path(self.script).name, *self.args))


# The sizes keep the whole run under about 30 minutes on the 2-core machine: planning, dispatch, the dashboard
# and the import run at the sizes and repeats of their documented figures (bench/README.md: 1,000,000
# customers, 20,000 invitations, 1,000,000 responses with the rollups reused when they count every response,
# 1,000,000 rows); the HTTP benchmarks measure for 10 s instead of 15-20 s, and the API benchmark's worker
# drains for 60 s instead of 300 (it does not plan every event of the run in either: see its report). The first
# run on a machine also fills the benchmarks' databases (about 12 minutes more, the dashboard's million
# responses and their rollups most of it); later runs reuse them.
BENCHMARKS = (
    Benchmark("planning", "bench/plan_campaign.py", ("--customers", "1000000", "--repeat", "3")),
    Benchmark("dispatch", "bench/dispatch.py", ("--follow-ups", "20000", "--repeat", "3")),
    Benchmark("survey", "bench/survey_http.py", ("--repeat", "3", "--seconds", "10", "--links", "5000")),
    Benchmark("dashboard", "bench/dashboard.py", ("--responses", "1000000", "--repeat", "20", "--reuse-rollups")),
    Benchmark("import", "bench/import_customers.py", ("--rows", "1000000", "--repeat", "2")),
    Benchmark(
        "api",
        "bench/api_events.py",
        ("--repeat", "3", "--seconds", "10", "--customers", "20000", "--drain-seconds", "60"),
    ),
    # The documented size (docs/benchmarks/fullstack.md): about 8 minutes on a quiet machine.
    Benchmark("fullstack", "bench/fullstack.py", ("--customers", "100000", "--seconds", "120")),
)


@dataclass
class Outcome:
    benchmark: Benchmark
    status: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    rows: list | None = None
    error: str = ""
    log: Path | None = None


# --- Running --------------------------------------------------------------------------------------------


def first_error_line(output: str) -> str:
    """The first line of the error a failed benchmark printed: the exception line after the last traceback,
    otherwise (SystemExit with a message) the last line printed."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ""
    marker = "Traceback (most recent call last):"
    if marker in lines:
        after = lines[len(lines) - 1 - lines[::-1].index(marker) + 1 :]
        for line in after:
            if not line.startswith((" ", "\t")):
                return line
    return lines[-1]


def _stop(process: subprocess.Popen) -> None:
    """Interrupt the benchmark so its own clean-up runs (it stops its gunicorn and workers), then kill it."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=STOP_GRACE_SECONDS)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_one(benchmark: Benchmark, *, root: Path, log: Path, timeout: float, environment: dict) -> Outcome:
    script = root / benchmark.script
    if not script.exists():
        return Outcome(benchmark, "skipped", error="not present")
    summary = log.with_suffix(".json")
    summary.unlink(missing_ok=True)
    environment = {key: value for key, value in environment.items() if key != "BENCH_DATABASE_URL"}
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(  # noqa: S603 - our own scripts, fixed arguments
            [sys.executable, str(script), *benchmark.args, "--summary-json", str(summary)],
            cwd=root,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a time-out stops all of it
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return Outcome(
                benchmark, "failed", time.monotonic() - started, error=f"timed out after {timeout:.0f} s",
                log=log,
            )  # fmt: skip
        except KeyboardInterrupt:
            _stop(process)
            raise
    seconds = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        return Outcome(benchmark, "failed", seconds, error=first_error_line(text) or f"exit status {code}", log=log)
    try:
        rows = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return Outcome(benchmark, "failed", seconds, error=f"no summary written ({error.__class__.__name__})", log=log)
    return Outcome(benchmark, "ok", seconds, rows=rows, log=log)


# --- The results table ----------------------------------------------------------------------------------

HEADER = """# Benchmark results

Written by `make bench` (bench/run_all.py), which runs every benchmark in bench/ one after the other: one
dated section per run, newest first. Each row is one headline figure: the median of the run's repeats, the
reference the benchmark measures beside it in the same run (so a busy machine moves both), their ratio, the
target and whether it was met. The detailed reports (every repeat, profiles, how it is measured) are rewritten
by each run under docs/benchmarks/; how to run one benchmark alone, and where the time goes, is in
bench/README.md. The machine is shared with other work: the load average is recorded before and after.
"""


def number(value: float) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _measure(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".strip()


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2g}×" if value < 0.1 else f"{value:.2f}×"  # two significant digits for small ratios


def table_rows(outcome: Outcome) -> list[str]:
    report = f"[{Path(outcome.benchmark.report).stem}]({outcome.benchmark.report})"
    name = outcome.benchmark.name
    if outcome.status == "skipped":
        return [f"| {name} | skipped: {outcome.error} | | | | | |"]
    if outcome.status == "failed":
        error = outcome.error.replace("|", "\\|")
        return [f"| {name} | **FAILED**: {error} | | | | | {report} |"]
    lines = []
    for row in outcome.rows:
        reference = ""
        if row.get("reference"):
            unit = row.get("reference_unit") or row["unit"]
            reference = f"{row['reference']}: {_measure(row['reference_figure'], unit)}"
        ratio = _ratio(row.get("ratio"))
        met = {True: "met", False: "**not met**", None: ""}[row.get("met")]
        lines.append(
            f"| {row['name']} | {_measure(row['figure'], row['unit'])} | {reference} | {ratio} | "
            f"{row.get('target') or '—'} | {met} | {report} |"
        )
    return lines


def section(*, started: datetime, outcomes: list[Outcome], machine: dict, load_before, load_after, seconds) -> str:
    def load(values) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    failed = [o.benchmark.name for o in outcomes if o.status == "failed"]
    verdicts = [row.get("met") for o in outcomes for row in o.rows or () if row.get("met") is not None]
    lines = [
        f"## {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"`make bench` took {seconds / 60:.1f} minutes"
        + (f"; **failed: {', '.join(failed)}**" if failed else "; every benchmark present ran")
        + f"; targets met: {verdicts.count(True)} of {len(verdicts)}.",
        "",
        f"Machine: {machine.get('cpu', 'unknown')}, {machine.get('memory', 'unknown')} memory, PostgreSQL "
        f"{machine.get('postgresql', 'unknown')} (same machine), Python {machine.get('python', 'unknown')}, "
        f"{machine.get('platform', 'unknown')}. Load average (1, 5, 15 min) before {load(load_before)}, after "
        f"{load(load_after)}.",
        "",
        "| benchmark | measured (median) | reference (same run) | ratio | target | met | report |",
        "|---|---:|---|---:|---|---|---|",
    ]
    for outcome in outcomes:
        lines += table_rows(outcome)
    lines += ["", "Commands (each also given `--summary-json`):", ""]
    for outcome in outcomes:
        took = "" if outcome.status == "skipped" else f" — {outcome.seconds / 60:.1f} min"
        lines.append(f"- `{outcome.benchmark.command}`{took}")
    return "\n".join(lines) + "\n"


def write_results(path: Path, new_section: str) -> None:
    """The header, this run's section, then every earlier run's section as it was."""
    earlier = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        start = text.find("\n## ")
        earlier = text[start + 1 :] if start >= 0 else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n" + new_section + ("\n" + earlier if earlier else ""), encoding="utf-8")


# --- Putting it together --------------------------------------------------------------------------------


def describe_machine() -> dict:
    """bench.common.machine(), with Django set up on PostgreSQL's maintenance database (only read from)."""
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_followup.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "bench.invalid")
    os.environ.setdefault("SITE_URL", "https://bench.invalid")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.common import machine

    return machine()


def run(
    benchmarks, *, root: Path, output: Path, log_dir: Path, machine: dict, timeout: float, environment: dict,
    echo=print,
) -> int:  # fmt: skip
    """Run ``benchmarks`` (in ``environment``), write their section into ``output``; 0 when none failed, else 1."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    load_before = os.getloadavg()
    log_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for benchmark in benchmarks:
        log = log_dir / f"{started:%Y%m%d-%H%M}-{benchmark.name}.log"
        echo(f"{datetime.now(UTC):%H:%M:%S} {benchmark.name}: {benchmark.command} (log {log})", flush=True)
        outcome = run_one(benchmark, root=root, log=log, timeout=timeout, environment=environment)
        outcomes.append(outcome)
        echo(
            f"{datetime.now(UTC):%H:%M:%S} {benchmark.name}: {outcome.status} {outcome.error} "
            f"({outcome.seconds / 60:.1f} min)",
            flush=True,
        )
    text = section(
        started=started, outcomes=outcomes, machine=machine, load_before=load_before, load_after=os.getloadavg(),
        seconds=time.monotonic() - clock,
    )  # fmt: skip
    write_results(output, text)
    echo(text)
    echo(f"written to {output}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHMARKS], help="run just these")
    parser.add_argument("--timeout-minutes", type=float, default=25, help="per benchmark")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    benchmarks = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    environment = dict(os.environ)  # before describe_machine() sets Django's: each benchmark sets its own
    try:
        machine = describe_machine()
    except Exception as error:  # noqa: BLE001 - the benchmarks report PostgreSQL being down themselves
        print(f"could not describe the machine: {error}", file=sys.stderr)
        machine = {}
    sys.exit(
        run(benchmarks, root=ROOT, output=args.output, log_dir=LOG_DIR, machine=machine,
            timeout=args.timeout_minutes * 60, environment=environment)
    )  # fmt: skip


if __name__ == "__main__":
    main()
